"""Alternatives to the default theme grouping, measured on both labelled sets (bench/README.md).

    python bench/explore_themes.py          # about a minute on 2 cores (embeds both sets once)

Every variant starts from the same stored sentence-model vectors (all-MiniLM-L6-v2 int8,
content-word mean, rounded to float16 as stored) and is scored like the product: adjusted
Rand index within each kind, weighted by the kind's size (tests/theme_eval.py). This harness
clusters the texts as given (no exact-duplicate merging, unit weights), so its "default" row
differs from bench_themes.py by about 0.01; compare the rows with each other.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.reports.clustering import cluster  # noqa: E402
from bot.reports.embedding import decode_vector, encode_vector, l2_rows, sentence_model  # noqa: E402
from bot.reports.lexical import LexicalEmbedder  # noqa: E402
from tests.theme_eval import EVAL_SETS, adjusted_rand_index, by_kind, load_eval  # noqa: E402

Method = Callable[[np.ndarray, list[str]], np.ndarray]


def centre(x: np.ndarray, prior: float = 20.0) -> np.ndarray:
    share = len(x) / (len(x) + prior)
    return l2_rows(x - share * x.mean(axis=0))


def linkage_on(sim: np.ndarray, threshold: float) -> np.ndarray:
    """Average linkage on a precomputed similarity matrix (for the non-vector variants)."""
    n = len(sim)
    members = [[i] for i in range(n)]
    s = sim.astype(np.float64).copy()
    np.fill_diagonal(s, -np.inf)
    size = np.ones(n)
    alive = np.ones(n, dtype=bool)
    while True:
        a, b = np.unravel_index(int(np.argmax(s)), s.shape)
        if s[a, b] < threshold:
            break
        a, b = min(a, b), max(a, b)
        merged = (size[a] * s[a] + size[b] * s[b]) / (size[a] + size[b])
        size[a] += size[b]
        alive[b] = False
        members[a] += members[b]
        members[b] = []
        merged[~alive] = -np.inf
        merged[a] = -np.inf
        s[a], s[:, a] = merged, merged
        s[b], s[:, b] = -np.inf, -np.inf
    labels = np.zeros(n, dtype=np.int64)
    for g, m in enumerate([m for m in members if m]):
        labels[m] = g
    return labels


def kmeans(x: np.ndarray, k: int, restarts: int = 10) -> np.ndarray:
    best: tuple[float, np.ndarray] | None = None
    for seed in range(restarts):
        rng = np.random.default_rng(seed)
        centres = x[rng.choice(len(x), k, replace=False)]
        for _ in range(50):
            labels = np.argmax(x @ centres.T, axis=1)
            sums = np.zeros_like(centres)
            np.add.at(sums, labels, x)
            fresh = l2_rows(sums)
            empty = np.linalg.norm(sums, axis=1) == 0
            fresh[empty] = centres[empty]
            if np.allclose(fresh, centres):
                break
            centres = fresh
        objective = float((x * centres[labels]).sum())
        if best is None or objective > best[0]:
            best = (objective, labels)
    assert best is not None
    return best[1]


def default(threshold: float = 0.08, prior: float = 20.0) -> Method:
    return lambda x, _texts: cluster(centre(x, prior), np.ones(len(x)), threshold)[0]


def with_words(alpha: float, threshold: float) -> Method:
    """Sentence similarity plus ``alpha`` times centred word+character TF-IDF similarity."""

    def method(x: np.ndarray, texts: list[str]) -> np.ndarray:
        c = centre(x, 1e-9)
        words = LexicalEmbedder().embed(texts)
        lexical = words @ words.T
        return linkage_on((c @ c.T + alpha * (lexical - lexical.mean())) / (1 + alpha), threshold)

    return method


def second_order(k: int, threshold: float) -> Method:
    """Cosine between rows of the k-nearest-neighbour similarity matrix."""

    def method(x: np.ndarray, _texts: list[str]) -> np.ndarray:
        c = centre(x, 20)
        sim = c @ c.T
        profile = np.zeros_like(sim)
        nearest = np.argsort(-sim, axis=1)[:, : k + 1]
        for i in range(len(sim)):
            profile[i, nearest[i]] = np.maximum(sim[i, nearest[i]], 0)
        p = l2_rows(profile)
        return linkage_on(p @ p.T, threshold)

    return method


def strip_components(k: int, threshold: float) -> Method:
    """Centre, then remove the top ``k`` principal directions ("all-but-the-top")."""

    def method(x: np.ndarray, _texts: list[str]) -> np.ndarray:
        c = x - x.mean(axis=0)
        _, _, vt = np.linalg.svd(c, full_matrices=False)
        c = l2_rows(c - (c @ vt[:k].T) @ vt[:k])
        return cluster(c, np.ones(len(c)), threshold)[0]

    return method


def recentred(threshold: float) -> Method:
    """Coarse groups first, then each re-centred on its own mean and clustered again."""

    def method(x: np.ndarray, _texts: list[str]) -> np.ndarray:
        top = cluster(centre(x), np.ones(len(x)), -0.05)[0]
        labels = np.zeros(len(x), dtype=np.int64)
        offset = 0
        for g in range(int(top.max()) + 1):
            rows = np.flatnonzero(top == g)
            sub = cluster(centre(x[rows]), np.ones(len(rows)), threshold)[0] if len(rows) >= 12 else np.zeros(len(rows), dtype=np.int64)
            labels[rows] = sub + offset
            offset += int(sub.max()) + 1
        return labels

    return method


_CLAUSE_SPLIT = re.compile(r"[.;:!?]|,\s|\s(?:and|but|so|because|while|which|that)\s", re.IGNORECASE)


def best_clause(alpha: float, threshold: float) -> Method:
    """Statements that make several points: the similarity of their closest clauses (each
    clause embedded on its own), mixed with the whole statements' similarity."""

    def method(x: np.ndarray, texts: list[str]) -> np.ndarray:
        whole = centre(x)
        parts: list[str] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            found = [p.strip() for p in _CLAUSE_SPLIT.split(text) if len(p.strip().split()) >= 2] or [text]
            parts += found
            owner += [i] * len(found)
        clauses = centre(np.vstack([decode_vector(encode_vector(v)) for v in sentence_model().embed(parts)]))
        best = np.full((len(texts), len(texts)), -1.0)
        for a, row in enumerate(clauses @ clauses.T):
            np.maximum.at(best[owner[a]], owner, row)
        sim = (1 - alpha) * (whole @ whole.T) + alpha * np.maximum(best, best.T)
        return linkage_on(sim, threshold)

    return method


