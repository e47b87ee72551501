"""Group short contributions into themes, offline and deterministically, for any workshop.

``group_texts`` turns the statements participants sent during a session into report themes:
each theme has a short label, its statements (the representative first) and the
near-duplicates merged into a statement, with their indices so counts can be shown. A draft
calls it through :func:`make_grouper`, one section (one kind of prompt) at a time.

Pipeline
========
1. **Exact duplicates** (the same text once case, accents, punctuation and spacing are
   ignored) are merged first, in O(n); only distinct texts are clustered, weighted by how
   many times they were sent.
2. **Vectors.** Domain-general by default: the sentence model's embedding of each
   statement (:mod:`bot.reports.embedding`, all-MiniLM-L6-v2 int8, averaged over content
   words; stored with the
   contribution when it was sent, so a draft only reads them), *centred*: the section's
   mean vector, shrunk towards zero for small sections (:data:`CENTRING_PRIOR`), is
   subtracted before normalising. The model's vectors all share one large common
   direction; removing it lets the differences between points decide. No word list is
   involved. An event that enables a domain pack (:mod:`bot.reports.domain_packs`) gets
   the pack's concept vectors joined to the model's instead (:func:`_theme_vectors`).
3. **Clustering** (:mod:`bot.reports.clustering`): average linkage stopped at a measured
   similarity, so the number of themes is not fixed in advance; k-means micro-clusters
   first above 600 distinct texts. Hidden contributions are clustered too and left out
   afterwards, so hiding one changes only its own theme.
4. **Near-duplicates** -- cosine >= :data:`DUPLICATE_SIMILARITY` between character-trigram
   vectors (the same statement with small edits; judged on the surface, because two
   *different* recommendations on one topic can be very close in the theme embedding) --
   are merged inside each theme. The statement sent most often (then the lowest index)
   keeps its place; the others are listed in ``ThemeGroup.duplicates``.
5. **Representative and label**: the representative is the statement closest to the
   theme's count-weighted mean, ties to the lower index; the label is a phrase from the
   theme's own statements (:mod:`bot.reports.labels`).

Measured in bench/bench_themes.py on two labelled sets (bench/README.md).

Determinism: fixed seeds, stable sorts with index tie-breaks, arithmetic hashing (never
Python's salted ``hash``), no dependence on set or thread order. The tests check two runs
and two processes with different hash seeds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.reports.domain_packs import DOMAIN_PACKS, concept_finder
from bot.reports.embedding import STORED_DTYPE, Embedder, ModelUnavailable, l2_rows, sentence_model
from bot.reports.labels import MAX_LABEL_WORDS, theme_labels
from bot.reports.lexical import LexicalEmbedder, duplicate_key, words

if TYPE_CHECKING:  # numpy and the clustering load when something is grouped, not with the bot
    import numpy as np

log = logging.getLogger(__name__)

__all__ = [
    "DOMAIN_PACKS",
    "DUPLICATE_SIMILARITY",
    "MAX_LABEL_WORDS",
    "GroupItem",
    "Grouper",
    "ThemeGroup",
    "group_texts",
    "make_grouper",
]

#: Surface (character-trigram) cosine at or above which two statements count as one.
#: On the evaluation set, edited copies score 0.90-0.96 and different statements 0.55 at most.
DUPLICATE_SIMILARITY = 0.85
#: Themes with more distinct statements than this look for near-duplicates inside each
#: k-means micro-cluster instead of across the whole theme.
NEAR_DUPLICATE_BLOCK = 2000
#: Statements per theme (the nearest its centre) that the label is computed from.
LABEL_SAMPLE = 60

#: Average-linkage stopping similarity of the default method (centred sentence vectors),
#: tuned on tests/data/themes_eval.json; tests/data/themes_eval_general.json is held out.
SENTENCE_THRESHOLD = 0.08
#: The section mean is subtracted with weight n / (n + CENTRING_PRIOR): a handful of
#: statements keeps most of its common direction (two paraphrases must stay close).
CENTRING_PRIOR = 20
#: With a domain pack: the pack's lexical vectors joined with the model's at this weight,
#: stopped at PACK_THRESHOLD (the settings measured before packs were opt-in).
PACK_MODEL_WEIGHT = 0.3
PACK_THRESHOLD = 0.28
#: Stopping similarity for other embedders, by name (tests and baselines pass their own).
THRESHOLDS: dict[str, float] = {"lexical": 0.28, "lexical-concepts": 0.28}
DEFAULT_THRESHOLD = 0.28


# --------------------------------------------------------------------------------------------
# Public types


@dataclass(frozen=True)
class ThemeGroup:
    """One theme of a draft report.

    ``items`` holds input indices, the representative statement first, then the other
    statements by decreasing closeness to the theme; merged near-duplicates follow the
    statement they were merged into. ``duplicates`` maps the index of a statement that kept
    its place to the indices merged into it (not including itself).
    """

    label: str
    items: list[int]
    duplicates: dict[int, list[int]] = field(default_factory=dict)

    @property
    def representative(self) -> int:
        return self.items[0]

    @property
    def count(self) -> int:
        """Contributions in the theme, merged near-duplicates included."""
        return len(self.items)


@dataclass(frozen=True, slots=True)
class GroupItem:
    """One contribution handed to a :data:`Grouper`.

    ``key`` is the contribution's id (it finds the embedding stored with it); ``hidden``
    ones are clustered with the rest, so hiding one moves nothing else, and then left out.
    """

    key: int
    text: str
    hidden: bool = False


#: What the report builder calls per section: groups over the visible items, whose
#: ``ThemeGroup.items`` are positions in the sequence it was given.
Grouper = Callable[[Sequence[GroupItem]], list[ThemeGroup]]


def make_grouper(vectors: Mapping[int, np.ndarray] | None = None, *, domain_pack: str | None = None) -> Grouper:
    """The grouper a draft uses: ``vectors`` are the stored embeddings by contribution id
    (missing ones are embedded on the spot), ``domain_pack`` the event's opt-in pack."""
    stored = vectors or {}

    def group(items: Sequence[GroupItem]) -> list[ThemeGroup]:
        return group_texts(
            [item.text for item in items],
            vectors=[stored.get(item.key) for item in items],
            hidden=[item.hidden for item in items],
            domain_pack=domain_pack,
        )

    return group


