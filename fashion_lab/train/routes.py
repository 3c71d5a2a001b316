"""Run every route that adapts all-MiniLM-L6-v2 to fashion, on the same held-out data.

Routes (names as they appear in the summary):

- ``generic``: all-MiniLM-L6-v2 as shipped (baseline);
- ``bm25``: BM25 over fashion tokens (baseline);
- ``rrf``: BM25 and generic MiniLM fused by reciprocal rank fusion (k=60);
- ``keyword-concat``: generic embeddings concatenated with a TF-IDF/SVD keyword projection,
  the keyword share chosen on the dev queries among :data:`CONCAT_WEIGHTS`;
- ``adapter``: residual linear layer trained on frozen MiniLM embeddings;
- ``finetune``: MultipleNegativesRankingLoss fine-tuning on the training pairs;
- ``simcse``: continued pretraining with unsupervised SimCSE on unlabelled fashion text;
- ``simcse+finetune``: SimCSE followed by the same fine-tuning.

Trained models are cached under ``artifacts_dir() / profile.name / "transformers"`` by a
checksum of data and parameters, and encodings in the shared
:func:`~fashion_lab.cache.encoding_cache_dir`, so an unchanged re-run skips training and
encoding.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from fashion_lab._checks import check_choice
from fashion_lab.cache import EncodingCache, encoding_cache_dir
from fashion_lab.config import Profile, artifacts_dir, get_profile
from fashion_lab.data import DatasetNotFoundError
from fashion_lab.models import SentenceModel
from fashion_lab.text import FashionTokenizer
from fashion_lab.train.adapter import AdapterConfig, train_adapter
from fashion_lab.train.batching import feasible_batch_size
from fashion_lab.train.heldout import (
    UNLABELLED_DATASETS,
    PairSplit,
    RetrievalTask,
    profile_pairs,
    split_pairs,
    unlabelled_texts,
)
from fashion_lab.train.keyword import BM25Ranker, DenseRanker, FusionRanker, KeywordConcatModel
from fashion_lab.train.runtime import (
    ChunkingEncoder,
    progress_enabled,
    silence_library_progress,
    task_long_texts,
)
from fashion_lab.train.transformer import TrainConfig, train_encoder

logger = logging.getLogger(__name__)

ROUTES = ("generic", "bm25", "rrf", "keyword-concat", "adapter", "finetune", "simcse",
          "simcse+finetune")
#: Terms whose neighbours the notebook compares before and after adaptation.
KEY_TERMS = ("bootcut", "flare", "midi", "tea-length", "sheer", "cropped", "monogram")
#: Candidate shares of the keyword part in the cosine of ``keyword-concat``.
CONCAT_WEIGHTS = (0.05, 0.1, 0.2, 0.3)
SUMMARY_COLUMNS = ["route", "kind", "ndcg@10", "mrr@10", "recall@10", "training_s",
                   "peak_rss_mb", "trainable_params", "artefact_mb"]
#: File beside each trained route's card that lists the held-out texts longer than the
#: encoder's own limit.
HELD_OUT_LONG_FILE = "heldout_long_texts.csv"


@dataclass
class RouteResults:
    """Result of :func:`run_routes`.

    Attributes:
        summary: one row per route with held-out metrics and costs (:data:`SUMMARY_COLUMNS`).
        histories: route -> training history (step, epoch, train_loss, dev metrics).
        models: route -> :class:`~fashion_lab.models.EmbeddingModel` (embedding routes only).
        rankers: route -> ranker with ``rank(queries, k)`` (every route).
        cards: route -> model card of trained routes.
        task: the held-out retrieval task every route was scored on.
        split: the pairs split by product.
        skipped_datasets: purpose ("pairs", "unlabelled text") -> datasets not found and left
            out.
        skipped_routes: route -> reason it did not run (SimCSE routes without unlabelled text).
        long_texts: held-out queries and corpus texts longer than MiniLM's own limit (256
            tokens), with columns id, role (query or corpus), n_tokens and text. Every MiniLM
            route truncates them, unless ``chunk_long_texts`` averaged their windows.
        chunk_long_texts: whether MiniLM routes split long texts into windows and averaged
            them (True) or truncated them (False).
    """

    summary: pd.DataFrame
    histories: dict[str, pd.DataFrame] = field(default_factory=dict)
    models: dict = field(default_factory=dict)
    rankers: dict = field(default_factory=dict)
    cards: dict[str, dict] = field(default_factory=dict)
    task: RetrievalTask | None = None
    split: PairSplit | None = None
    skipped_datasets: dict[str, list[str]] = field(default_factory=dict)
    skipped_routes: dict[str, str] = field(default_factory=dict)
    long_texts: pd.DataFrame | None = None
    chunk_long_texts: bool = False


def run_routes(profile: Profile | str | None = None, *, routes: Sequence[str] | None = None,
               show_progress: bool | None = None, chunk_long_texts: bool = False) -> RouteResults:
    """Run (or load from the cache) each route for `profile` and score it on held-out queries.

    Args:
        profile: a profile or its name; default from ``FASHION_LAB_PROFILE``.
        routes: subset of :data:`ROUTES` (default: all); ``simcse+finetune`` also runs
            ``simcse``.
        show_progress: progress bars; default on unless ``FASHION_LAB_STATIC=1``.
        chunk_long_texts: encode texts longer than the encoder's limit (256 tokens for
            MiniLM) as the mean of their windows (:class:`~fashion_lab.train.runtime.
            ChunkingEncoder`) in every MiniLM route, instead of truncating them.

    Raises:
        DatasetNotFoundError: a real-data profile found none of the pair datasets. Datasets
            that are missing while others are found are skipped with a warning and listed in
            :attr:`RouteResults.skipped_datasets`. When none of the unlabelled-text datasets
            is found, the SimCSE routes are skipped and listed in
            :attr:`RouteResults.skipped_routes`.
    """
    profile = get_profile(profile)
    if not progress_enabled(show_progress):
        silence_library_progress()
    routes = list(routes or ROUTES)
    for route in routes:
        check_choice("route", route, ROUTES)
    settings = profile.transformer
    pairs, skipped = profile_pairs(profile)
    split = split_pairs(pairs, max_train=settings.get("max_pairs"), seed=profile.seed)
    task = RetrievalTask.from_pairs(split.test, n_queries=settings["eval_queries"],
                                    n_corpus=settings["eval_corpus"], seed=profile.seed,
                                    distractors=split.train)
    task.info["skipped_datasets"] = skipped
    dev = RetrievalTask.from_pairs(split.dev, n_queries=max(20, settings["eval_queries"] // 3),
                                   n_corpus=max(100, settings["eval_corpus"] // 4),
                                   seed=profile.seed, name="dev", distractors=split.train)
    logger.info("routes: held-out task %s, dev task %s", task.info, dev.info)
    runner = _Runner(profile, split, task, dev, show_progress, chunk_long_texts)
    runner.skipped["pairs"] = skipped
    for route in routes:
        runner.run(route)
    summary = pd.DataFrame(runner.rows, columns=SUMMARY_COLUMNS)
    return RouteResults(summary=summary, histories=runner.histories, models=runner.models,
                        rankers=runner.rankers, cards=runner.cards, task=task, split=split,
                        skipped_datasets=runner.skipped, skipped_routes=runner.skipped_routes,
                        long_texts=runner.long_texts, chunk_long_texts=chunk_long_texts)


class _Runner:
    """Runs routes one by one, sharing the base model, caches and tasks."""

    def __init__(self, profile, split, task, dev, show_progress, chunk_long_texts) -> None:
        from fashion_lab.pretrained import load_minilm

        self.profile, self.split, self.task, self.dev = profile, split, task, dev
        self.show_progress = show_progress
        self.chunk_long_texts = chunk_long_texts
        self.output_dir = artifacts_dir() / profile.name / "transformers"
        texts = list(split.train["query"]) + list(split.train["product_text"])
        self.vocabulary = candidate_vocabulary(texts)
        base = load_minilm(vocabulary=self.vocabulary,
                           cache=EncodingCache(encoding_cache_dir()))
        self.long_texts = task_long_texts(base.encoder, task.queries, task.corpus)
        logger.info("routes: %d held-out texts are longer than MiniLM's limit of %d tokens and "
                    "are %s", len(self.long_texts), base.encoder.max_seq_length,
                    "chunked" if chunk_long_texts else "truncated")
        if chunk_long_texts:
            base = SentenceModel(ChunkingEncoder(base.encoder), name=base.name,
                                 vocabulary=base.vocabulary, tokenizer=base.tokenizer,
                                 cache=base.cache, model_id=base.model_id + "-chunked")
        self.base = base
        self.skipped: dict[str, list[str]] = {}
        self.skipped_routes: dict[str, str] = {}
        self.rows: list[dict] = []
        self.histories: dict[str, pd.DataFrame] = {}
        self.models: dict = {}
        self.rankers: dict = {}
        self.cards: dict[str, dict] = {}
        settings = profile.transformer
        self.config = TrainConfig(epochs=settings.get("epochs", 1),
                                  batch_size=settings.get("batch_size", 32),
                                  max_seq_length=settings.get("max_seq_length", 64),
                                  seed=profile.seed)

    def run(self, route: str) -> None:
        if route in self.rankers or route in self.skipped_routes:
            return
        getattr(self, "_" + route.replace("+", "_").replace("-", "_"))()

    def _score(self, route: str, kind: str, ranker, card: dict | None = None) -> None:
        metrics = self.task.evaluate(ranker.rank(self.task.queries, k=10))
        card = card or {}
        self.rankers[route] = ranker
        self.rows.append({"route": route, "kind": kind, **metrics,
                          "training_s": card.get("training_seconds", 0.0),
                          "peak_rss_mb": card.get("peak_rss_mb"),
                          "trainable_params": card.get("trainable_params", 0),
                          "artefact_mb": card.get("artefact_mb", 0.0)})
        logger.info("routes: %s nDCG@10 %.3f", route, metrics["ndcg@10"])

    def _embedding(self, route: str, kind: str, model, card: dict | None = None) -> None:
        self.models[route] = model
        self._score(route, kind, DenseRanker(model, self.task.corpus), card)

    def _generic(self) -> None:
        self._embedding("generic", "baseline", self.base)

    def _bm25(self) -> None:
        self._score("bm25", "baseline", BM25Ranker(self.task.corpus))

    def _rrf(self) -> None:
        self.run("generic")
        self.run("bm25")
        ranker = FusionRanker([self.rankers["bm25"], self.rankers["generic"]], name="rrf")
        self._score("rrf", "keywords", ranker)

    def _keyword_concat(self) -> None:
        # The keyword weight is chosen on the dev task; the held-out task only scores the choice.
        texts = list(dict.fromkeys(self.split.train["product_text"]))
        best, best_score = None, -1.0
        for weight in CONCAT_WEIGHTS:
            model = KeywordConcatModel(self.base, texts, weight=weight)
            score = self.dev.evaluate(self.dev.rank_by_embeddings(model.encode))["ndcg@10"]
            logger.info("routes: keyword-concat weight %.2f has dev nDCG@10 %.3f", weight, score)
            if score > best_score:
                best, best_score = model, score
        best.name = f"MiniLM + keyword SVD (weight {best.weight:.2f})"
        self._embedding("keyword-concat", "keywords", best)

    def _adapter(self) -> None:
        config = AdapterConfig(seed=self.profile.seed,
                               batch_size=self._batch_size(self.split.train, 64))
        trained = train_adapter(self.base, self.split.train, dev_task=self.dev,
                                output_dir=self.output_dir, config=config,
                                show_progress=self.show_progress)
        self._trained("adapter", "adapter", trained, trained.as_embedding_model(self.base))

    def _finetune(self, route: str = "finetune", base=None) -> None:
        kwargs = {"base": base} if base is not None else {}
        config = replace(self.config,
                         batch_size=self._batch_size(self.split.train, self.config.batch_size))
        trained = train_encoder(self.split.train, name=route, dev_task=self.dev,
                                output_dir=self.output_dir, config=config,
                                show_progress=self.show_progress, **kwargs)
        model = trained.as_embedding_model(vocabulary=self.vocabulary, cache=self.base.cache,
                                           chunk_long_texts=self.chunk_long_texts)
        self._trained(route, "fine-tuned", trained, model)

    def _simcse(self) -> None:
        held_out = set(self.task.corpus.values()) | set(self.task.queries.values())
        try:
            texts, skipped = unlabelled_texts(self.profile, exclude=held_out)
        except DatasetNotFoundError as error:
            logger.warning("routes: skipping simcse: %s", str(error).splitlines()[0])
            self.skipped["unlabelled text"] = list(UNLABELLED_DATASETS)
            self.skipped_routes["simcse"] = "no unlabelled-text dataset was found"
            return
        self.skipped["unlabelled text"] = skipped
        pairs = pd.DataFrame({"query": texts, "product_text": texts,
                              "product_id": range(len(texts))})
        config = replace(self.config, learning_rate=3e-5,
                         batch_size=self._batch_size(pairs, self.config.batch_size))
        trained = train_encoder(pairs, name="simcse", dev_task=self.dev, output_dir=self.output_dir,
                                config=config, show_progress=self.show_progress)
        model = trained.as_embedding_model(vocabulary=self.vocabulary, cache=self.base.cache,
                                           chunk_long_texts=self.chunk_long_texts)
        self._trained("simcse", "continued pretraining", trained, model)

    def _simcse_finetune(self) -> None:
        self.run("simcse")
        if "simcse" in self.skipped_routes:
            logger.warning("routes: skipping simcse+finetune, because simcse was skipped")
            self.skipped_routes["simcse+finetune"] = "simcse was skipped"
            return
        self._finetune("simcse+finetune", base=self.cards["simcse"]["path"])

    @staticmethod
    def _batch_size(pairs: pd.DataFrame, requested: int) -> int:
        return feasible_batch_size(list(pairs["query"]), list(pairs["product_text"]), requested)

    def _trained(self, route: str, kind: str, trained, model) -> None:
        self.long_texts.to_csv(trained.path / HELD_OUT_LONG_FILE, index=False)
        card = {**trained.card, "path": str(trained.path),
                "heldout_long_texts": len(self.long_texts),
                "heldout_long_text_handling": "chunked" if self.chunk_long_texts else "truncated",
                "heldout_long_texts_file": HELD_OUT_LONG_FILE}
        self.cards[route] = card
        self.histories[route] = trained.history.assign(route=route)
        self._embedding(route, kind, model, card)


def candidate_vocabulary(texts: Sequence[str], n: int = 2000) -> list[str]:
    """Return the key terms and the `n` most frequent fashion tokens of `texts` (3+ letters),
    the candidates among which sentence models rank neighbours."""
    tokenizer = FashionTokenizer()
    counts = Counter(t for text in texts for t in tokenizer.tokenize(str(text))
                     if len(t) >= 3 and t.replace("-", "").isalpha())
    return list(dict.fromkeys(list(KEY_TERMS) + [t for t, _ in counts.most_common(n)]))


def neighbors_table(models: dict, terms: Sequence[str] = KEY_TERMS, k: int = 5) -> pd.DataFrame:
    """Return the `k` nearest candidate terms of each term for each model.

    Returns:
        Frame with one row per term and one column per model, cells ``"a, b, c"``.
    """
    table = {}
    for name, model in models.items():
        table[name] = [", ".join(model.neighbors(term, k=k)["neighbor"]) for term in terms]
    return pd.DataFrame(table, index=pd.Index(list(terms), name="term"))


def summarize_findings(summary: pd.DataFrame, cards: dict[str, dict] | None = None) -> str:
    """Return Markdown bullet points comparing each route with the generic baseline.

    With `cards` (:attr:`RouteResults.cards`), a trained route whose early stopping kept the
    starting weights (best step or epoch 0) is marked as unchanged by training.
    """
    cards = cards or {}
    table = summary.set_index("route")
    if "generic" not in table.index:
        raise ValueError("summary has no 'generic' row; run_routes(..., routes=[..., 'generic'])")
    base = table.loc["generic", "ndcg@10"]
    best = table["ndcg@10"].idxmax()
    lines = [f"- Best route on the held-out queries: **{best}** with nDCG@10 "
             f"{table.loc[best, 'ndcg@10']:.3f}, against {base:.3f} for generic MiniLM "
             f"({table.loc[best, 'ndcg@10'] - base:+.3f})."]
    for route, row in table.drop(index="generic").iterrows():
        cost = (f", {row['training_s']:.0f} s of training, {int(row['trainable_params']):,} "
                "trainable parameters") if row["training_s"] else ", no training"
        card = cards.get(route, {})
        kept = card.get("best_step", card.get("best_epoch")) == 0
        note = (" Early stopping kept the starting weights, because no evaluation beat the "
                "starting dev score.") if kept else ""
        lines.append(f"- {route}: nDCG@10 {row['ndcg@10']:.3f} "
                     f"({row['ndcg@10'] - base:+.3f} vs generic){cost}.{note}")
    return "\n".join(lines)
