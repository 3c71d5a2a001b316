"""Measure embedding models: the fashion term benchmark and retrieval metrics for search.

- :func:`load_term_benchmark` reads graded term pairs and triplets;
- :func:`evaluate_terms` scores one model, :func:`compare_models` several, with
  :func:`category_accuracy`, :func:`missing_terms` and :func:`bootstrap_accuracy` for detail;
- :func:`evaluate_retrieval` ranks a corpus by cosine and averages nDCG@k, MRR@k and recall@k,
  and :func:`evaluate_rankings` does the same for rankers that return ids.
"""

from fashion_lab.evaluate.benchmark import TermBenchmark, available_versions, load_term_benchmark
from fashion_lab.evaluate.compare import (
    AccuracyInterval,
    bootstrap_accuracy,
    category_accuracy,
    compare_models,
    missing_terms,
)
from fashion_lab.evaluate.retrieval import (
    evaluate_rankings,
    evaluate_retrieval,
    mrr_at_k,
    ndcg_at_k,
    per_query_metrics,
    recall_at_k,
    top_k_cosine,
)
from fashion_lab.evaluate.terms import TermEvaluation, evaluate_terms

__all__ = [
    "AccuracyInterval",
    "TermBenchmark",
    "TermEvaluation",
    "available_versions",
    "bootstrap_accuracy",
    "category_accuracy",
    "compare_models",
    "evaluate_rankings",
    "evaluate_retrieval",
    "evaluate_terms",
    "load_term_benchmark",
    "missing_terms",
    "mrr_at_k",
    "ndcg_at_k",
    "per_query_metrics",
    "recall_at_k",
    "top_k_cosine",
]
