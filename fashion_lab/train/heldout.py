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
from fashion_lab.evaluate import evaluate_rankings, top_k_cosine
from fashion_lab.train.pairs import build_pairs

logger = logging.getLogger(__name__)

#: Real datasets that give labelled pairs, and those that give unlabelled fashion text.
PAIR_DATASETS = ("myntra_products_catalog", "hm_articles", "amazon_qa_clothing",
                 "fashion_product_images_styles")
UNLABELLED_DATASETS = ("hm_articles", "womens_clothing_reviews", "fashioniq_captions")


@dataclass
class SourceDocuments:
    """Documents loaded for one purpose, and the datasets that were not found.

    Attributes:
        documents: documents frame with the data stage's schema.
        skipped: names of the requested datasets that were not found and were left out.
    """

    documents: pd.DataFrame
    skipped: list[str] = field(default_factory=list)


def load_profile_documents(profile: Profile, names: Sequence[str] = PAIR_DATASETS, *,
                           purpose: str = "pairs") -> SourceDocuments:
    """Load the documents of `names` for a real-data profile, or the sample corpus.

    Each dataset is deduplicated by text (:func:`deduplicate_texts`), then capped at
    ``profile.max_docs_per_dataset`` rows drawn as whole products. A dataset that is not
    found is skipped with a warning and listed in :attr:`SourceDocuments.skipped`.

    Args:
        profile: the run profile.
        names: registry names of the datasets to load.
        purpose: what the documents are for, named in log lines and errors.

    Raises:
        DatasetNotFoundError: none of `names` was found.
    """
    from fashion_lab import data

    if not profile.use_real_data:
        return SourceDocuments(data.load_corpus(profile).documents)
    frames, reasons = [], {}
    for name in names:
        try:
            documents = data.load_dataset(name, seed=profile.seed)
        except data.DatasetNotFoundError as error:
            reasons[name] = str(error).splitlines()[0]
            logger.warning("%s: skipping dataset %s, which was not found: %s", purpose, name,
                           reasons[name])
            continue
        documents = deduplicate_texts(documents)
        if profile.max_docs_per_dataset is not None:
            documents = data.sample_by_product(documents, profile.max_docs_per_dataset,
                                               seed=profile.seed)
        frames.append(documents)
    if not frames:
        details = "\n".join(f"- {name}: {reason}" for name, reason in reasons.items())
        raise data.DatasetNotFoundError(
            f"{purpose}: none of the datasets {list(names)} was found. Set FASHION_LAB_DATA "
            f"to the folder that contains the dataset folders, or use the 'sample' profile. "
            f"Per dataset:\n{details}")
    documents = deduplicate_texts(pd.concat(frames, ignore_index=True))
    return SourceDocuments(documents, skipped=list(reasons))


def deduplicate_texts(documents: pd.DataFrame) -> pd.DataFrame:
    """Keep one row per text (:func:`fashion_lab.data.deduplicate`), except questions and
    answers.

    H&M colour variants repeat one description, and would otherwise become identical pairs.
    Question and answer rows are kept as they are, because they pair by record id and a short
    answer such as "Yes." belongs to many records.
    """
    from fashion_lab.data import deduplicate

    paired = documents["kind"].isin(["question", "answer"])
    if paired.all():
        return documents.reset_index(drop=True)
    unique = deduplicate(documents[~paired])
    return pd.concat([unique, documents[paired]], ignore_index=True)


def profile_pairs(profile: Profile) -> tuple[pd.DataFrame, list[str]]:
    """Build the labelled pairs of a profile.

    Each of the three pair types is capped so that, after 30% of products are held out, about
    ``max_pairs`` training pairs remain (:func:`split_pairs` then caps train exactly).

    Returns:
        The pairs, and the names of the pair datasets that were not found.

    Raises:
        DatasetNotFoundError: none of :data:`PAIR_DATASETS` was found.
        ValueError: the documents gave no pair.
    """
    source = load_profile_documents(profile)
    max_pairs = profile.transformer.get("max_pairs")
    per_type = None if max_pairs is None else int(max_pairs / 3 / 0.7) + 1
    pairs = build_pairs(source.documents, max_per_type=per_type, seed=profile.seed)
    if not profile.use_real_data:
        pairs = pd.concat([pairs, _sample_query_pairs(source.documents)], ignore_index=True)
    if pairs.empty:
        raise ValueError(f"profile {profile.name!r}: the {len(source.documents)} documents "
                         "gave no pair; pair datasets need titles, attributes or questions "
                         f"(skipped datasets: {source.skipped})")
    return pairs, source.skipped


