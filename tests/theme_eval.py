"""The two labelled evaluation sets of theme grouping and how grouping is scored on them.

Shared by tests/test_themes.py (thresholds that can fail) and bench/bench_themes.py (figures).

- ``themes_eval.json``: 208 statements of a peace, development and security forum in 11
  themes; the default method's one stopping similarity was tuned on it.
- ``themes_eval_general.json``: 160 statements of a city's climate-adaptation workshop and a
  hospital's patient-safety workshop in 10 themes, written as different people word the
  same point (paraphrases, terse and long, typos, abbreviations, some French and Spanish,
  near-duplicates); held out: never used to choose a parameter.

The report groups each kind of prompt on its own, so the score is the adjusted Rand index
within each kind, averaged with the kinds' sizes as weights.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from math import comb
from pathlib import Path

import numpy as np

from bot.reports.lexical import STOPWORDS, words
from bot.reports.themes import ThemeGroup, group_texts

DATA = Path(__file__).parent / "data"
EVAL_SETS = {"peace-security": DATA / "themes_eval.json", "general": DATA / "themes_eval_general.json"}

GroupFn = Callable[[list[str], list[int]], list[ThemeGroup]]


def load_eval(name: str) -> list[dict]:
    return json.loads(EVAL_SETS[name].read_text(encoding="utf-8"))


def adjusted_rand_index(truth: Sequence, predicted: Sequence) -> float:
    """Hubert-Arabie adjusted Rand index of two labelings of the same items."""
    n = len(truth)
    if n != len(predicted):
        raise ValueError("labelings differ in length")
    if n < 2:
        return 1.0
    pairs = Counter(zip(truth, predicted, strict=True))
    index = sum(comb(c, 2) for c in pairs.values())
    rows = sum(comb(c, 2) for c in Counter(truth).values())
    cols = sum(comb(c, 2) for c in Counter(predicted).values())
    expected = rows * cols / comb(n, 2)
    maximum = (rows + cols) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def predicted_labels(groups: Sequence[ThemeGroup], n: int) -> list[int]:
    labels = [-1] * n
    for g, group in enumerate(groups):
        for i in group.items:
            labels[i] = g
    return labels


def by_kind(rows: list[dict]) -> dict[str, list[int]]:
    kinds: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        kinds.setdefault(row["kind"], []).append(i)
    return dict(sorted(kinds.items()))


def within_kind_ari(rows: list[dict], group: GroupFn) -> float:
    """ARI within each kind, weighted by the kind's size. ``group(texts, row_indices)``."""
    total = 0.0
    for indices in by_kind(rows).values():
        texts = [rows[i]["text"] for i in indices]
        groups = group(texts, indices)
        total += len(indices) * adjusted_rand_index([rows[i]["theme"] for i in indices], predicted_labels(groups, len(texts)))
    return total / len(rows)


class WordTfidfEmbedder:
    """Baseline: plain word TF-IDF (lower-cased words minus stopwords), L2-normalised.

    What keyword overlap gives on statements that make the same point in different words;
    grouped by the same clustering as every other method.
    """

    name = "word-tfidf"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        docs = [[w for w in words(t) if w not in STOPWORDS] for t in texts]
        vocab = sorted({w for d in docs for w in d})
        column = {w: j for j, w in enumerate(vocab)}
        n = len(docs)
        matrix = np.zeros((n, max(len(vocab), 1)), dtype=np.float32)
        df = Counter(w for d in docs for w in set(d))
        for i, d in enumerate(docs):
            for w, c in Counter(d).items():
                matrix[i, column[w]] = c * (math.log((1 + n) / (1 + df[w])) + 1)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)


#: The baseline's stopping similarity (the one word-based vectors use in the pipeline).
THRESHOLD_TFIDF = 0.26


def tfidf_groups(texts: list[str], _indices: list[int]) -> list[ThemeGroup]:
    return group_texts(texts, embedder=WordTfidfEmbedder(), threshold=THRESHOLD_TFIDF)


def method_groups(vectors: np.ndarray | None = None, *, domain_pack: str | None = None) -> GroupFn:
    """The product's method, on precomputed model vectors (rows of the whole set) if given."""

    def group(texts: list[str], indices: list[int]) -> list[ThemeGroup]:
        rows = None if vectors is None else [vectors[i] for i in indices]
        return group_texts(texts, vectors=rows, domain_pack=domain_pack)

    return group
