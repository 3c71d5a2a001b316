"""Generic vectors plus fashion keywords: BM25, rank fusion and concatenated features.

- :class:`BM25Ranker`: BM25 (``bm25s``) over the fashion tokens of
  :class:`~fashion_lab.text.FashionTokenizer`, so "boot cut" and "bootcut" match.
- :class:`DenseRanker`: cosine ranking with any :class:`~fashion_lab.models.EmbeddingModel`.
- :func:`reciprocal_rank_fusion` and :class:`FusionRanker`: reciprocal rank fusion (RRF),
  score(d) = sum over rankers of 1 / (k + rank of d), ranks starting at 1, k = 60.
- :class:`KeywordConcatModel`: generic embeddings concatenated with a TF-IDF/SVD projection
  of the fashion tokens, an :class:`~fashion_lab.models.EmbeddingModel` itself.

Rankers share ``rank(queries, k) -> {query_id: [corpus_id, ...]}`` where `queries` maps query
ids to texts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

from fashion_lab.models import SentenceModel
from fashion_lab.text import FashionTokenizer
from fashion_lab.train.heldout import rank_corpus

logger = logging.getLogger(__name__)

#: Rank offset k of reciprocal rank fusion, in score = sum of 1 / (k + rank).
RRF_K = 60


class BM25Ranker:
    """BM25 over fashion tokens.

    Args:
        corpus: corpus id -> text.
        tokenizer: tokenizer whose tokens are indexed (default: the fashion lexicon).
        k1, b: BM25 parameters.

    Example:
        >>> ranker = BM25Ranker({"a": "boot cut jeans", "b": "midi dress", "c": "sheer top"})
        >>> ranker.rank({"q": "bootcut"}, k=1)
        {'q': ['a']}
    """

    name = "BM25 (fashion tokens)"

    def __init__(self, corpus: Mapping[str, str], *, tokenizer: FashionTokenizer | None = None,
                 k1: float = 1.5, b: float = 0.75) -> None:
        import bm25s

        self.tokenizer = tokenizer or FashionTokenizer()
        self.corpus_ids = list(corpus)
        tokens = [self.tokenizer.tokenize(corpus[d]) or ["<empty>"] for d in self.corpus_ids]
        self.index = bm25s.BM25(k1=k1, b=b)
        self.index.index(tokens, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """Return the BM25 score of every corpus text for `query`, in corpus order."""
        return np.asarray(self.index.get_scores(self.tokenizer.tokenize(query)), dtype=np.float64)

    def rank(self, queries: Mapping[str, str], k: int = 10) -> dict[str, list[str]]:
        """Return the `k` best corpus ids per query; ties keep corpus order."""
        out = {}
        for query_id, text in queries.items():
            top = np.argsort(-self.scores(text), kind="stable")[:k]
            out[query_id] = [self.corpus_ids[i] for i in top]
        return out


class DenseRanker:
    """Cosine ranking of a corpus with an embedding model's ``encode``."""

    def __init__(self, model, corpus: Mapping[str, str]) -> None:
        self.model = model
        self.name = getattr(model, "name", "dense")
        self.corpus_ids = list(corpus)
        self.corpus_vectors = model.encode([corpus[d] for d in self.corpus_ids])

    def rank(self, queries: Mapping[str, str], k: int = 10) -> dict[str, list[str]]:
        """Return the `k` corpus ids with the highest cosine to each query."""
        query_ids = list(queries)
        query_vectors = self.model.encode([queries[q] for q in query_ids])
        return rank_corpus(query_vectors, self.corpus_vectors, query_ids, self.corpus_ids, k=k)