# --------------------------------------------------------------------------------------------
# Vectors


def _theme_vectors(texts: list[str], stored: list[np.ndarray | None] | None, domain_pack: str | None) -> tuple[np.ndarray, float]:
    """Unit vectors to cluster the distinct ``texts`` on, and the stopping similarity."""
    import numpy as np

    try:
        model = _model_vectors(texts, stored)
    except ModelUnavailable as exc:  # a broken install: group on words rather than fail
        log.warning("Sentence model unavailable (%s); themes are grouped on shared words only.", exc)
        words_only = LexicalEmbedder(concepts=concept_finder(domain_pack) if domain_pack in DOMAIN_PACKS else None)
        return words_only.embed(texts), THRESHOLDS[words_only.name]
    if domain_pack is not None and domain_pack in DOMAIN_PACKS:
        concepts = LexicalEmbedder(concepts=concept_finder(domain_pack)).embed(texts)
        return l2_rows(np.hstack([concepts, model * np.float32(PACK_MODEL_WEIGHT)])), PACK_THRESHOLD
    if domain_pack is not None:
        log.warning("Unknown domain pack %r ignored; known: %s", domain_pack, ", ".join(sorted(DOMAIN_PACKS)))
    share = len(texts) / (len(texts) + CENTRING_PRIOR)
    centred = model - np.float32(share) * model.mean(axis=0, dtype=np.float64).astype(np.float32)
    return l2_rows(centred), SENTENCE_THRESHOLD


def _model_vectors(texts: list[str], stored: list[np.ndarray | None] | None) -> np.ndarray:
    """The stored vectors, with the missing ones embedded now (all unit length)."""
    import numpy as np

    missing = [i for i in range(len(texts)) if stored is None or stored[i] is None]
    rows: list[np.ndarray | None] = list(stored) if stored is not None else [None] * len(texts)
    if missing:
        # Rounded as they would be stored, so a file grouped on the command line groups like a draft.
        fresh = sentence_model().embed([texts[i] for i in missing]).astype(STORED_DTYPE).astype(np.float32)
        for row, i in enumerate(missing):
            rows[i] = fresh[row]
    return l2_rows(np.vstack([np.asarray(r, dtype=np.float32) for r in rows]))