def _sample_query_pairs(documents: pd.DataFrame) -> pd.DataFrame:
    """Pair the hand-written sample queries (``queries.csv``) with their product's description."""
    from fashion_lab.data import load_sample_queries

    queries = load_sample_queries()
    descriptions = documents[documents["kind"] == "description"].drop_duplicates("product_id")
    merged = queries.merge(descriptions[["product_id", "text", "source"]], on="product_id")
    return pd.DataFrame({"query": merged["query"].astype(str), "product_id": merged["product_id"],
                         "product_text": merged["text"].astype(str), "pair_type": "sample query",
                         "source": "sample_queries", "label": 1, "hard_negative": ""})


def unlabelled_texts(profile: Profile,
                     exclude: set[str] = frozenset()) -> tuple[list[str], list[str]]:
    """Return up to ``max_unlabelled`` distinct fashion texts (descriptions, reviews,
    captions) for continued pretraining, leaving out the texts in `exclude` (held-out corpus).

    Returns:
        The texts, and the names of the datasets in :data:`UNLABELLED_DATASETS` that were not
        found.

    Raises:
        DatasetNotFoundError: none of :data:`UNLABELLED_DATASETS` was found.
    """
    source = load_profile_documents(profile, UNLABELLED_DATASETS, purpose="unlabelled text")
    texts = pd.Series(source.documents["text"].astype(str).unique())
    texts = texts[~texts.isin(exclude) & (texts.str.split().str.len() >= 4)]
    n = profile.transformer.get("max_unlabelled") or len(texts)
    return texts.sample(n=min(n, len(texts)), random_state=profile.seed).tolist(), source.skipped


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
    never trained on. Train keeps positive pairs only, at most `max_train` of them. Dev and
    test keep pairs labelled 0, but :meth:`RetrievalTask.from_pairs` reads positives only, so
    those pairs take no part in training or evaluation.
    """
    from fashion_lab.data import split_by_product

    rest, test = split_by_product(pairs, test_size=test_size, seed=seed)
    train, dev = split_by_product(rest, test_size=dev_size / (1 - test_size), seed=seed)
    seen = set(train["query"].str.lower())
    dev = dev[~dev["query"].str.lower().isin(seen)].reset_index(drop=True)
    test = test[~test["query"].str.lower().isin(seen)].reset_index(drop=True)
    negatives = int((pairs["label"] != 1).sum())
    if negatives:
        logger.info("pairs: %d pairs labelled 0 are left out of training and evaluation",
                    negatives)
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
        """Rank the corpus for each query by the cosine of the vectors `encode` returns."""
        query_vectors = encode(list(self.queries.values()))
        corpus_vectors = encode(list(self.corpus.values()))
        return rank_corpus(query_vectors, corpus_vectors, list(self.queries), list(self.corpus),
                           k=k)

    def evaluate(self, rankings: dict[str, list[str]], k: int = 10) -> dict[str, float]:
        """Return mean nDCG@k, MRR@k and recall@k of `rankings` over this task's queries."""
        scores = evaluate_rankings(rankings, self.qrels, k, recall_at=(k,))
        return {name: scores[name] for name in (f"ndcg@{k}", f"mrr@{k}", f"recall@{k}")}


def rank_corpus(query_vectors: np.ndarray, corpus_vectors: np.ndarray,
                query_ids: Sequence[str], corpus_ids: Sequence[str], *,
                k: int = 10) -> dict[str, list[str]]:
    """Return the ids of the `k` corpus rows with the highest cosine to each query row.

    Ties are ordered by corpus row (:func:`fashion_lab.evaluate.top_k_cosine`).
    """
    indices, _ = top_k_cosine(query_vectors, corpus_vectors, k)
    return {query_id: [corpus_ids[j] for j in row]
            for query_id, row in zip(query_ids, indices, strict=True)}


def _doc_id(text: str) -> str:
    return "d" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
