"""Retrieval metrics for held-out product search: nDCG@k, MRR@k and recall@k.

Definitions (one query, ranks start at 1, each id counted once at its first rank):

- nDCG@k = DCG@k / IDCG@k with DCG@k = sum of gain / log2(rank + 1) over the top k, and IDCG@k
  the same sum for the query's relevant items sorted by gain (linear gain, not 2^gain - 1);
- reciprocal rank@k = 1 / rank of the first relevant item in the top k, 0 if none is there
  (its mean over queries is MRR@k);
- recall@k = relevant items in the top k / all relevant items of the query.

A relevance judgement is a set of relevant ids (gain 1) or a dict id -> gain; ids with gain 0
count as not relevant.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from fashion_lab._checks import check_positive_int

logger = logging.getLogger(__name__)

Relevance = Mapping[Hashable, float] | Collection[Hashable]
RECALL_CUTOFFS = (1, 5, 10, 100)


def ndcg_at_k(ranked_ids: Sequence[Hashable], relevant: Relevance, k: int) -> float:
    """Return nDCG@k of one ranking with linear gains.

    Example:
        >>> round(ndcg_at_k(["a", "x", "b"], {"a", "b"}, k=3), 4)
        0.9197
    """
    check_positive_int("k", k)
    gains = _gains(relevant)
    if not gains:
        raise ValueError("nDCG is undefined for a query with no relevant item (every gain is 0 "
                         "or the judgement is empty); leave such queries out")
    top = _first_occurrences(ranked_ids)[:k]
    dcg = sum(gains.get(item, 0.0) / math.log2(rank + 1) for rank, item in enumerate(top, 1))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(ideal, 1))
    return dcg / idcg


def recall_at_k(ranked_ids: Sequence[Hashable], relevant: Relevance, k: int) -> float:
    """Return the share of the relevant items that appear in the top `k` of one ranking."""
    check_positive_int("k", k)
    gains = _gains(relevant)
    if not gains:
        raise ValueError("recall is undefined for a query with no relevant item; leave such "
                         "queries out")
    top = _first_occurrences(ranked_ids)[:k]
    return sum(item in gains for item in top) / len(gains)


def mrr_at_k(ranked_ids: Sequence[Hashable], relevant: Relevance, k: int) -> float:
    """Return the reciprocal rank of the first relevant item in the top `k` (0 if none).

    Averaged over queries, this is MRR@k.
    """
    check_positive_int("k", k)
    gains = _gains(relevant)
    for rank, item in enumerate(_first_occurrences(ranked_ids)[:k], 1):
        if item in gains:
            return 1.0 / rank
    return 0.0


def per_query_metrics(
    rankings: Mapping[Hashable, Sequence[Hashable]],
    qrels: Mapping[Hashable, Relevance],
    k: int = 10,
    *,
    recall_at: Sequence[int] = RECALL_CUTOFFS,
) -> pd.DataFrame:
    """Return one row per judged query: query_id, ndcg@k, mrr@k and recall@c for each cutoff.

    Queries whose judgement has no relevant item are left out. A judged query missing from
    `rankings` gets an empty ranking, so it scores 0, and a warning names how many there were.
    """
    check_positive_int("k", k)
    for cutoff in recall_at:
        check_positive_int("recall_at", cutoff)
    if not isinstance(qrels, Mapping):
        raise TypeError(f"qrels must be a dict query_id -> relevant ids; got "
                        f"{type(qrels).__name__}")

    judged = {q: _gains(r) for q, r in qrels.items()}
    judged = {q: gains for q, gains in judged.items() if gains}
    if not judged:
        raise ValueError(f"none of the {len(qrels)} queries in qrels has a relevant item; "
                         "check that qrels maps query ids to non-empty sets of corpus ids")
    unranked = [q for q in judged if q not in rankings]
    if unranked:
        logger.warning("retrieval: %d of %d judged queries have no ranking (e.g. %r) and "
                       "score 0", len(unranked), len(judged), unranked[0])

    rows = []
    for query_id, gains in judged.items():
        ranked = rankings.get(query_id, ())
        row = {"query_id": query_id, f"ndcg@{k}": ndcg_at_k(ranked, gains, k),
               f"mrr@{k}": mrr_at_k(ranked, gains, k)}
        row.update({f"recall@{c}": recall_at_k(ranked, gains, c) for c in recall_at})
        rows.append(row)
    return pd.DataFrame(rows)


def evaluate_rankings(
    rankings: Mapping[Hashable, Sequence[Hashable]],
    qrels: Mapping[Hashable, Relevance],
    k: int = 10,
    *,
    recall_at: Sequence[int] = RECALL_CUTOFFS,
) -> dict[str, float]:
    """Average nDCG@k, MRR@k and recall@c over the judged queries of ranked id lists.

    For rankers that return ids (BM25, rank fusion). Use :func:`per_query_metrics` for
    the per-query values.

    Returns:
        ``{"ndcg@10": ..., "mrr@10": ..., "recall@1": ..., ..., "queries": n}``, where
        ``queries`` counts the queries averaged (those with at least one relevant item).
    """
    depth = max((len(r) for r in rankings.values()), default=0)
    short = [c for c in recall_at if c > depth]
    if short:
        logger.warning("retrieval: rankings hold at most %d ids, so recall@%s only counts "
                       "those; rank deeper for exact values", depth, max(short))
    return _average(per_query_metrics(rankings, qrels, k, recall_at=recall_at))


def evaluate_retrieval(
    query_embeddings: np.ndarray,
    corpus_embeddings: np.ndarray,
    qrels: Mapping[Hashable, Relevance] | Sequence[Relevance],
    query_ids: Sequence[Hashable],
    corpus_ids: Sequence[Hashable],
    k: int = 10,
    *,
    recall_at: Sequence[int] = RECALL_CUTOFFS,
    batch_size: int = 256,
) -> dict[str, float]:
    """Rank the corpus for each query by cosine similarity and average the retrieval metrics.

    Args:
        query_embeddings: array (n_queries, dim), row i belongs to ``query_ids[i]``.
        corpus_embeddings: array (n_corpus, dim), row j belongs to ``corpus_ids[j]``.
        qrels: dict query_id -> relevant corpus ids (a set, or a dict id -> gain), or a list
            of such judgements aligned with `query_ids`. Judged queries missing from
            `query_ids` are ignored.
        query_ids: unique id of each query row.
        corpus_ids: unique id of each corpus row.
        k: cutoff of nDCG and MRR.
        recall_at: cutoffs of recall.
        batch_size: queries scored per matrix product; memory is about
            ``batch_size * n_corpus * 4`` bytes.

    Returns:
        ``{"ndcg@10": ..., "mrr@10": ..., "recall@1": ..., "recall@5": ..., "recall@10": ...,
        "recall@100": ..., "queries": n}``.
    """
    query_ids, corpus_ids = list(query_ids), list(corpus_ids)
    _check_ids("query_ids", query_ids, len(query_embeddings), "query_embeddings")
    _check_ids("corpus_ids", corpus_ids, len(corpus_embeddings), "corpus_embeddings")
    if not isinstance(qrels, Mapping):
        if len(qrels) != len(query_ids):
            raise ValueError(f"qrels given as a list must have one entry per query; got "
                             f"{len(qrels)} entries for {len(query_ids)} query_ids")
        qrels = dict(zip(query_ids, qrels, strict=True))
    known = set(query_ids)
    qrels = {q: r for q, r in qrels.items() if q in known}
    _warn_unknown_relevant(qrels, set(corpus_ids))

    depth = max([k, *recall_at])
    indices, _ = top_k_cosine(query_embeddings, corpus_embeddings, depth, batch_size=batch_size)
    rankings = {q: [corpus_ids[j] for j in row] for q, row in zip(query_ids, indices, strict=True)}
    return _average(per_query_metrics(rankings, qrels, k, recall_at=recall_at))


def top_k_cosine(
    query_embeddings: np.ndarray,
    corpus_embeddings: np.ndarray,
    k: int,
    *,
    batch_size: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the corpus rows most similar to each query by cosine, best first.

    Scores are computed in batches of `batch_size` queries, so a 20,000 x 20,000 search with
    the default batch keeps about 20 MB of scores at a time. Rows with norm 0 score 0.

    Returns:
        ``(indices, scores)``, two arrays (n_queries, min(k, n_corpus)).

    Limitations:
        Ties inside the top k are ordered by corpus row; a tie across the k-th place is
        broken by ``numpy.argpartition``, in no promised order.
    """
    check_positive_int("k", k)
    check_positive_int("batch_size", batch_size)
    queries = _unit_rows(_as_matrix("query_embeddings", query_embeddings))
    corpus = _unit_rows(_as_matrix("corpus_embeddings", corpus_embeddings))
    if queries.shape[1] != corpus.shape[1]:
        raise ValueError(f"query and corpus embeddings must have the same dimension; got "
                         f"{queries.shape[1]} and {corpus.shape[1]}; encode both with one model")

    depth = min(k, len(corpus))
    indices = np.zeros((len(queries), depth), dtype=np.int64)
    scores = np.zeros((len(queries), depth), dtype=np.float32)
    for start in range(0, len(queries), batch_size):
        block = queries[start:start + batch_size] @ corpus.T
        if depth < len(corpus):
            top = np.argpartition(-block, depth - 1, axis=1)[:, :depth]
        else:
            top = np.broadcast_to(np.arange(len(corpus)), block.shape)
        top_scores = np.take_along_axis(block, top, axis=1)
        # Sort by score, descending, then by corpus row for ties.
        order = np.lexsort((top, -top_scores), axis=1)
        indices[start:start + len(block)] = np.take_along_axis(top, order, axis=1)
        scores[start:start + len(block)] = np.take_along_axis(top_scores, order, axis=1)
    return indices, scores


