"""Cached stages shared by the notebooks: corpus, tokens, trained word models, baselines.

Each ``prepare_*`` function loads its result from the artefact store when the inputs are
unchanged (keyed by the corpus checksum and the training parameters) and builds it otherwise,
so notebook 02 trains Word2Vec once and notebooks 03-05 reuse it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fashion_lab.cache import EncodingCache, encoding_cache_dir
from fashion_lab.config import Profile, artifacts_dir, get_profile
from fashion_lab.data import Corpus, load_corpus
from fashion_lab.models import EmbeddingModel
from fashion_lab.pretrained import load_glove, load_minilm
from fashion_lab.text import TOKENIZER_VERSION, FashionTokenizer, PhraseReport
from fashion_lab.train import TrainedWordModel, train_fasttext, train_word2vec

logger = logging.getLogger(__name__)

#: Phrases settings: a pair must occur 20 times (5 on the small sample) and score above 12.
PHRASE_MIN_COUNT = {"full": 20, "quick": 10, "sample": 5}
PHRASE_THRESHOLD = 12.0
#: How many of the most frequent domain words the sentence encoder ranks as neighbours.
NEIGHBOR_VOCABULARY_SIZE = 20000


@dataclass
class TokenizedCorpus:
    """Token lists of every document, with the phrase-aware tokenizer that produced them."""

    tokenizer: FashionTokenizer
    sentences: list[list[str]]
    phrase_report: PhraseReport
    checksum: str


def profile_dir(profile: Profile) -> Path:
    """Return the artefact folder of a profile (created on demand)."""
    path = artifacts_dir() / profile.name
    path.mkdir(parents=True, exist_ok=True)
    return path


def _key(*parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


_CORPORA: dict[str, Corpus] = {}


def prepare_corpus(profile: Profile | str | None = None) -> Corpus:
    """Load the profile's corpus once per process."""
    profile = get_profile(profile)
    key = repr(profile)
    if key not in _CORPORA:
        _CORPORA[key] = load_corpus(profile)
    return _CORPORA[key]


def prepare_tokens(profile: Profile | str | None = None) -> TokenizedCorpus:
    """Tokenise the corpus with the lexicon, fit phrases, and cache the result on disk."""
    profile = get_profile(profile)
    corpus = prepare_corpus(profile)
    min_count = PHRASE_MIN_COUNT.get(profile.name, 10)
    base = FashionTokenizer()
    # Lexicon edits change the tokens, so the lexicon files are part of the cache key.
    lexicon = [hashlib.sha256(path.read_bytes()).hexdigest() for path in base.lexicon.paths]
    key = _key(corpus.checksum, min_count, PHRASE_THRESHOLD, lexicon, TOKENIZER_VERSION)
    path = profile_dir(profile) / "tokens" / f"{key}.pkl"
    if path.is_file():
        with path.open("rb") as f:
            return pickle.load(f)

    start = time.perf_counter()
    lexicon_tokens = base.tokenize_many(corpus.documents["text"])
    tokenizer, report = base.fit_phrases(lexicon_tokens, min_count=min_count,
                                         threshold=PHRASE_THRESHOLD)
    sentences = [tokenizer.join_phrases(tokens) for tokens in lexicon_tokens]
    result = TokenizedCorpus(tokenizer, sentences, report, corpus.checksum)
    logger.info("tokens: %d documents tokenised in %.1f s", len(sentences),
                time.perf_counter() - start)
    _atomic_pickle(result, path)
    return result


def _atomic_pickle(value: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        pickle.dump(value, f)
    tmp.replace(path)


def prepare_word_models(profile: Profile | str | None = None, *,
                        show_progress: bool = False) -> dict[str, TrainedWordModel]:
    """Train (or load) Word2Vec and FastText on the profile's corpus."""
    profile = get_profile(profile)
    tokens = prepare_tokens(profile)
    trained = {}
    for algorithm, train, params in (("word2vec", train_word2vec, profile.word2vec),
                                     ("fasttext", train_fasttext, profile.fasttext)):
        params = {"seed": profile.seed, **params}
        folder = profile_dir(profile) / algorithm / _key(tokens.checksum, params)
        if (folder / "card.json").is_file():
            trained[algorithm] = TrainedWordModel.load(folder)
            continue
        model = train(tokens.sentences, tokenizer=tokens.tokenizer, show_progress=show_progress,
                      **params)
        model.save(folder)
        trained[algorithm] = model
    return trained


def neighbor_vocabulary(model: TrainedWordModel, size: int = NEIGHBOR_VOCABULARY_SIZE) -> list[str]:
    """Return the most frequent alphabetic keys of a trained model (candidate neighbours)."""
    keys = [k for k in model.model.wv.index_to_key if any(c.isalpha() for c in k)]
    return keys[:size]


def encoding_cache() -> EncodingCache:
    """Return the sentence-encoding cache, shared by all profiles (keyed by model and text)."""
    return EncodingCache(encoding_cache_dir())


def prepare_models(profile: Profile | str | None = None) -> dict[str, EmbeddingModel]:
    """Return the trained word models and the generic baselines behind one interface."""
    profile = get_profile(profile)
    trained = prepare_word_models(profile)
    tokenizer = trained["word2vec"].tokenizer
    models: dict[str, EmbeddingModel] = {}
    for model in trained.values():
        models[model.name] = model.as_embedding_model()
    glove = load_glove(tokenizer=tokenizer)
    minilm = load_minilm(vocabulary=neighbor_vocabulary(trained["word2vec"]),
                         tokenizer=tokenizer, cache=encoding_cache())
    models[glove.name] = glove
    models[minilm.name] = minilm
    return models


def heldout_summary(routes, models: dict[str, EmbeddingModel]) -> pd.DataFrame:
    """Add the word models to the routes' held-out search table, scored on the same queries.

    Args:
        routes: the result of :func:`fashion_lab.train.routes.run_routes`.
        models: models from :func:`prepare_models`; word models rank products by the mean of
            their token vectors, sentence models are already in the routes' table.
    """
    rows = []
    for name, model in models.items():
        if model.kind != "word":
            continue
        metrics = routes.task.evaluate(routes.task.rank_by_embeddings(model.encode))
        rows.append({"route": name, "kind": "word vectors (token mean)", **metrics})
    return pd.concat([routes.summary, pd.DataFrame(rows)], ignore_index=True)
