"""One interface for every embedding model in the lab: trained word vectors, GloVe, encoders.

Each model maps a term to a vector (:meth:`EmbeddingModel.term_vector`), a text to a vector
(:meth:`EmbeddingModel.encode`) and a term to its nearest neighbours
(:meth:`EmbeddingModel.neighbors`). :meth:`lookup` returns a :class:`TermLookup` with the key
used and how it was found. A term that cannot be resolved raises
:class:`~fashion_lab.TermNotFoundError` instead of scoring 0.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from fashion_lab._checks import TermNotFoundError, check_positive_int, close_matches
from fashion_lab.text import FashionTokenizer

logger = logging.getLogger(__name__)

LookupMethod = Literal["exact", "normalized", "composed", "subword", "encoded", "missing"]


@dataclass(frozen=True)
class TermLookup:
    """The result of resolving one query term in a model.

    Attributes:
        term: the term as asked.
        normalized: the term after the fashion tokenizer (``"Tea Length"`` -> ``"tea-length"``).
        key: the model key actually used; parts joined by ``" + "`` when composed; None if missing.
        method: ``exact`` (the term is a key), ``normalized`` (found after case folding, lexicon
            or the model's key scheme), ``composed`` (mean of its parts' vectors), ``subword``
            (FastText character n-grams), ``encoded`` (a sentence encoder reads any text) or
            ``missing``.
        suggestions: close keys, for a missing term.
        note: a short human-readable explanation.
        tried: the keys looked up, for a missing term.
    """

    term: str
    normalized: str
    key: str | None
    method: LookupMethod
    suggestions: tuple[str, ...] = ()
    note: str = ""
    tried: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.method != "missing"


@dataclass(frozen=True)
class KeyScheme:
    """The key format of a vector file: namespace prefix, letter case and word joiner.

    ConceptNet-style files use ``/c/en/tea_length``; GloVe uses lower-case keys joined by ``-``.
    """

    prefix: str = ""
    lowercase: bool = True
    joiner: str = "-"

    def key_for(self, words: Sequence[str]) -> str:
        """Return the key this scheme would give to the multi-word term `words`."""
        return self.prefix + self.joiner.join(words)

    def strip(self, key: str) -> str:
        """Return `key` without the prefix, words joined by spaces."""
        body = key[len(self.prefix):] if key.startswith(self.prefix) else key
        return body.replace(self.joiner, " ") if self.joiner != "-" else body


def detect_key_scheme(keys: Sequence[str], sample: int = 20000) -> KeyScheme:
    """Infer the :class:`KeyScheme` of a vocabulary from (a sample of) its keys."""
    keys = list(keys[:sample])
    if not keys:
        return KeyScheme()
    prefix = _common_prefix(keys)
    body = [k[len(prefix):] for k in keys]
    lowercase = sum(k != k.lower() for k in body) <= 0.01 * len(body)
    underscores = sum("_" in k.strip("_") for k in body)
    hyphens = sum("-" in k.strip("-") for k in body)
    joiner = "_" if underscores > hyphens else "-"
    return KeyScheme(prefix=prefix, lowercase=lowercase, joiner=joiner)


def _common_prefix(keys: Sequence[str]) -> str:
    """Return a namespace prefix shared by at least 90% of keys, ending in '/' or ':'."""
    first = keys[0]
    for end in range(len(first), 0, -1):
        candidate = first[:end]
        if candidate[-1] not in "/:":
            continue
        if sum(k.startswith(candidate) for k in keys) >= 0.9 * len(keys):
            return candidate
    return ""


class EmbeddingModel(ABC):
    """Common interface of word-vector models and sentence encoders.

    Attributes:
        name: display name used in tables and figures.
        kind: ``"word"`` for word vectors, ``"sentence"`` for encoders.
        tokenizer: the fashion tokenizer used to normalise query terms.
    """

    name: str
    kind: Literal["word", "sentence"]
    tokenizer: FashionTokenizer

    @property
    @abstractmethod
    def dim(self) -> int:
        """Vector dimension."""

    @property
    @abstractmethod
    def vocab_size(self) -> int:
        """Number of keys: words for word vectors, word pieces for sentence encoders."""

    @abstractmethod
    def lookup(self, term: str) -> TermLookup:
        """Resolve `term` to a key of this model; a miss returns a lookup with method "missing"."""

    @abstractmethod
    def _vector(self, lookup: TermLookup) -> np.ndarray:
        """Return the unit vector for a lookup that was found."""

    @abstractmethod
    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        """Return an array (n_texts, dim) of unit-length text vectors."""

    @abstractmethod
    def _neighbor_keys(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Return the `k` keys closest to `vector` with cosine scores."""

    def term_vector(self, term: str) -> np.ndarray:
        """Return the unit vector of `term`; raise TermNotFoundError when it cannot be resolved."""
        lookup = self.lookup(term)
        if not lookup.found:
            raise self._not_found(lookup)
        return self._vector(lookup)

    def term_vectors(self, terms: Sequence[str]) -> tuple[np.ndarray, list[TermLookup]]:
        """Return vectors for `terms` (NaN rows for missing ones) and each term's lookup."""
        lookups = [self.lookup(t) for t in terms]
        out = np.full((len(terms), self.dim), np.nan, dtype=np.float32)
        for i, lookup in enumerate(lookups):
            if lookup.found:
                out[i] = self._vector(lookup)
        return out, lookups

    def similarity(self, term_a: str, term_b: str) -> float:
        """Return the cosine similarity of two terms; raise TermNotFoundError for a miss."""
        return float(np.dot(self.term_vector(term_a), self.term_vector(term_b)))

    def similarities(self, pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
        """Score many term pairs, carrying on past unknown terms.

        Returns a DataFrame (term_a, term_b, score, status): `score` is NaN and `status` names
        the missing term(s) when a pair cannot be scored, never 0.
        """
        rows = []
        for term_a, term_b in pairs:
            lookups = [self.lookup(term_a), self.lookup(term_b)]
            missing = [lookup.term for lookup in lookups if not lookup.found]
            if missing:
                status = (f"not in vocabulary of {self.name} ({self.vocab_size:,} keys): "
                          f"{', '.join(missing)}")
                rows.append((term_a, term_b, float("nan"), status))
            else:
                score = float(np.dot(self._vector(lookups[0]), self._vector(lookups[1])))
                rows.append((term_a, term_b, score, "ok"))
        return pd.DataFrame(rows, columns=["term_a", "term_b", "score", "status"])

    def neighbors(self, term: str, k: int = 10) -> pd.DataFrame:
        """Return the `k` nearest keys to `term` as a DataFrame (neighbor, score), best first.

        The term itself, its normalised form and its key are left out of the list.
        """
        check_positive_int("k", k)
        lookup = self.lookup(term)
        if not lookup.found:
            raise self._not_found(lookup)
        exclude = {term, lookup.normalized, lookup.key}
        hits = [(key, score) for key, score in self._neighbor_keys(self._vector(lookup), k + 3)
                if key not in exclude and self._display(key) not in exclude][:k]
        return pd.DataFrame([(self._display(key), score) for key, score in hits],
                            columns=["neighbor", "score"])

    def _display(self, key: str) -> str:
        return key

    def _not_found(self, lookup: TermLookup) -> TermNotFoundError:
        return TermNotFoundError(lookup.term, self.name, self.vocab_size, lookup.suggestions,
                                 tried=lookup.tried, normalized=lookup.normalized)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self.name!r}, dim={self.dim}, "
                f"vocab={self.vocab_size:,})")