def reciprocal_rank_fusion(rankings: Sequence[Mapping[str, Sequence[str]]], *, k: int = RRF_K,
                           top: int | None = None) -> dict[str, list[tuple[str, float]]]:
    """Fuse several rankings per query by reciprocal rank fusion.

    Args:
        rankings: one ``{query_id: [corpus_id, ...]}`` per ranker, best first.
        k: rank offset; larger values flatten the difference between top ranks.
        top: keep this many fused results per query (None: all).

    Returns:
        ``{query_id: [(corpus_id, score), ...]}``, best first; ties keep first-seen order.

    Example:
        >>> fused = reciprocal_rank_fusion([{"q": ["a", "b"]}, {"q": ["b", "c"]}], k=60)
        >>> [(d, round(s, 5)) for d, s in fused["q"]]
        [('b', 0.03252), ('a', 0.01639), ('c', 0.01613)]
    """
    if k < 0:
        raise ValueError(f"k must be >= 0 for reciprocal rank fusion; got {k}")
    fused: dict[str, dict[str, float]] = {}
    for ranking in rankings:
        for query_id, ids in ranking.items():
            scores = fused.setdefault(query_id, {})
            for rank, doc_id in enumerate(ids, start=1):
                scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    return {q: sorted(s.items(), key=lambda item: -item[1])[:top] for q, s in fused.items()}


class FusionRanker:
    """Reciprocal rank fusion of several rankers, each asked for `depth` results."""

    def __init__(self, rankers: Sequence, *, k: int = RRF_K, depth: int = 100,
                 name: str | None = None) -> None:
        self.rankers = list(rankers)
        self.k = k
        self.depth = depth
        self.name = name or " + ".join(getattr(r, "name", type(r).__name__) for r in rankers)

    def rank(self, queries: Mapping[str, str], k: int = 10) -> dict[str, list[str]]:
        """Return the `k` best fused corpus ids per query."""
        rankings = [r.rank(queries, k=self.depth) for r in self.rankers]
        fused = reciprocal_rank_fusion(rankings, k=self.k, top=k)
        return {q: [d for d, _ in fused.get(q, [])] for q in queries}


class KeywordConcatModel(SentenceModel):
    """Generic sentence embeddings concatenated with keyword features.

    The keyword part is a TF-IDF over fashion tokens, projected by truncated SVD to
    `n_components` and normalised. The two unit parts are weighted by ``sqrt(1 - weight)``
    and ``sqrt(weight)``, so the result has unit length and the cosine of two texts is
    ``(1 - weight) * dense cosine + weight * keyword cosine``. A text without any token of the
    fitted TF-IDF vocabulary gets a zero keyword part, so its vector is shorter than 1. The
    rankers score by cosine, so against a query with a keyword part such a text scores
    ``sqrt(1 - weight)`` times its dense cosine.

    Args:
        base: the generic :class:`~fashion_lab.models.SentenceModel` (MiniLM).
        texts: texts the TF-IDF vocabulary and SVD are fitted on (the training corpus).
        n_components: SVD dimension.
        weight: share of the keyword part in the cosine, between 0 and 1.
    """

    def __init__(self, base: SentenceModel, texts: Sequence[str], *, n_components: int = 64,
                 weight: float = 0.3, name: str = "MiniLM + keyword SVD") -> None:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not 0 <= weight <= 1:
            raise ValueError(f"weight must be between 0 and 1; got {weight}")
        super().__init__(base.encoder, name=name, vocabulary=base.vocabulary,
                         tokenizer=base.tokenizer, cache=base.cache, model_id=base.model_id)
        self.base = base
        self.weight = weight
        self.tfidf = TfidfVectorizer(analyzer=self.tokenizer.tokenize, min_df=2, sublinear_tf=True)
        matrix = self.tfidf.fit_transform(list(texts))
        n_components = max(1, min(n_components, matrix.shape[1] - 1, matrix.shape[0] - 1))
        self.svd = TruncatedSVD(n_components=n_components, random_state=0).fit(matrix)

    @property
    def dim(self) -> int:
        return self.base.dim + self.svd.n_components

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        texts = [str(t) for t in texts]
        dense = self.base.encode(texts, batch_size=batch_size, show_progress=show_progress)
        keyword = self.svd.transform(self.tfidf.transform(texts)).astype(np.float32)
        norms = np.linalg.norm(keyword, axis=1, keepdims=True)
        keyword = np.divide(keyword, norms, out=np.zeros_like(keyword), where=norms > 0)
        return np.hstack([np.sqrt(1 - self.weight) * dense, np.sqrt(self.weight) * keyword])
