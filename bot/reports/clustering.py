"""Clustering of unit vectors into themes: average linkage with a stopping similarity.

With unit vectors the average cosine between two clusters is the dot product of their
*mean* vectors, so merges are Lance-Williams updates on a k×k matrix. Up to
:data:`MAX_DIRECT` distinct texts, every text starts as its own cluster (exact average
linkage, O(k²) memory, about 0.1 s at 600). Above that, a weighted spherical k-means (in a
fixed random projection to :data:`PROJECTION_DIM` dimensions; weighted random seeds, fixed
seed; at most 12 Lloyd iterations, O(n·k·d) each) first compresses the texts into
:data:`MICRO_CLUSTERS` micro-clusters and average linkage runs on those. Either way one
refinement pass then moves each text to the nearest theme mean. Nothing grows
quadratically with n. Ties always go to the lowest index: same input, same clusters.
"""

from __future__ import annotations

import numpy as np

from bot.reports.embedding import l2_rows

#: Largest number of distinct texts clustered directly by average linkage; above it,
#: k-means first compresses them into ``MICRO_CLUSTERS`` micro-clusters.
MAX_DIRECT = 600
MICRO_CLUSTERS = 400


def _average_linkage(sums: np.ndarray, weights: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage agglomeration of weighted unit-vector groups.

    ``sums[i]`` is the weighted sum of the unit vectors in start group ``i`` and
    ``weights[i]`` their total weight. The average pairwise cosine between two groups is
    ``sums[a] @ sums[b] / (weights[a] * weights[b])``; merging updates it by Lance-Williams
    (weight-averaged rows). Merges stop when no pair averages ``threshold`` or more.
    Ties go to the lowest (row, column) pair, so the result is deterministic.
    Returns groups as lists of start-group indices, each sorted.
    """
    k = len(weights)
    members: list[list[int]] = [[i] for i in range(k)]
    if k < 2:
        return members
    means = sums / weights[:, None]
    sim = (means @ means.T).astype(np.float64)
    np.fill_diagonal(sim, -np.inf)
    size = weights.astype(np.float64).copy()
    alive = np.ones(k, dtype=bool)
    # best[i] = column of the most similar live group for row i (lowest index on ties).
    best = np.argmax(sim, axis=1)
    best_val = sim[np.arange(k), best]
    while True:
        a = int(np.argmax(np.where(alive, best_val, -np.inf)))
        if best_val[a] < threshold or not alive[a]:
            break
        b = int(best[a])
        a, b = min(a, b), max(a, b)
        merged = (size[a] * sim[a] + size[b] * sim[b]) / (size[a] + size[b])
        size[a] += size[b]
        alive[b] = False
        members[a].extend(members[b])
        members[b] = []
        merged[~alive] = -np.inf
        merged[a] = -np.inf
        sim[a, :] = merged
        sim[:, a] = merged
        sim[b, :] = -np.inf
        sim[:, b] = -np.inf
        best_val[b] = -np.inf
        # Rows whose best partner was a or b, and row a, need a fresh argmax; other rows
        # only need to check the new column a.
        stale = alive & ((best == a) | (best == b))
        stale[a] = True
        for i in np.flatnonzero(stale):
            best[i] = int(np.argmax(sim[i]))
            best_val[i] = sim[i, best[i]]
        better = alive & (merged > best_val)
        better[a] = False
        best[better] = a
        best_val[better] = merged[better]
        # A tie with a lower column must win for determinism: recompute exact ties.
        ties = alive & (merged == best_val) & (best > a)
        ties[a] = False
        best[ties] = a
    return [sorted(m) for m in members if m]


def group_sums(labels: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Row sums of ``values`` per label (0..k-1), O(n·d) (or O(n·k·d) for small k).

    Few groups: one BLAS product with a one-hot matrix. Many groups: a stable sort and
    ``np.add.reduceat``. (``np.add.at`` was an order of magnitude slower than either.)
    """
    values = np.asarray(values, dtype=np.float32)
    if k <= 128:
        onehot = np.zeros((k, len(labels)), dtype=np.float32)
        onehot[labels, np.arange(len(labels))] = 1.0
        sums: np.ndarray = onehot @ values
        return sums
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sums = np.zeros((k, values.shape[1]), dtype=np.float32)
    sums[ordered[starts]] = np.add.reduceat(values[order], starts, axis=0)
    return sums


#: Dimension of the random projection the k-means micro-clustering works in.
PROJECTION_DIM = 128


def _project(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Gaussian random projection to ``PROJECTION_DIM`` (fixed seed), rows re-normalised.

    Only the micro-clustering runs in the projection, where small distortions of cosine
    (about 1/sqrt(dim)) merely move texts between neighbouring micro-clusters; the
    average linkage and the refinement use the full vectors.
    """
    if x.shape[1] <= PROJECTION_DIM:
        return x
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((x.shape[1], PROJECTION_DIM)).astype(np.float32)
    return l2_rows(x @ matrix)


def _seed_centres(x: np.ndarray, w: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """``k`` distinct rows drawn with probability proportional to weight (fixed seed).

    k-means++ would need k sequential matrix-vector products, slow with a multi-threaded
    BLAS on small vectors; for over-clustering into many micro-clusters, weighted random
    seeds followed by Lloyd iterations (matrix-matrix products) do as well.
    """
    rng = np.random.default_rng(seed)
    chosen = rng.choice(x.shape[0], size=k, replace=False, p=w / w.sum())
    return x[np.sort(chosen)]


def _spherical_kmeans(x: np.ndarray, w: np.ndarray, k: int, *, iterations: int = 12) -> np.ndarray:
    """Weighted spherical k-means; returns a label per row. O(n·k·d) per iteration."""
    centres = _seed_centres(x, w, k)
    labels = np.full(x.shape[0], -1)
    for _ in range(iterations):
        new = np.argmax(x @ centres.T, axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        sums = group_sums(labels, x * w[:, None], k).astype(np.float32)
        norms = np.linalg.norm(sums, axis=1)
        empty = norms == 0
        sums[~empty] /= norms[~empty, None]
        sums[empty] = centres[empty]
        centres = sums
    return labels


def cluster(x: np.ndarray, w: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Theme label per row of ``x`` (unit vectors, weights ``w``), and its micro-cluster.

    Average linkage over the texts (up to ``MAX_DIRECT``) or over k-means micro-clusters,
    then one refinement pass that moves every text to the theme whose weighted mean it is
    most similar to (ties: the lower theme number). The pass costs O(n·k·d); on the
    evaluation set it changed ARI by +0.01 to +0.03 and never lowered it.
    """
    n = x.shape[0]
    if n <= MAX_DIRECT:
        start_of = np.arange(n)
        cells = np.zeros(n, dtype=np.int64)
        groups = _average_linkage(x * w[:, None], w.astype(np.float64), threshold)
    else:
        start_of = _spherical_kmeans(_project(x), w, MICRO_CLUSTERS)
        _, start_of = np.unique(start_of, return_inverse=True)
        cells = start_of
        k = int(start_of.max()) + 1
        sums = group_sums(start_of, x * w[:, None], k)
        groups = _average_linkage(sums, np.bincount(start_of, weights=w, minlength=k), threshold)
    theme_of_start = np.empty(sum(len(g) for g in groups), dtype=np.int64)
    for g, starts in enumerate(groups):
        theme_of_start[starts] = g
    labels = theme_of_start[start_of]
    centroid_sums = group_sums(labels, x * w[:, None], len(groups))
    refined = np.argmax(x @ l2_rows(centroid_sums).T, axis=1)
    return np.unique(refined, return_inverse=True)[1], cells


def cluster_usable(x: np.ndarray, weights: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Cluster rows; texts the embedder could not place (zero rows: no usable word) become
    themes of their own, since clustering them would put them wherever an argmax tie falls."""
    usable = np.linalg.norm(x, axis=1) > 0.5
    if usable.all():
        return cluster(x, weights, threshold)
    labels = np.empty(len(x), dtype=np.int64)
    cells = np.zeros(len(x), dtype=np.int64)
    found = 0
    if usable.sum() > 1:
        sub_labels, sub_cells = cluster(x[usable], weights[usable], threshold)
        labels[usable], cells[usable] = sub_labels, sub_cells
        found = int(sub_labels.max()) + 1
    elif usable.any():
        labels[usable], found = 0, 1
    labels[~usable] = found + np.arange(int((~usable).sum()))
    return labels, cells
