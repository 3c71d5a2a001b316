"""Project term vectors to 2-D with UMAP, one projection per model (numbers only, no plotting).

:func:`project_vectors` is the core. It guards the inputs on which UMAP fails or misleads:

- rows without a vector (NaN, or all zero) are left out and listed in ``excluded``;
- identical vectors (within ``1e-6`` per coordinate) become one point that lists all its labels,
  because UMAP places copies of one vector apart and its spectral initialisation breaks on them;
- with ``n_components + 1`` points or fewer UMAP cannot run, so PCA places them; with a few more,
  ``n_neighbors`` is capped at ``n_points - 1``.

Each of these steps adds a sentence to ``notes``. UMAP results are cached on disk, because the
first call in a process spends several seconds compiling numba code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from fashion_lab import config
from fashion_lab._checks import check_choice, check_positive_int

logger = logging.getLogger(__name__)

ProjectionMethod = Literal["umap", "pca"]
#: Two vectors are duplicates when no coordinate differs by more than this (after unit scaling
#: for the cosine metric).
DUPLICATE_TOLERANCE = 1e-6


@dataclass
class Projection:
    """Low-dimensional coordinates of the unique input vectors, mapped back to every label.

    Attributes:
        coordinates: array (n_points, n_components), one row per unique vector.
        labels: the input labels, in input order.
        members: the labels that share each point, in input order.
        point_of: for each input row, the index of its point, or -1 when the row was excluded.
        excluded: labels left out because their vector was NaN or all zero.
        n_duplicates: input rows merged into an earlier identical vector.
        method: ``"umap"``, ``"pca"``, or ``"none"`` when no vector was left to place.
        n_neighbors: the n_neighbors UMAP ran with; None when UMAP did not run.
        notes: each way the run differed from a plain UMAP fit, as a sentence.
        from_cache: whether the coordinates were read from the disk cache.
    """

    coordinates: np.ndarray
    labels: list[str]
    members: list[list[str]]
    point_of: np.ndarray
    excluded: list[str] = field(default_factory=list)
    n_duplicates: int = 0
    method: str = "umap"
    n_neighbors: int | None = None
    notes: list[str] = field(default_factory=list)
    from_cache: bool = False

    @property
    def counts(self) -> np.ndarray:
        """Number of labels at each point."""
        return np.array([len(m) for m in self.members], dtype=int)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per placed label: label, point, x, y, n_duplicates, members.

        ``n_duplicates`` counts the other labels at the same point; ``members`` joins all of
        them with ``", "``.
        """
        rows = []
        for label, point in zip(self.labels, self.point_of, strict=True):
            if point < 0:
                continue
            xy = self.coordinates[point]
            rows.append({"label": label, "point": int(point), "x": float(xy[0]),
                         "y": float(xy[1]) if len(xy) > 1 else 0.0,
                         "n_duplicates": len(self.members[point]) - 1,
                         "members": ", ".join(self.members[point])})
        columns = ["label", "point", "x", "y", "n_duplicates", "members"]
        return pd.DataFrame(rows, columns=columns)