class WordVectorModel(EmbeddingModel):
    """Word vectors (Word2Vec, FastText, GloVe or any word2vec-format file) behind the interface.

    Args:
        wv: gensim KeyedVectors (FastTextKeyedVectors give subword vectors for unseen terms).
        name: display name.
        tokenizer: the tokenizer whose rules produced the keys, or which normalises queries.
        compose: build a missing multi-word term from the mean of its parts' vectors.

    Example:
        >>> from gensim.models import KeyedVectors
        >>> wv = KeyedVectors(2)
        >>> wv.add_vectors(["bootcut", "flare"], np.array([[1.0, 0.0], [0.6, 0.8]]))
        >>> round(WordVectorModel(wv, name="toy").similarity("Boot cut", "flare"), 2)
        0.6
    """

    kind = "word"

    def __init__(self, wv, *, name: str, tokenizer: FashionTokenizer | None = None,
                 compose: bool = True, scheme: KeyScheme | None = None) -> None:
        self.wv = wv
        self.name = name
        self.tokenizer = tokenizer or FashionTokenizer()
        self.compose = compose
        self.scheme = scheme or detect_key_scheme(wv.index_to_key)
        self._subwords = hasattr(wv, "buckets_word") or type(wv).__name__.startswith("FastText")
        self._stripped: list[str] | None = None

    @property
    def dim(self) -> int:
        return int(self.wv.vector_size)

    @property
    def vocab_size(self) -> int:
        return len(self.wv.index_to_key)

    def _has(self, key: str) -> bool:
        return key in self.wv.key_to_index

    def _candidate_keys(self, tokens: list[str]) -> list[str]:
        """Keys to try for a normalised term, in order: canonical form, then its variants."""
        scheme = self.scheme
        if scheme.joiner == "-":
            words = list(tokens)
        else:
            words = [w for token in tokens for w in token.split("-")]
        keys = [scheme.key_for(words)]
        if len(tokens) == 1:
            for variant in self.tokenizer.lexicon.variants_of(tokens[0]):
                keys.append(scheme.key_for(variant.replace("-", " ").split()))
                keys.append(scheme.key_for([variant.replace(" ", "")]))
        if not scheme.lowercase:
            keys += [scheme.prefix + k[len(scheme.prefix):].title() for k in keys]
        return list(dict.fromkeys(keys))

    def lookup(self, term: str) -> TermLookup:
        if self._has(term):
            return TermLookup(term, term, term, "exact")
        tokens = self.tokenizer.tokenize(term)
        normalized = " ".join(tokens)
        if not tokens:
            return TermLookup(term, normalized, None, "missing", note="no tokens after normalising")
        tried = self._candidate_keys(tokens)
        for key in tried:
            if self._has(key):
                return TermLookup(term, normalized, key, "normalized",
                                  note=f"{_how_normalized(term, normalized)} to key {key!r}")
        if self.compose:
            part_keys = self._composition(tokens)
            if part_keys:
                return TermLookup(term, normalized, " + ".join(part_keys), "composed",
                                  note="mean of its words' vectors")
        if self._subwords:
            return TermLookup(term, normalized, tried[0], "subword",
                              note="built from character n-grams (not in the vocabulary)")
        return TermLookup(term, normalized, None, "missing",
                          suggestions=tuple(self._suggest(tokens)),
                          note=f"keys tried: {', '.join(tried[:4])}", tried=tuple(tried[:4]))

    def _composition(self, tokens: list[str]) -> list[str] | None:
        """Return keys of the words of a multi-word term when all of them are known."""
        spellings = [[w for token in tokens for w in token.split("-")]]
        if len(tokens) == 1:
            spellings += [v.replace("-", " ").split()
                          for v in self.tokenizer.lexicon.variants_of(tokens[0])]
        for words in spellings:
            keys = [self.scheme.key_for([w]) for w in words]
            if len(keys) > 1 and all(self._has(k) for k in keys):
                return keys
        return None

    def _suggest(self, tokens: list[str]) -> list[str]:
        if self._stripped is None:
            self._stripped = [self.scheme.strip(k) for k in self.wv.index_to_key[:200000]]
        return close_matches(" ".join(tokens), self._stripped, n=5)

    def _vector(self, lookup: TermLookup) -> np.ndarray:
        if lookup.method == "composed":
            vector = np.mean([self.wv.get_vector(k) for k in lookup.key.split(" + ")], axis=0)
        else:
            vector = self.wv.get_vector(lookup.key)
        return _unit(np.asarray(vector, dtype=np.float32))

    def encode(self, texts: Sequence[str], *, batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        """Return the mean of each text's token vectors (unit length; zeros when none is known).

        Limitations:
            Tokens missing from the vocabulary are skipped; a text with no known token gets a
            zero vector, so its similarity to everything is 0. The number of such texts is logged.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        empty = 0
        texts = _checked_texts(texts)
        for i, text in enumerate(texts):
            keys = [self.scheme.key_for([t]) for t in self.tokenizer.tokenize(text)]
            keys = [k for k in keys if self._has(k)]
            if keys:
                out[i] = _unit(self.wv.get_mean_vector(keys, pre_normalize=True))
            else:
                empty += 1
        if empty:
            logger.warning("%s: %d of %d texts had no known token and got a zero vector",
                           self.name, empty, len(texts))
        return out

    def _neighbor_keys(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        return [(key, float(score)) for key, score in self.wv.similar_by_vector(vector, topn=k)]

    def _display(self, key: str) -> str:
        return self.scheme.strip(key)


class SentenceModel(EmbeddingModel):
    """A sentence-transformers encoder behind the interface.

    Any term can be encoded, so lookups never miss. Neighbours are ranked among `vocabulary`,
    a list of candidate terms (usually the domain vocabulary of a trained word model).

    Args:
        encoder: a loaded ``SentenceTransformer``.
        name: display name.
        vocabulary: candidate terms for :meth:`neighbors`.
        tokenizer: normalises terms before encoding, so ``boot cut`` and ``bootcut`` agree.
        cache: an :class:`~fashion_lab.cache.EncodingCache`; unchanged texts are not re-encoded.
        model_id: identifies the weights in the cache (defaults to `name`).
    """

    kind = "sentence"

    def __init__(self, encoder, *, name: str, vocabulary: Sequence[str] = (),
                 tokenizer: FashionTokenizer | None = None, cache=None,
                 model_id: str | None = None, batch_size: int = 128) -> None:
        self.encoder = encoder
        self.name = name
        self.tokenizer = tokenizer or FashionTokenizer()
        self.cache = cache
        self.model_id = model_id or name
        self.batch_size = batch_size
        self.vocabulary = list(dict.fromkeys(vocabulary))
        self._vocab_vectors: np.ndarray | None = None

    @property
    def dim(self) -> int:
        encoder = self.encoder
        # sentence-transformers 6 renamed the method; older releases only have the long name.
        getter = getattr(encoder, "get_embedding_dimension", None) or (
            encoder.get_sentence_embedding_dimension
        )
        return int(getter())

    @property
    def vocab_size(self) -> int:
        tokenizer = getattr(self.encoder, "tokenizer", None)
        return int(getattr(tokenizer, "vocab_size", 0) or len(self.vocabulary))

    def lookup(self, term: str) -> TermLookup:
        normalized = self.tokenizer.normalize_term(term)
        if not normalized:
            return TermLookup(term, normalized, None, "missing", note="no tokens after normalising")
        return TermLookup(term, normalized, normalized, "encoded")

    def _vector(self, lookup: TermLookup) -> np.ndarray:
        return self.encode([lookup.key])[0]

    def term_vectors(self, terms: Sequence[str]) -> tuple[np.ndarray, list[TermLookup]]:
        lookups = [self.lookup(t) for t in terms]
        out = np.full((len(terms), self.dim), np.nan, dtype=np.float32)
        found = [i for i, lookup in enumerate(lookups) if lookup.found]
        if found:
            out[found] = self.encode([lookups[i].key for i in found])
        return out, lookups

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        texts = _checked_texts(texts)
        batch_size = batch_size or self.batch_size

        def run(batch: Sequence[str]) -> np.ndarray:
            return self.encoder.encode(list(batch), batch_size=batch_size,
                                       normalize_embeddings=True, convert_to_numpy=True,
                                       show_progress_bar=show_progress).astype(np.float32)

        if self.cache is None:
            return run(texts) if texts else np.zeros((0, self.dim), dtype=np.float32)
        return self.cache.encode(self.model_id, texts, run, dim=self.dim)

    def _neighbor_keys(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not self.vocabulary:
            raise ValueError(
                f"model {self.name!r} has no candidate vocabulary for neighbours; pass "
                "vocabulary=[...] (e.g. a trained word model's keys) when creating it"
            )
        if self._vocab_vectors is None:
            self._vocab_vectors = self.encode(self.vocabulary)
        scores = self._vocab_vectors @ vector
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.vocabulary[i], float(scores[i])) for i in top]


def _checked_texts(texts: Sequence[str]) -> list[str]:
    """Return `texts` as a list, raising TypeError for any value that is not a string."""
    if isinstance(texts, str):
        raise TypeError(f"texts must be a list of strings, not one string ({texts[:40]!r}); "
                        "wrap it in a list: encode([text])")
    texts = list(texts)
    bad = [i for i, text in enumerate(texts) if not isinstance(text, str)]
    if bad:
        shown = ", ".join(f"{i} ({texts[i]!r})" for i in bad[:5])
        raise TypeError(
            f"texts must be strings; {len(bad)} of {len(texts)} are not, at positions {shown}. "
            "Missing values in a table arrive as float NaN: drop or fill them first, e.g. with "
            "fashion_lab.data.clean_documents"
        )
    return texts


def _how_normalized(term: str, normalized: str) -> str:
    if term == normalized:
        return "mapped by the file's key scheme"
    if term.lower() == normalized:
        return "case-folded"
    return "normalised by the tokenizer and lexicon"


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector

