"""Pair data for a profile, the split by product, and the held-out retrieval task.

Every route is scored on the same :class:`RetrievalTask`: queries of held-out products
searched against a corpus of held-out product texts. The split is by ``product_id``, so colour
variants of one product stay on one side and held-out queries are never seen in training.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fashion_lab.config import Profile
from fashion_lab.evaluate import evaluate_rankings
from fashion_lab.train.pairs import build_pairs

logger = logging.getLogger(__name__)

#: Real datasets that give labelled pairs, and those that give unlabelled fashion text.
PAIR_DATASETS = ("myntra_products_catalog", "hm_articles", "amazon_qa_clothing",
                 "fashion_product_images_styles")
UNLABELLED_DATASETS = ("hm_articles", "womens_clothing_reviews", "fashioniq_captions")


def load_profile_documents(profile: Profile, names: Sequence[str] = PAIR_DATASETS) -> pd.DataFrame:
    """Return the documents of `names` for a real-data profile, or the sample corpus."""
    from fashion_lab import data

    if not profile.use_real_data:
        return data.load_corpus(profile).documents
    frames = [data.load_dataset(name, max_docs=profile.max_docs_per_dataset, seed=profile.seed)
              for name in names]
    return pd.concat(frames, ignore_index=True)


def profile_pairs(profile: Profile) -> pd.DataFrame:
    """Build the labelled pairs of a profile.

    Each of the three pair types is capped so that, after 30% of products are held out, about
    ``max_pairs`` training pairs remain (:func:`split_pairs` then caps train exactly).
    """
    documents = load_profile_documents(profile)
    max_pairs = profile.transformer.get("max_pairs")
    per_type = None if max_pairs is None else int(max_pairs / 3 / 0.7) + 1
    pairs = build_pairs(documents, max_per_type=per_type, seed=profile.seed)
    if not profile.use_real_data:
        pairs = pd.concat([pairs, _sample_query_pairs(documents)], ignore_index=True)
    return pairs


def _sample_query_pairs(documents: pd.DataFrame) -> pd.DataFrame:
    """Pair the hand-written sample queries (``queries.csv``) with their product's description."""
    from fashion_lab.data import load_sample_queries

    queries = load_sample_queries()
    descriptions = documents[documents["kind"] == "description"].drop_duplicates("product_id")
    merged = queries.merge(descriptions[["product_id", "text", "source"]], on="product_id")
    return pd.DataFrame({"query": merged["query"].astype(str), "product_id": merged["product_id"],
                         "product_text": merged["text"].astype(str), "pair_type": "sample query",
                         "source": "sample_queries", "label": 1, "hard_negative": ""})


def unlabelled_texts(profile: Profile, exclude: set[str] = frozenset()) -> list[str]:
    """Return up to ``max_unlabelled`` distinct fashion texts (descriptions, reviews,
    captions) for continued pretraining, leaving out the texts in `exclude` (held-out corpus)."""
    names = UNLABELLED_DATASETS if profile.use_real_data else ()
    documents = load_profile_documents(profile, names) if names else \
        load_profile_documents(profile)
    texts = pd.Series(documents["text"].astype(str).unique())
    texts = texts[~texts.isin(exclude) & (texts.str.split().str.len() >= 4)]
    n = profile.transformer.get("max_unlabelled") or len(texts)
    return texts.sample(n=min(n, len(texts)), random_state=profile.seed).tolist()


@dataclass
class PairSplit:
    """Pairs split by product into train, dev (early stopping) and test (reported scores)."""

    train: pd.DataFrame
    dev: pd.DataFrame
    test: pd.DataFrame

    def sizes(self) -> dict[str, int]:
        """Return the number of pairs on each side."""
        return {"train": len(self.train), "dev": len(self.dev), "test": len(self.test)}


def split_pairs(pairs: pd.DataFrame, *, test_size: float = 0.2, dev_size: float = 0.1,
                max_train: int | None = None, seed: int = 42) -> PairSplit:
    """Split pairs by ``product_id`` into train, dev and test.

    Queries that also occur in train are removed from dev and test, so held-out queries are
    never trained on. Train keeps positive pairs only, at most `max_train` of them.
    """
    from fashion_lab.data import split_by_product

    rest, test = split_by_product(pairs, test_size=test_size, seed=seed)
    train, dev = split_by_product(rest, test_size=dev_size / (1 - test_size), seed=seed)
    seen = set(train["query"].str.lower())
    dev = dev[~dev["query"].str.lower().isin(seen)].reset_index(drop=True)
    test = test[~test["query"].str.lower().isin(seen)].reset_index(drop=True)
    train = train[train["label"] == 1]
    if max_train is not None and len(train) > max_train:
        train = train.sample(n=max_train, random_state=seed).sort_index()
    split = PairSplit(train=train.reset_index(drop=True), dev=dev, test=test)
    logger.info("pairs: split by product into %s", split.sizes())
    return split