# --------------------------------------------------------------------------------------------
# Near-duplicates


SURFACE_DIM = 1024


def surface_vectors(texts: Sequence[str]) -> np.ndarray:
    """Character-trigram count vectors of the normalised texts (hashed, L2-normalised).

    Near-duplicates are judged on the surface -- the same statement with small edits --
    not on the theme embedding, where two different recommendations about the same topic
    can be very close. The hash is arithmetic on code points, so it is the same in every
    process (Python's ``hash`` of a string is salted).
    """
    import numpy as np

    matrix = np.zeros((len(texts), SURFACE_DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        padded = " " + " ".join(words(text)) + " "
        codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        if len(codes) < 3:
            continue
        ids = (codes[:-2] * 1_000_003 + codes[1:-1] * 1_009 + codes[2:]) % SURFACE_DIM
        matrix[row] = np.bincount(ids, minlength=SURFACE_DIM)
    return l2_rows(matrix)


def _near_duplicates(rows: list[int], texts: Sequence[str], w: np.ndarray, block: int = 1024) -> dict[int, list[int]]:
    """Greedy merge of near-identical statements inside one theme: keeper -> merged rows.

    ``rows`` index ``texts`` and ``w``. Keepers are visited by decreasing weight, then
    index; a keeper absorbs every unclaimed row whose surface cosine to it is at least
    :data:`DUPLICATE_SIMILARITY` (no chaining through a third row). Cost: blocked
    products over the theme, O(m²) for a theme of m distinct statements.
    """
    import numpy as np

    if len(rows) < 2:
        return {}
    sub = surface_vectors([texts[r] for r in rows])
    pairs: dict[int, list[int]] = {}
    for start in range(0, len(rows), block):
        sims = sub[start : start + block] @ sub.T
        hi_r, hi_c = np.nonzero(sims >= DUPLICATE_SIMILARITY)
        for r, c in zip(hi_r.tolist(), hi_c.tolist(), strict=False):
            if start + r != c:
                pairs.setdefault(start + r, []).append(c)
    if not pairs:
        return {}
    order = sorted(range(len(rows)), key=lambda i: (-w[rows[i]], rows[i]))
    claimed = np.zeros(len(rows), dtype=bool)
    merged: dict[int, list[int]] = {}
    for i in order:
        if claimed[i]:
            continue
        claimed[i] = True
        absorbed = [j for j in pairs.get(i, ()) if not claimed[j]]
        if absorbed:
            claimed[absorbed] = True
            merged[rows[i]] = sorted(rows[j] for j in absorbed)
    return merged


# --------------------------------------------------------------------------------------------
# Grouping


def group_texts(
    texts: Sequence[str],
    *,
    embedder: Embedder | None = None,
    vectors: Sequence[np.ndarray | None] | None = None,
    hidden: Sequence[bool] | None = None,
    domain_pack: str | None = None,
    threshold: float | None = None,
) -> list[ThemeGroup]:
    """Group contributions into themes; every visible input index lands in exactly one theme.

    Themes come largest first (ties: the theme holding the lowest index first). Empty or
    blank texts are grouped like any other (they all share one duplicate key). ``threshold``
    overrides the average-linkage stopping similarity (default: the measured one).

    ``vectors`` are the stored sentence-model embeddings, one per text (None where missing:
    those are embedded now). ``embedder`` replaces the method altogether (tests, baselines).
    ``domain_pack`` names an opt-in domain pack (:mod:`bot.reports.domain_packs`).

    ``hidden`` marks texts the rapporteur left out: they are clustered with the others, so
    hiding one moves no other statement, and then left out of every theme (and of labels).
    """
    import numpy as np

    from bot.reports.clustering import cluster_usable, group_sums

    n = len(texts)
    if n == 0:
        return []
    texts = [str(t) for t in texts]
    visible = [True] * n if hidden is None else [not h for h in hidden]
    if len(visible) != n or (vectors is not None and len(vectors) != n):
        raise ValueError("hidden and vectors must have one entry per text")  # i18n: not shown

    # 1. Exact duplicates, O(n).
    first_of: dict[str, int] = {}
    copies: dict[int, list[int]] = {}
    for i, text in enumerate(texts):
        key = duplicate_key(text)
        if key in first_of:
            copies[first_of[key]].append(i)
        else:
            first_of[key] = i
            copies[i] = []
    uniques = sorted(copies)
    weights = np.array([1 + len(copies[u]) for u in uniques], dtype=np.float64)
    unique_texts = [texts[u] for u in uniques]

    # 2. Embedding, 3. clustering (hidden texts included).
    if len(uniques) == 1:
        labels = cells = np.zeros(1, dtype=np.int64)
        x = np.ones((1, 1), dtype=np.float32)
    else:
        if embedder is not None:
            x = l2_rows(embedder.embed(unique_texts))
            if threshold is None:
                threshold = THRESHOLDS.get(getattr(embedder, "name", ""), DEFAULT_THRESHOLD)
        else:
            stored = None
            if vectors is not None:
                stored = [next((vectors[i] for i in (u, *copies[u]) if vectors[i] is not None), None) for u in uniques]
            x, measured = _theme_vectors(unique_texts, stored, domain_pack)
            threshold = measured if threshold is None else threshold
        labels, cells = cluster_usable(x, weights, threshold)
    section_texts = unique_texts

    # Only visible texts go on: each unique text keeps its visible copies, the first of them
    # standing for the rest.
    kept_rows: list[int] = []
    members: list[list[int]] = []
    for row, u in enumerate(uniques):
        shown = [i for i in (u, *copies[u]) if visible[i]]
        if shown:
            kept_rows.append(row)
            members.append(shown)
    if not kept_rows:
        return []
    x_all = x
    rows_idx = np.asarray(kept_rows, dtype=np.int64)
    x = x_all[rows_idx]
    labels = np.unique(labels[rows_idx], return_inverse=True)[1]
    cells = cells[rows_idx]
    uniques = [m[0] for m in members]
    copies = {m[0]: m[1:] for m in members}
    weights = np.array([len(m) for m in members], dtype=np.float64)
    unique_texts = [texts[u] for u in uniques]

    # 4. Near-duplicates within each theme, 5. representatives and ordering.
    n_themes = int(labels.max()) + 1
    centres = group_sums(labels, x * weights[:, None].astype(np.float32), n_themes)
    closeness = np.einsum("ij,ij->i", x, centres[labels])  # no per-theme BLAS calls  # i18n: not shown
    by_theme = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(labels[by_theme]) != 0, True])
    themes: list[tuple[list[int], dict[int, list[int]], list[int]]] = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=False):
        rows = by_theme[start:stop].tolist()  # ascending unique positions
        if len(rows) <= NEAR_DUPLICATE_BLOCK:
            near = _near_duplicates(rows, unique_texts, weights)
        else:  # compare within k-means micro-clusters only: no O(m²) for a huge theme
            near = {}
            by_cell: dict[int, list[int]] = {}
            for r in rows:
                by_cell.setdefault(int(cells[r]), []).append(r)
            for part in by_cell.values():
                near.update(_near_duplicates(part, unique_texts, weights))
        absorbed = {r for merged in near.values() for r in merged}
        keepers = sorted((r for r in rows if r not in absorbed), key=lambda r: (-float(closeness[r]), r))
        items: list[int] = []
        duplicates: dict[int, list[int]] = {}
        for r in keepers:
            u = uniques[r]
            merged = copies[u] + [i for m in near.get(r, ()) for i in (uniques[m], *copies[uniques[m]])]
            merged.sort()
            items.append(u)
            items.extend(merged)
            if merged:
                duplicates[u] = merged
        themes.append((items, duplicates, [uniques[r] for r in keepers[:LABEL_SAMPLE]]))
    themes.sort(key=lambda t: (-len(t[0]), min(t[0])))

    # Labels from the distinct statements nearest each theme's centre (at most LABEL_SAMPLE,
    # so labelling stays O(n)), against the whole section hidden ones included.
    labels_text = theme_labels([[texts[i] for i in sample] for _, _, sample in themes], section_texts)
    return [
        ThemeGroup(label=label, items=items, duplicates=duplicates)
        for label, (items, duplicates, _) in zip(labels_text, themes, strict=True)
    ]
