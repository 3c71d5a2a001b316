"""Train Word2Vec and FastText on tokenised fashion text, with model cards.

Two modes:

- ``reproducible``: one worker thread and a fixed seed. Vocabulary order depends only on token
  counts and first appearance (never on Python's per-process string hashing), so two fresh
  processes give bit-identical vectors and neighbour lists.
- ``fast``: several workers. Thread scheduling changes the order of updates, so vectors differ
  slightly between runs; the model card marks the run as not reproducible and records seed,
  workers and versions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from gensim.models.callbacks import CallbackAny2Vec

from fashion_lab._checks import check_choice, check_positive_int
from fashion_lab.models import WordVectorModel
from fashion_lab.text import FashionTokenizer

logger = logging.getLogger(__name__)

Mode = Literal["reproducible", "fast"]
Algorithm = Literal["word2vec", "fasttext"]


def stable_hash(text: str) -> int:
    """Hash a string the same way in every process (CRC32), unlike the built-in ``hash``."""
    return zlib.crc32(text.encode("utf-8"))


def corpus_checksum(sentences: Sequence[Sequence[str]]) -> str:
    """Return the sha256 of tokenised sentences, independent of how they are stored."""
    digest = hashlib.sha256()
    for tokens in sentences:
        digest.update(" ".join(tokens).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass
class ModelCard:
    """Training record of a word model: data checksum, parameters, versions and cost."""

    algorithm: str
    mode: str
    reproducible: bool
    seed: int
    workers: int
    parameters: dict
    corpus_checksum: str
    n_sentences: int
    n_tokens: int
    vocab_size: int
    training_seconds: float
    loss_per_epoch: list[float] | None
    loss_note: str
    versions: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


@dataclass
class TrainedWordModel:
    """A trained gensim model with the tokenizer that produced its keys and its card."""

    model: object
    tokenizer: FashionTokenizer
    card: ModelCard
    name: str

    def as_embedding_model(self) -> WordVectorModel:
        """Wrap the word vectors in the lab's common model interface."""
        return WordVectorModel(self.model.wv, name=self.name, tokenizer=self.tokenizer)

    def save(self, folder: str | Path) -> Path:
        """Save model, tokenizer and card into `folder`, replacing it only once all are written."""
        folder = Path(folder)
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.model.save(str(tmp / "model.gensim"))
        self.tokenizer.save(tmp / "tokenizer.pkl")
        (tmp / "card.json").write_text(self.card.to_json(), encoding="utf-8")
        (tmp / "name.txt").write_text(self.name, encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.replace(folder)
        return folder

    @staticmethod
    def load(folder: str | Path) -> TrainedWordModel:
        """Load a model saved with :meth:`save`."""
        from gensim.models import FastText, Word2Vec

        folder = Path(folder)
        if not (folder / "card.json").is_file():
            raise FileNotFoundError(
                f"no trained word model in {folder.resolve()} (card.json missing); train one with "
                "fashion_lab.train.train_word2vec and save it there"
            )
        card = ModelCard(**json.loads((folder / "card.json").read_text(encoding="utf-8")))
        cls = FastText if card.algorithm == "fasttext" else Word2Vec
        model = cls.load(str(folder / "model.gensim"))
        tokenizer = FashionTokenizer.load(folder / "tokenizer.pkl")
        return TrainedWordModel(model, tokenizer, card, (folder / "name.txt").read_text().strip())


def check_vocabulary(sentences: Sequence[Sequence[str]], min_count: int,
                     min_vocab_size: int = 5) -> Counter:
    """Count tokens and raise ValueError if `min_count` would leave too few to train on.

    Returns the token counts.
    """
    counts = Counter(token for tokens in sentences for token in tokens)
    if not counts:
        raise ValueError(
            "the corpus has no tokens: every sentence is empty after tokenising; check that the "
            "text column holds text"
        )
    surviving = sum(1 for c in counts.values() if c >= min_count)
    if surviving < min_vocab_size:
        top_token, top_count = counts.most_common(1)[0]
        dropped = len(counts) - surviving
        raise ValueError(
            f"min_count={min_count} keeps only {surviving} of {len(counts)} distinct tokens "
            f"(need at least {min_vocab_size}); the most frequent token, {top_token!r}, occurs "
            f"{top_count} times, so {dropped} tokens were dropped. Lower min_count (e.g. "
            f"min_count={max(1, min(top_count, min_count - 1))}) or add more text"
        )
    return counts


def train_word2vec(sentences: Sequence[Sequence[str]], *, tokenizer: FashionTokenizer,
                   **kwargs) -> TrainedWordModel:
    """Train Word2Vec on tokenised `sentences`; see :func:`train_word_model` for arguments."""
    return train_word_model(sentences, tokenizer=tokenizer, algorithm="word2vec", **kwargs)


def train_fasttext(sentences: Sequence[Sequence[str]], *, tokenizer: FashionTokenizer,
                   **kwargs) -> TrainedWordModel:
    """Train FastText on tokenised `sentences`; see :func:`train_word_model` for arguments."""
    return train_word_model(sentences, tokenizer=tokenizer, algorithm="fasttext", **kwargs)


def train_word_model(
    sentences: Sequence[Sequence[str]],
    *,
    tokenizer: FashionTokenizer,
    algorithm: Algorithm = "word2vec",
    mode: Mode = "reproducible",
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    epochs: int = 5,
    sg: int = 1,
    seed: int = 42,
    workers: int | None = None,
    name: str | None = None,
    show_progress: bool = False,
) -> TrainedWordModel:
    """Train a Word2Vec or FastText model and record a :class:`ModelCard`.

    Args:
        sentences: token lists, e.g. from ``FashionTokenizer.tokenize_many``.
        tokenizer: the tokenizer that produced `sentences`; stored with the model so that
            queries are normalised by the same rules.
        algorithm: ``"word2vec"`` or ``"fasttext"`` (subword vectors for unseen terms).
        mode: ``"reproducible"`` (one worker, bit-identical across runs) or ``"fast"``.
        workers: threads in fast mode (default: all cores); ignored in reproducible mode.
        show_progress: show a progress bar over epochs.

    Raises:
        ValueError: `min_count` leaves fewer than 5 distinct tokens (names the highest count).

    Limitations:
        gensim reports a training loss for Word2Vec only; FastText's card records None.
    """
    from gensim.models import FastText, Word2Vec

    check_choice("algorithm", algorithm, ("word2vec", "fasttext"))
    check_choice("mode", mode, ("reproducible", "fast"))
    for arg, value in {"vector_size": vector_size, "window": window, "min_count": min_count,
                       "epochs": epochs}.items():
        check_positive_int(arg, value)
    if isinstance(sentences, str) or any(isinstance(s, str) for s in sentences[:100]):
        raise TypeError(
            "sentences must be lists of tokens, not strings (a string would be split into "
            "characters); tokenise first: tokenizer.tokenize_many(texts)"
        )
    sentences = [list(s) for s in sentences if len(s)]
    check_vocabulary(sentences, min_count)
    n_workers = 1 if mode == "reproducible" else (workers or os.cpu_count() or 1)
    params = {"vector_size": vector_size, "window": window, "min_count": min_count,
              "epochs": epochs, "sg": sg, "negative": 5, "sample": 1e-3}
    callback = _EpochLogger(algorithm, epochs, show_progress)
    cls = Word2Vec if algorithm == "word2vec" else FastText
    extra = {"compute_loss": True} if algorithm == "word2vec" else {}

    start = time.perf_counter()
    model = cls(sentences=sentences, seed=seed, workers=n_workers, hashfxn=stable_hash,
                callbacks=[callback], **params, **extra)
    seconds = time.perf_counter() - start
    callback.close()

    n_tokens = sum(len(s) for s in sentences)
    logger.info("%s: %d epochs on %s sentences (%s tokens) in %.1f s, vocabulary %d",
                algorithm, epochs, f"{len(sentences):,}", f"{n_tokens:,}", seconds, len(model.wv))
    card = ModelCard(
        algorithm=algorithm, mode=mode, reproducible=mode == "reproducible", seed=seed,
        workers=n_workers, parameters=params, corpus_checksum=corpus_checksum(sentences),
        n_sentences=len(sentences), n_tokens=n_tokens, vocab_size=len(model.wv),
        training_seconds=round(seconds, 2),
        loss_per_epoch=callback.losses if algorithm == "word2vec" else None,
        loss_note=("gensim's negative-sampling loss summed over each epoch"
                   if algorithm == "word2vec" else "gensim FastText does not report a loss"),
        versions=_versions(),
    )
    if mode == "fast":
        logger.info("%s: fast mode with %d workers is not bit-for-bit reproducible; use "
                    "mode='reproducible' for identical vectors", algorithm, n_workers)
    default_name = "Word2Vec (fashion)" if algorithm == "word2vec" else "FastText (fashion)"
    return TrainedWordModel(model, tokenizer, card, name or default_name)


def _versions() -> dict:
    import gensim
    import numpy

    return {"python": platform.python_version(), "gensim": gensim.__version__,
            "numpy": numpy.__version__}


class _EpochLogger(CallbackAny2Vec):
    """Log each epoch's duration and, for Word2Vec, its loss; optionally drive a progress bar."""

    def __init__(self, algorithm: str, epochs: int, show_progress: bool) -> None:
        self.algorithm = algorithm
        self.losses: list[float] = []
        self._start = 0.0
        self._bar = None
        if show_progress:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=epochs, desc=f"{algorithm} epochs")

    def on_epoch_begin(self, model) -> None:
        self._start = time.perf_counter()
        if self.algorithm == "word2vec":
            # gensim sums the loss in a float32 over a whole train() call, and a large float32
            # sum stops growing. Restarting at 0 each epoch keeps the per-epoch sum precise.
            model.running_training_loss = 0.0

    def on_epoch_end(self, model) -> None:
        seconds = time.perf_counter() - self._start
        if self.algorithm == "word2vec":
            self.losses.append(round(float(model.get_latest_training_loss()), 2))
            logger.info("%s: epoch %d loss %.0f in %.1f s", self.algorithm, len(self.losses),
                        self.losses[-1], seconds)
        else:
            logger.info("%s: epoch done in %.1f s", self.algorithm, seconds)
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