def project_vectors(
    vectors: np.ndarray,
    labels: Sequence[str],
    *,
    n_components: int = 2,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    seed: int = 42,
    metric: str = "cosine",
    method: ProjectionMethod = "umap",
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
) -> Projection:
    """Project `vectors` (one row per label) with UMAP, guarding tiny and duplicated inputs.

    Args:
        vectors: array (n_labels, dim); NaN or all-zero rows are excluded and reported.
        labels: one label per row.
        n_components: output dimension.
        n_neighbors: UMAP neighbourhood size; capped at ``n_points - 1`` for small inputs.
        min_dist: UMAP minimum distance between points in the output.
        seed: UMAP ``random_state``; UMAP then runs single-threaded and reproducibly.
        metric: UMAP metric. With ``"cosine"`` rows are scaled to unit length before duplicates
            are merged, so parallel vectors count as duplicates.
        method: ``"umap"``, or ``"pca"`` to skip UMAP altogether.
        cache_dir: folder of cached UMAP coordinates (default ``artifacts_dir()/projections``).
        use_cache: read and write that cache.

    Returns:
        A :class:`Projection`. Tiny, duplicated, NaN or all-zero inputs do not raise (only
        invalid arguments do). When UMAP itself fails, PCA places the points and the error is
        logged and named in ``notes``.

    Example:
        >>> vectors = np.array([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0]])
        >>> project_vectors(vectors, ["bootcut", "flare"], use_cache=False).method
        'pca'
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    labels = [str(label) for label in labels]
    _check_inputs(vectors, labels, n_components, n_neighbors, min_dist, method)
    notes: list[str] = []

    usable = np.isfinite(vectors).all(axis=1) & (np.abs(vectors).sum(axis=1) > 0)
    excluded = [label for label, ok in zip(labels, usable, strict=True) if not ok]
    if excluded:
        notes.append(f"{len(excluded)} of {len(labels)} labels have no vector (NaN or all zero) "
                     f"and were left out: {', '.join(excluded)}")
    valid = vectors[usable]
    if metric == "cosine" and len(valid):
        valid = valid / np.linalg.norm(valid, axis=1, keepdims=True)

    unique, members, point_of = _merge_duplicates(valid, labels, usable)
    n_points = len(unique)
    n_duplicates = len(valid) - n_points
    if n_duplicates:
        notes.append(f"{n_duplicates} duplicate vectors merged: {len(valid)} rows became "
                     f"{n_points} unique points")

    projection = Projection(np.zeros((n_points, n_components)), labels, members, point_of, excluded,
                            n_duplicates, method, None, notes)
    _place(projection, unique, n_components, n_neighbors, min_dist, seed, metric,
           Path(cache_dir) if cache_dir is not None else None, use_cache)
    return projection


def _merge_duplicates(
    valid: np.ndarray, labels: list[str], usable: np.ndarray,
) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
    """Return the unique rows of `valid`, the labels at each, and each label's point or -1."""
    point_of_valid = _group_duplicates(valid, DUPLICATE_TOLERANCE)
    n_points = int(point_of_valid.max()) + 1 if len(valid) else 0
    point_of = np.full(len(labels), -1, dtype=int)
    point_of[usable] = point_of_valid
    members: list[list[str]] = [[] for _ in range(n_points)]
    for label, point in zip(labels, point_of, strict=True):
        if point >= 0:
            members[point].append(label)
    unique = valid[np.unique(point_of_valid, return_index=True)[1]]
    return unique, members, point_of


def _check_inputs(vectors: np.ndarray, labels: list[str], n_components: int, n_neighbors: int,
                  min_dist: float, method: str) -> None:
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array (n_labels, dim); got shape {vectors.shape}")
    if len(labels) != len(vectors):
        raise ValueError(f"labels must give one label per vector row; got {len(labels)} labels "
                         f"for {len(vectors)} rows")
    check_positive_int("n_components", n_components)
    check_positive_int("n_neighbors", n_neighbors)
    if n_neighbors < 2:
        raise ValueError(f"n_neighbors must be at least 2 for UMAP; got {n_neighbors}")
    if min_dist < 0:
        raise ValueError(f"min_dist must be >= 0; got {min_dist}")
    check_choice("method", method, ("umap", "pca"))


def _place(projection: Projection, unique: np.ndarray, n_components: int, n_neighbors: int,
           min_dist: float, seed: int, metric: str, cache_dir: Path | None,
           use_cache: bool) -> None:
    """Fill ``projection.coordinates`` by UMAP, or by PCA where UMAP cannot run."""
    n_points = len(unique)
    notes = projection.notes
    if n_points == 0:
        projection.method = "none"
        notes.append("no vectors left to project")
        return
    if projection.method == "pca":
        projection.coordinates = _pca(unique, n_components)
        return
    if n_points <= n_components + 1:
        projection.method = "pca"
        projection.coordinates = _pca(unique, n_components)
        point_word = "point" if n_points == 1 else "points"
        notes.append(f"UMAP skipped: {n_points} {point_word} (a {n_components}-d UMAP needs at "
                     f"least {n_components + 2}); placed by PCA instead")
        return
    if n_neighbors >= n_points:
        notes.append(f"n_neighbors capped at {n_points - 1} (requested {n_neighbors}) because "
                     f"there are only {n_points} unique points")
        n_neighbors = n_points - 1
    projection.n_neighbors = n_neighbors
    params = {"n_components": n_components, "n_neighbors": n_neighbors, "min_dist": min_dist,
              "seed": seed, "metric": metric}
    path = _cache_path(cache_dir, unique, params) if use_cache else None
    cached = _load_array(path) if path is not None and path.is_file() else None
    if cached is not None and cached.shape == (n_points, n_components):
        projection.coordinates = cached
        projection.from_cache = True
        logger.debug("projection: %d points read from %s", n_points, path)
        return
    try:
        coordinates = _fit_umap(unique, **params)
    except Exception as error:  # noqa: BLE001 - numba and eigensolver errors vary by version
        logger.warning("projection: UMAP failed on %d points (%s: %s), placing them by PCA "
                       "instead", n_points, type(error).__name__, error)
        logger.debug("projection: UMAP failure details", exc_info=True)
        projection.method = "pca"
        projection.coordinates = _pca(unique, n_components)
        notes.append(f"UMAP failed ({type(error).__name__}: {error}); placed by PCA instead")
        return
    projection.coordinates = coordinates
    if path is not None:
        _save_array(path, coordinates)


