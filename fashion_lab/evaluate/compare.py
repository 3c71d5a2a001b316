"""Compare several models on a term benchmark, and put a confidence interval on accuracy."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from fashion_lab._checks import check_positive_int
from fashion_lab.evaluate.benchmark import TermBenchmark, load_term_benchmark
from fashion_lab.evaluate.terms import (
    TermEvaluation,
    evaluate_terms,
    pair_spearman,
    triplet_accuracy,
)
from fashion_lab.models import EmbeddingModel

logger = logging.getLogger(__name__)

COMPARE_COLUMNS = ["model", "kind", "vocab_size", "triplet_accuracy", "triplets_covered",
                   "spearman", "pairs_covered", "oov_terms", "composed_terms"]


class AccuracyInterval(NamedTuple):
    """A bootstrap percentile confidence interval for an accuracy."""

    accuracy: float
    low: float
    high: float
    n_items: int
    confidence_level: float


def compare_models(
    models: Iterable[EmbeddingModel],
    benchmark: TermBenchmark | str | Path = "v1",
    *,
    shared_items_only: bool = False,
    n_resamples: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Score each model on the benchmark: one row per model, in input order.

    Args:
        models: the models to compare.
        benchmark: a loaded benchmark, a shipped version or a benchmark folder.
        shared_items_only: score every model only on the triplets and pairs that all the
            models cover, so that a model with missing terms is not scored on an easier subset.
        n_resamples: when given, add ``triplet_accuracy_low`` and ``triplet_accuracy_high``,
            a 95% bootstrap interval from this many resamples (see :func:`bootstrap_accuracy`).
        seed: seed of the bootstrap.

    Returns:
        Columns model, kind, vocab_size, triplet_accuracy, triplets_covered, spearman,
        pairs_covered, oov_terms, composed_terms (and the interval columns when asked).

    Raises:
        ValueError: `models` is empty.
        TypeError: an item of `models` is not an EmbeddingModel.
    """
    results = _evaluate_all(models, benchmark)
    if n_resamples is not None:
        check_positive_int("n_resamples", n_resamples)

    triplet_mask = pair_mask = None
    if shared_items_only:
        triplet_mask = np.logical_and.reduce([r.triplets["covered"] for r in results])
        pair_mask = np.logical_and.reduce([r.pairs["covered"] for r in results])
        triplet_mask = pd.Series(triplet_mask, index=results[0].triplets.index)
        pair_mask = pd.Series(pair_mask, index=results[0].pairs.index)
        logger.info("compare: %d triplets and %d pairs are covered by all %d models",
                    int(triplet_mask.sum()), int(pair_mask.sum()), len(results))

    rows = []
    for result in results:
        row = {column: result.summary[column] for column in COMPARE_COLUMNS}
        if shared_items_only:
            row["triplet_accuracy"] = triplet_accuracy(result.triplets, triplet_mask)
            row["triplets_covered"] = int(triplet_mask.sum())
            row["spearman"] = pair_spearman(result.pairs, pair_mask)
            row["pairs_covered"] = int(pair_mask.sum())
        if n_resamples is not None:
            keep = result.triplets["covered"]
            if triplet_mask is not None:
                keep = keep & triplet_mask
            correct = result.triplets.loc[keep, "correct"].astype(bool).to_numpy()
            interval = _interval_or_nan(correct, n_resamples, seed)
            row["triplet_accuracy_low"] = interval.low
            row["triplet_accuracy_high"] = interval.high
        rows.append(row)
    return pd.DataFrame(rows)