def _average(per_query: pd.DataFrame) -> dict[str, float]:
    summary = {column: float(per_query[column].mean())
               for column in per_query.columns if column != "query_id"}
    summary["queries"] = len(per_query)
    return summary


def _gains(relevant: Relevance) -> dict[Hashable, float]:
    if isinstance(relevant, str | bytes):
        raise TypeError(f"relevant must be a set of ids or a dict id -> gain; got the string "
                        f"{relevant!r}. Wrap a single id in a set: {{{relevant!r}}}")
    if isinstance(relevant, Mapping):
        gains = {item: float(gain) for item, gain in relevant.items()}
    else:
        gains = dict.fromkeys(relevant, 1.0)
    bad = {item: gain for item, gain in gains.items() if not (gain >= 0 and math.isfinite(gain))}
    if bad:
        raise ValueError(f"relevance gains must be finite and >= 0; got {bad}")
    return {item: gain for item, gain in gains.items() if gain > 0}


def _first_occurrences(ranked_ids: Sequence[Hashable]) -> list[Hashable]:
    # A ranker that repeats an id must not collect its gain twice.
    return list(dict.fromkeys(ranked_ids))


def _as_matrix(name: str, array: np.ndarray) -> np.ndarray:
    matrix = np.asarray(array, dtype=np.float32)
    if matrix.ndim != 2 or len(matrix) == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (rows, dim); got shape "
                         f"{matrix.shape}")
    bad = ~np.isfinite(matrix).all(axis=1)
    if bad.any():
        raise ValueError(f"{name} has {int(bad.sum())} row(s) with NaN or inf (first: row "
                         f"{int(np.argmax(bad))}); drop or re-encode those texts")
    return matrix


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def _warn_unknown_relevant(qrels: Mapping[Hashable, Relevance], corpus: set) -> None:
    unknown = {item for relevant in qrels.values() for item in _gains(relevant)} - corpus
    if unknown:
        logger.warning("retrieval: %d relevant id(s) are not in corpus_ids (e.g. %r), so no "
                       "ranking can find them and they count as misses", len(unknown),
                       next(iter(unknown)))


def _check_ids(name: str, ids: list, n_rows: int, rows_name: str) -> None:
    if len(ids) != n_rows:
        raise ValueError(f"{name} has {len(ids)} ids but {rows_name} has {n_rows} rows; "
                         "give one id per row")
    if len(set(ids)) != len(ids):
        repeated = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
        raise ValueError(f"{name} must be unique; {repeated!r} appears more than once")
