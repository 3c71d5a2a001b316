"""Score one embedding model on a term benchmark: triplet accuracy and Spearman correlation.

A term that a model cannot resolve is never scored as similarity 0. The items that contain it
are skipped, counted, and listed with the missing term in the result's detail tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from fashion_lab.evaluate.benchmark import (
    PAIR_COLUMNS,
    TRIPLET_COLUMNS,
    TermBenchmark,
    load_term_benchmark,
)
from fashion_lab.models import EmbeddingModel, TermLookup

logger = logging.getLogger(__name__)

#: Lookup methods that produce a vector, in the order of the summary's ``<method>_terms`` counts.
RESOLVED_METHODS = ("exact", "normalized", "composed", "subword", "encoded")


@dataclass
class TermEvaluation:
    """One model's scores on a term benchmark, with the per-item detail behind them.

    Attributes:
        summary: one-row dict: model, kind, vocab_size, dim, benchmark, triplet_accuracy,
            triplets_covered, triplets_skipped, spearman, pairs_covered, pairs_skipped,
            oov_terms (distinct terms with lookup method ``missing``) and ``<method>_terms``
            for each method in :data:`RESOLVED_METHODS`.
        pairs: the benchmark pairs with similarity (NaN when skipped), covered and missing
            (the item's unresolved terms joined by ``", "``; empty when covered).
        triplets: the benchmark triplets with sim_positive, sim_negative, correct (pandas
            ``boolean``, NA when skipped), covered and missing.
        terms: one row per distinct term: term, normalized, method, key, note, suggestions.
        by_category: per category: triplets, triplets_covered, triplet_accuracy, pairs,
            pairs_covered, spearman.
    """

    summary: dict
    pairs: pd.DataFrame
    triplets: pd.DataFrame
    terms: pd.DataFrame
    by_category: pd.DataFrame

    @property
    def missing_terms(self) -> list[str]:
        """Benchmark terms the model could not resolve, in benchmark order."""
        return self.terms.loc[self.terms["method"] == "missing", "term"].tolist()

    def to_frame(self) -> pd.DataFrame:
        """Return the summary as a one-row DataFrame."""
        return pd.DataFrame([self.summary])


def evaluate_terms(
    model: EmbeddingModel,
    benchmark: TermBenchmark | str | Path = "v1",
) -> TermEvaluation:
    """Score `model` on the triplets and graded pairs of a term benchmark.

    A triplet is correct when ``cos(anchor, positive) > cos(anchor, negative)``; a tie counts
    as wrong. Spearman's rank correlation is taken between the cosine similarity and the
    graded score of every covered pair.

    Args:
        model: any :class:`~fashion_lab.models.EmbeddingModel`.
        benchmark: a loaded benchmark, a shipped version (``"v1"``) or a benchmark folder.

    Returns:
        A :class:`TermEvaluation`: ``.summary`` contains the headline numbers, ``.triplets``,
        ``.pairs`` and ``.terms`` list every item and term, with the missing ones marked.

    Limitations:
        Items containing a term the model cannot resolve are skipped, so two models with
        different coverage are scored on different items. Compare them on the items both
        cover with ``compare_models(..., shared_items_only=True)``.

    Example:
        >>> from gensim.models import KeyedVectors
        >>> from fashion_lab.models import WordVectorModel
        >>> wv = KeyedVectors(2)
        >>> wv.add_vectors(["bootcut", "flare", "skinny"], np.array([[1, 0], [1, .2], [0, 1.]]))
        >>> result = evaluate_terms(WordVectorModel(wv, name="toy"))
        >>> result.summary["triplets_covered"], result.summary["triplet_accuracy"]
        (1, 1.0)
        >>> "jeggings" in result.missing_terms
        True
    """
    if not isinstance(model, EmbeddingModel):
        raise TypeError(
            f"model must be a fashion_lab EmbeddingModel; got {type(model).__name__}. "
            "Wrap gensim vectors with fashion_lab.models.WordVectorModel(wv, name=...)"
        )
    if not isinstance(benchmark, TermBenchmark):
        benchmark = load_term_benchmark(benchmark)

    terms = benchmark.terms
    vectors, lookups = model.term_vectors(terms)
    vectors = _unit_rows(np.asarray(vectors, dtype=np.float64))
    index = {term: i for i, term in enumerate(terms)}
    missing = {lookup.term for lookup in lookups if not lookup.found}

    pairs = _score_pairs(benchmark.pairs, vectors, index, missing)
    triplets = _score_triplets(benchmark.triplets, vectors, index, missing)
    term_table = _term_table(lookups)
    methods = term_table["method"].value_counts()

    summary = {
        "model": model.name,
        "kind": model.kind,
        "vocab_size": model.vocab_size,
        "dim": model.dim,
        "benchmark": benchmark.version,
        "triplet_accuracy": triplet_accuracy(triplets),
        "triplets_covered": int(triplets["covered"].sum()),
        "triplets_skipped": int((~triplets["covered"]).sum()),
        "spearman": pair_spearman(pairs),
        "pairs_covered": int(pairs["covered"].sum()),
        "pairs_skipped": int((~pairs["covered"]).sum()),
        "oov_terms": int(methods.get("missing", 0)),
    }
    summary.update({f"{m}_terms": int(methods.get(m, 0)) for m in RESOLVED_METHODS})
    _log_summary(summary, [t for t in terms if t in missing])
    return TermEvaluation(summary=summary, pairs=pairs, triplets=triplets, terms=term_table,
                          by_category=_category_table(pairs, triplets))


def triplet_accuracy(triplets: pd.DataFrame, mask: pd.Series | None = None) -> float:
    """Return the share of covered triplets (within `mask`) that are correct; NaN if none."""
    keep = triplets["covered"] if mask is None else triplets["covered"] & mask
    if not keep.any():
        return float("nan")
    return float(triplets.loc[keep, "correct"].astype(bool).mean())


def pair_spearman(pairs: pd.DataFrame, mask: pd.Series | None = None) -> float:
    """Return Spearman's rho of similarity vs score on covered pairs (within `mask`).

    NaN when fewer than 3 pairs are covered or either column is constant, because the
    rank correlation is undefined there.
    """
    keep = pairs["covered"] if mask is None else pairs["covered"] & mask
    scores = pairs.loc[keep, "score"].to_numpy(dtype=float)
    similarities = pairs.loc[keep, "similarity"].to_numpy(dtype=float)
    if len(scores) < 3 or np.ptp(scores) == 0 or np.ptp(similarities) == 0:
        return float("nan")
    return float(spearmanr(scores, similarities).statistic)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    # Models return unit vectors already; this guards custom models that do not.
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norms > 0, vectors / norms, vectors)


def _cosines(vectors: np.ndarray, index: dict[str, int], left: pd.Series,
             right: pd.Series) -> np.ndarray:
    a = vectors[left.map(index).to_numpy(dtype=int)]
    b = vectors[right.map(index).to_numpy(dtype=int)]
    return np.einsum("ij,ij->i", a, b)


def _missing_in_items(frame: pd.DataFrame, columns: tuple[str, ...], missing: set[str]) -> list:
    return [", ".join(t for t in row if t in missing)
            for row in frame[list(columns)].itertuples(index=False)]


def _score_pairs(pairs: pd.DataFrame, vectors: np.ndarray, index: dict[str, int],
                 missing: set[str]) -> pd.DataFrame:
    out = pairs[[*PAIR_COLUMNS, "category"]].copy()
    out["missing"] = _missing_in_items(out, PAIR_COLUMNS[:2], missing)
    out["covered"] = out["missing"] == ""
    similarity = _cosines(vectors, index, out["term_a"], out["term_b"])
    out["similarity"] = np.where(out["covered"], similarity, np.nan)
    return out[[*PAIR_COLUMNS, "category", "similarity", "covered", "missing"]]


def _score_triplets(triplets: pd.DataFrame, vectors: np.ndarray, index: dict[str, int],
                    missing: set[str]) -> pd.DataFrame:
    out = triplets[[*TRIPLET_COLUMNS, "category"]].copy()
    out["missing"] = _missing_in_items(out, TRIPLET_COLUMNS, missing)
    out["covered"] = out["missing"] == ""
    positive = _cosines(vectors, index, out["anchor"], out["positive"])
    negative = _cosines(vectors, index, out["anchor"], out["negative"])
    out["sim_positive"] = np.where(out["covered"], positive, np.nan)
    out["sim_negative"] = np.where(out["covered"], negative, np.nan)
    correct = pd.Series(positive > negative, index=out.index, dtype="boolean")
    out["correct"] = correct.where(out["covered"], pd.NA)
    return out[[*TRIPLET_COLUMNS, "category", "sim_positive", "sim_negative", "correct",
                "covered", "missing"]]


def _term_table(lookups: list[TermLookup]) -> pd.DataFrame:
    rows = [{"term": lk.term, "normalized": lk.normalized, "method": lk.method, "key": lk.key,
             "note": lk.note, "suggestions": ", ".join(lk.suggestions)} for lk in lookups]
    return pd.DataFrame(rows, columns=["term", "normalized", "method", "key", "note",
                                       "suggestions"])


def _category_table(pairs: pd.DataFrame, triplets: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for category in sorted(set(pairs["category"]) | set(triplets["category"])):
        in_triplets = triplets["category"] == category
        in_pairs = pairs["category"] == category
        rows.append({
            "category": category,
            "triplets": int(in_triplets.sum()),
            "triplets_covered": int((triplets["covered"] & in_triplets).sum()),
            "triplet_accuracy": triplet_accuracy(triplets, in_triplets),
            "pairs": int(in_pairs.sum()),
            "pairs_covered": int((pairs["covered"] & in_pairs).sum()),
            "spearman": pair_spearman(pairs, in_pairs),
        })
    return pd.DataFrame(rows, columns=["category", "triplets", "triplets_covered",
                                       "triplet_accuracy", "pairs", "pairs_covered", "spearman"])


def _log_summary(summary: dict, missing: list[str]) -> None:
    logger.info("evaluate: %s: triplet accuracy %.3f on %d triplets, spearman %.3f on %d pairs",
                summary["model"], summary["triplet_accuracy"], summary["triplets_covered"],
                summary["spearman"], summary["pairs_covered"])
    if missing:
        examples = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
        logger.warning(
            "evaluate: %s could not resolve %d benchmark term(s) (%s), so %d triplet(s) and "
            "%d pair(s) were skipped; result.terms lists suggestions for each",
            summary["model"], len(missing), examples, summary["triplets_skipped"],
            summary["pairs_skipped"])