def true_k_kmeans(x: np.ndarray, _texts: list[str], k: int) -> np.ndarray:
    return kmeans(centre(x, 1e-9), k)


def within_theme_whitening(rows: list[dict], x: np.ndarray, strength: float) -> np.ndarray:
    """A linear map learned on one labelled set: it shrinks the directions along which
    statements of one theme differ (wording, length, language), so that on another set what is
    left is what themes differ by. ``strength`` regularises (a share of the mean variance)."""
    deviations = []
    for indices in by_kind(rows).values():
        vectors = l2_rows(x[indices])
        themes: dict[str, list[int]] = {}
        for j, i in enumerate(indices):
            themes.setdefault(rows[i]["theme"], []).append(j)
        deviations += [vectors[js] - vectors[js].mean(axis=0) for js in themes.values()]
    d = np.vstack(deviations)
    scatter = d.T @ d / len(d)
    values, vectors = np.linalg.eigh(scatter)
    return vectors @ np.diag(1 / np.sqrt(values + strength * np.trace(scatter) / len(scatter))) @ vectors.T


def main() -> None:
    model = sentence_model()
    sets = {}
    for name in EVAL_SETS:
        rows = load_eval(name)
        vectors = np.vstack([decode_vector(encode_vector(v)) for v in model.embed([r["text"] for r in rows])])
        sets[name] = (rows, vectors)
    variants: dict[str, Method] = {
        "default: centred, average linkage at 0.08": default(),
        "no centring prior, 0.08": default(0.08, 1e-9),
        "threshold 0.12": default(0.12),
        "+ word/char TF-IDF similarity x0.2": with_words(0.2, 0.08),
        "+ word/char TF-IDF similarity x0.4": with_words(0.4, 0.08),
        "second-order kNN similarity (k=10), 0.2": second_order(10, 0.2),
        "top principal direction removed, 0.1": strip_components(1, 0.1),
        "coarse groups re-centred, 0.06": recentred(0.06),
        "closest clauses x0.3 + whole statements, 0.1": best_clause(0.3, 0.1),
        "closest clauses x0.5 + whole statements, 0.1": best_clause(0.5, 0.1),
    }
    print("| variant | peace-security | general |")
    print("|---|---:|---:|")
    for label, method in variants.items():
        scores = []
        for rows, vectors in sets.values():
            total = 0.0
            for indices in by_kind(rows).values():
                predicted = method(vectors[indices], [rows[i]["text"] for i in indices])
                total += len(indices) * adjusted_rand_index([rows[i]["theme"] for i in indices], list(predicted))
            scores.append(total / len(rows))
        print(f"| {label} | {scores[0]:.3f} | {scores[1]:.3f} |", flush=True)
    scores = []
    for rows, vectors in sets.values():
        total = 0.0
        for indices in by_kind(rows).values():
            k = len({rows[i]["theme"] for i in indices})
            predicted = true_k_kmeans(vectors[indices], [], k)
            total += len(indices) * adjusted_rand_index([rows[i]["theme"] for i in indices], list(predicted))
        scores.append(total / len(rows))
    print(f"| spherical k-means given the true number of themes (an oracle) | {scores[0]:.3f} | {scores[1]:.3f} |")
    # Learned on one set, scored on the other (each figure is held out; best of the grid).
    names = list(sets)
    for strength in (0.3, 1.0, 3.0):
        held_out = []
        for train, test in ((names[1], names[0]), (names[0], names[1])):
            transform = within_theme_whitening(*sets[train], strength)
            rows, vectors = sets[test]
            best = 0.0
            for threshold in (0.04, 0.06, 0.08, 0.1, 0.12):
                total = 0.0
                for indices in by_kind(rows).values():
                    predicted = default(threshold)(l2_rows(vectors[indices]) @ transform, [])
                    total += len(indices) * adjusted_rand_index([rows[i]["theme"] for i in indices], list(predicted))
                best = max(best, total / len(rows))
            held_out.append(best)
        print(
            f"| within-theme whitening learned on the other set, strength {strength}, best threshold | {held_out[0]:.3f} | {held_out[1]:.3f} |"
        )


if __name__ == "__main__":
    main()