def _fit_umap(vectors: np.ndarray, *, n_components: int, n_neighbors: int, min_dist: float,
              seed: int, metric: str) -> np.ndarray:
    import umap

    start = time.perf_counter()
    # n_jobs=1 because a fixed random_state makes UMAP single-threaded anyway.
    reducer = umap.UMAP(n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist,
                        metric=metric, random_state=seed, n_jobs=1)
    coordinates = np.asarray(reducer.fit_transform(vectors), dtype=np.float64)
    logger.info("projection: UMAP on %d points (n_neighbors=%d) in %.1f s", len(vectors),
                n_neighbors, time.perf_counter() - start)
    return coordinates


def _pca(vectors: np.ndarray, n_components: int) -> np.ndarray:
    """Return PCA coordinates, zero-padded where there are fewer components than requested."""
    centered = vectors - vectors.mean(axis=0)
    left, singular, _ = np.linalg.svd(centered, full_matrices=False)
    rank = int((singular > singular.max() * 1e-10).sum()) if singular.max() > 0 else 0
    scores = (left * singular)[:, : min(n_components, rank)]
    # SVD signs are arbitrary: make the largest entry of each component positive.
    signs = np.sign(scores[np.abs(scores).argmax(axis=0), range(scores.shape[1])])
    scores = scores * np.where(signs == 0, 1.0, signs)
    out = np.zeros((len(vectors), n_components))
    out[:, : scores.shape[1]] = scores
    return out


def _group_duplicates(vectors: np.ndarray, tolerance: float) -> np.ndarray:
    """Return each row's group index (first-occurrence order); groups join rows within tolerance.

    Rows are sorted by their projection onto a fixed direction, so that only rows whose
    projections differ by at most ``tolerance * ||direction||_1`` need to be compared.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=int)
    direction = np.random.default_rng(0).normal(size=vectors.shape[1])
    projected = vectors @ direction
    window = tolerance * np.abs(direction).sum() * (1 + 1e-9)
    order = np.argsort(projected, kind="stable")
    ends = np.searchsorted(projected[order], projected[order] + window, side="right")
    rows: list[int] = []
    cols: list[int] = []
    for position in range(n):
        block = order[position + 1: ends[position]]
        if len(block):
            row = order[position]
            close = block[np.abs(vectors[block] - vectors[row]).max(axis=1) <= tolerance]
            rows += [int(row)] * len(close)
            cols += close.tolist()
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    _, first_row, inverse = np.unique(component, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first_row))
    return rank[inverse]


def _cache_path(cache_dir: Path | None, vectors: np.ndarray, params: dict) -> Path:
    """Return the cache file for UMAP on `vectors` with `params` (sha256 of both).

    Labels are not part of the key because they do not change the coordinates.
    """
    import umap

    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(vectors, dtype=np.float64).tobytes())
    digest.update(repr(vectors.shape).encode())
    key = dict(params, umap=umap.__version__)
    digest.update(json.dumps(key, sort_keys=True).encode())
    folder = cache_dir if cache_dir is not None else config.artifacts_dir() / "projections"
    return folder / f"umap-{digest.hexdigest()[:32]}.npy"


def _load_array(path: Path) -> np.ndarray | None:
    try:
        return np.load(path)
    except (OSError, ValueError) as error:
        logger.warning("projection: unreadable cache file %s (%s); running UMAP again", path,
                       error)
        return None


def _save_array(path: Path, array: np.ndarray) -> None:
    """Write `array` to `path` atomically; log and carry on when the folder is not writable."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as handle:
            np.save(handle, array)
        tmp.replace(path)
    except OSError as error:
        logger.warning("projection: could not cache coordinates in %s (%s); set "
                       "FASHION_LAB_ARTIFACTS or cache_dir to a writable folder", path, error)