def category_accuracy(
    models: Iterable[EmbeddingModel],
    benchmark: TermBenchmark | str | Path = "v1",
) -> pd.DataFrame:
    """Return triplet accuracy and pair Spearman per model and category (long format).

    Columns: model, category, triplets, triplets_covered, triplet_accuracy, pairs,
    pairs_covered, spearman. Accuracy is NaN for a category with no covered triplet.
    """
    frames = []
    for result in _evaluate_all(models, benchmark):
        frame = result.by_category.copy()
        frame.insert(0, "model", result.summary["model"])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def missing_terms(
    models: Iterable[EmbeddingModel],
    benchmark: TermBenchmark | str | Path = "v1",
) -> pd.DataFrame:
    """List the benchmark terms each model cannot resolve, with the items they knock out.

    Columns: model, term, normalized, triplets (how many triplets contain the term),
    pairs, suggestions (close keys in the model), note. Empty when every model resolves
    every term.
    """
    rows = []
    for result in _evaluate_all(models, benchmark):
        triplet_terms = result.triplets[["anchor", "positive", "negative"]]
        pair_terms = result.pairs[["term_a", "term_b"]]
        for lookup in result.terms[result.terms["method"] == "missing"].itertuples(index=False):
            rows.append({
                "model": result.summary["model"],
                "term": lookup.term,
                "normalized": lookup.normalized,
                "triplets": int((triplet_terms == lookup.term).any(axis=1).sum()),
                "pairs": int((pair_terms == lookup.term).any(axis=1).sum()),
                "suggestions": lookup.suggestions,
                "note": lookup.note,
            })
    return pd.DataFrame(rows, columns=["model", "term", "normalized", "triplets", "pairs",
                                       "suggestions", "note"])


def bootstrap_accuracy(
    correct: TermEvaluation | Sequence[bool] | np.ndarray,
    *,
    n_resamples: int = 2000,
    confidence_level: float = 0.95,
    seed: int = 0,
) -> AccuracyInterval:
    """Return a bootstrap percentile confidence interval for an accuracy.

    The items (triplets) are resampled with replacement `n_resamples` times with a fixed
    `seed`, so the interval is the same on every run.

    Args:
        correct: one bool per scored item, or a :class:`TermEvaluation`, whose covered
            triplets are used.
        n_resamples: number of bootstrap resamples.
        confidence_level: coverage of the interval, between 0 and 1.
        seed: seed of the resampling.

    Raises:
        ValueError: there is no item, or `confidence_level` is not between 0 and 1.

    Example:
        >>> interval = bootstrap_accuracy([True] * 30 + [False] * 10, n_resamples=1000)
        >>> interval.accuracy, interval.low < 0.75 < interval.high
        (0.75, True)
    """
    if isinstance(correct, TermEvaluation):
        triplets = correct.triplets
        correct = triplets.loc[triplets["covered"], "correct"].astype(bool).to_numpy()
    values = np.asarray(correct, dtype=float)
    check_positive_int("n_resamples", n_resamples)
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be between 0 and 1; got {confidence_level!r}")
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"bootstrap_accuracy needs a non-empty 1-D list of item results; got "
                         f"shape {values.shape}. A model that covers no triplet has no accuracy")

    accuracy = float(values.mean())
    if np.ptp(values) == 0:
        # Every resample of identical values has the same mean, so the interval is a point.
        return AccuracyInterval(accuracy, accuracy, accuracy, len(values), confidence_level)
    result = bootstrap((values,), np.mean, n_resamples=n_resamples,
                       confidence_level=confidence_level, method="percentile",
                       rng=np.random.default_rng(seed), batch=500)
    interval = result.confidence_interval
    return AccuracyInterval(accuracy, float(interval.low), float(interval.high), len(values),
                            confidence_level)


def _interval_or_nan(correct: np.ndarray, n_resamples: int, seed: int) -> AccuracyInterval:
    if len(correct) == 0:
        return AccuracyInterval(float("nan"), float("nan"), float("nan"), 0, 0.95)
    return bootstrap_accuracy(correct, n_resamples=n_resamples, seed=seed)


def _evaluate_all(models: Iterable[EmbeddingModel],
                  benchmark: TermBenchmark | str | Path) -> list[TermEvaluation]:
    models = list(models)
    if not models:
        raise ValueError("models is empty; pass at least one EmbeddingModel")
    if not isinstance(benchmark, TermBenchmark):
        benchmark = load_term_benchmark(benchmark)
    return [evaluate_terms(model, benchmark) for model in models]