@dataclass
class RetrievalTask:
    """Queries, a corpus and relevance judgements (qrels) for scoring a ranking.

    Attributes:
        queries: query id -> query text.
        corpus: document id -> text.
        qrels: query id -> ids of relevant documents.
    """

    queries: dict[str, str]
    corpus: dict[str, str]
    qrels: dict[str, set[str]]
    name: str = "held-out"
    info: dict = field(default_factory=dict)

    @classmethod
    def from_pairs(cls, pairs: pd.DataFrame, *, n_queries: int, n_corpus: int, seed: int = 42,
                   name: str = "held-out", distractors: pd.DataFrame | None = None
                   ) -> RetrievalTask:
        """Sample `n_queries` queries and a corpus of at most `n_corpus` texts from `pairs`.

        The corpus contains every positive of the sampled queries, filled up with other product
        texts of `pairs`, then with the product texts of `distractors` (pairs of other
        products, e.g. the training side) while room is left. Every positive pair of a query
        string counts as relevant; distractors never are.
        """
        positives = pairs[pairs["label"] == 1]
        if distractors is not None:
            extra = distractors.assign(query="", label=1)
            extra = extra[~extra["product_text"].isin(set(positives["product_text"]))]
            extra = extra.drop_duplicates("product_text").sample(frac=1.0, random_state=seed)
            positives = pd.concat([positives, extra], ignore_index=True)
        texts = positives["product_text"].astype(str)
        doc_ids = texts.map(_doc_id)
        unique_queries = pd.Series(positives["query"].astype(str).unique())
        unique_queries = unique_queries[unique_queries != ""]
        sampled = unique_queries.sample(n=min(n_queries, len(unique_queries)), random_state=seed)
        query_ids = {q: f"q{i}" for i, q in enumerate(sampled)}
        relevant = positives["query"].isin(query_ids)
        corpus = dict(zip(doc_ids[relevant], texts[relevant], strict=True))
        others = pd.Series(dict(zip(doc_ids[~relevant], texts[~relevant], strict=True)))
        room = max(0, n_corpus - len(corpus))
        if len(others) and room:
            # Held-out texts come first, distractors fill what is left.
            others = others.drop(list(corpus), errors="ignore")
            own = others[others.index.isin(set(doc_ids[positives["query"] != ""]))]
            own = own.sample(n=min(room, len(own)), random_state=seed)
            corpus.update(own.to_dict())
            rest = others.drop(own.index)
            corpus.update(rest.head(max(0, n_corpus - len(corpus))).to_dict())
        qrels: dict[str, set[str]] = {}
        relevant_pairs = zip(positives["query"][relevant], doc_ids[relevant], strict=True)
        for query, doc_id in relevant_pairs:
            qrels.setdefault(query_ids[query], set()).add(doc_id)
        queries = {qid: query for query, qid in query_ids.items()}
        info = {"queries": len(queries), "corpus": len(corpus),
                "pair_types": positives.loc[relevant, "pair_type"].value_counts().to_dict()}
        return cls(queries=queries, corpus=corpus, qrels=qrels, name=name, info=info)

    def rank_by_embeddings(self, encode: Callable[[list[str]], np.ndarray],
                           k: int = 10) -> dict[str, list[str]]:
        """Rank the corpus for each query by the dot product of `encode`'s unit vectors."""
        query_ids, corpus_ids = list(self.queries), list(self.corpus)
        query_vectors = encode([self.queries[q] for q in query_ids])
        corpus_vectors = encode([self.corpus[d] for d in corpus_ids])
        scores = query_vectors @ corpus_vectors.T
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return {q: [corpus_ids[j] for j in row]
                for q, row in zip(query_ids, top, strict=True)}

    def evaluate(self, rankings: dict[str, list[str]], k: int = 10) -> dict[str, float]:
        """Return mean nDCG@k, MRR@k and recall@k of `rankings` over this task's queries."""
        scores = evaluate_rankings(rankings, self.qrels, k, recall_at=(k,))
        return {name: scores[name] for name in (f"ndcg@{k}", f"mrr@{k}", f"recall@{k}")}


def _doc_id(text: str) -> str:
    return "d" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
