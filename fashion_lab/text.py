"""Fashion-aware tokenisation: one rule for corpora, queries and pretrained vocabularies.

The pipeline for every text is:

1. normalise: Unicode NFKC, accents folded (piqué -> pique), lower-case, apostrophes dropped;
2. split into tokens, keeping hyphenated compounds whole (``tea-length``, ``a-line``);
3. map spelling variants to one canonical token with the lexicon (``boot cut`` -> ``bootcut``);
4. optionally join learned multi-word terms with gensim Phrases, fitted after the lexicon and
   joined with the same ``-`` that the lexicon uses, so ``wide leg`` and ``wide-leg`` end up as
   the same token whichever step produced it.
"""

from __future__ import annotations

import html
import logging
import pickle
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fashion_lab.config import LEXICON_PATH

logger = logging.getLogger(__name__)

#: A token: letters or digits, optionally joined by single hyphens (``5-pocket``, ``tea-length``).
_HTML_TAG = re.compile(r"<[^<>]{1,200}>")
TOKEN_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PHRASE_DELIMITER = "-"
#: Bumped whenever a change to the rules changes tokens, so cached token lists are rebuilt.
TOKENIZER_VERSION = 2
# gensim splits learned phrases on their delimiter when freezing them, which breaks tokens that
# already contain "-". Phrases are therefore learned with "_", which no token contains, and
# rewritten to "-" on output.
_GENSIM_DELIMITER = "_"
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                         "\u2014": " ", "\u2212": "-", "\u00ad": ""})


def normalize_text(text: str) -> str:
    """Fold case, accents, dashes and apostrophes so that spelling differences disappear.

    HTML tags and entities from scraped catalogues are removed first (``Boot&nbsp;Cut``).
    """
    if "<" in text or "&" in text:
        text = html.unescape(_HTML_TAG.sub(" ", text))
    text = unicodedata.normalize("NFKD", text.translate(_DASHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("'", "").replace("\u2019", "").replace("&", " & ")
    return text


def split_tokens(text: str) -> list[str]:
    """Split normalised text into tokens, keeping hyphenated compounds whole."""
    return TOKEN_PATTERN.findall(normalize_text(text))


@dataclass(frozen=True)
class _Variant:
    tokens: tuple[str, ...]
    context: tuple[str, ...]
    canonical: str


class Lexicon:
    """Spelling variants of fashion terms mapped to one canonical token.

    Args:
        paths: lexicon files in the format of ``data/lexicon/fashion_terms.tsv``
            (``canonical<TAB>variant|variant``); later files override earlier ones.
        entries: extra ``{canonical: [variants]}`` added after the files.

    Example:
        >>> lexicon = Lexicon()
        >>> lexicon.apply(["boot", "cut", "jeans"])
        ['bootcut', 'jeans']
    """

    def __init__(
        self,
        paths: Sequence[str | Path] | str | Path | None = (LEXICON_PATH,),
        entries: dict[str, Iterable[str]] | None = None,
    ) -> None:
        if paths is None:
            paths = ()
        elif isinstance(paths, str | Path):
            paths = (paths,)
        self.paths = [Path(p) for p in paths]
        self._variants: dict[str, list[_Variant]] = {}
        self.canonical_forms: dict[str, list[str]] = {}
        for path in self.paths:
            for canonical, variants in _read_lexicon(path):
                self.add(canonical, variants)
        for canonical, variants in (entries or {}).items():
            self.add(canonical, variants)

    def add(self, canonical: str, variants: Iterable[str]) -> None:
        """Map each variant (and the canonical form's own spelling) to `canonical`."""
        canonical_tokens = split_tokens(canonical)
        if len(canonical_tokens) != 1:
            raise ValueError(
                f"lexicon canonical form {canonical!r} must be a single token, got "
                f"{canonical_tokens}; join its words with '-' (e.g. 'tea-length')"
            )
        canonical = canonical_tokens[0]
        forms = self.canonical_forms.setdefault(canonical, [])
        for variant in variants:
            head, _, tail = variant.partition("[")
            tokens = tuple(split_tokens(head))
            context = tuple(split_tokens(tail.rstrip("]")))
            if not tokens or tokens == (canonical,):
                continue
            forms.append(" ".join(tokens))
            entry = _Variant(tokens, context, canonical)
            bucket = self._variants.setdefault(tokens[0], [])
            bucket[:] = [v for v in bucket if (v.tokens, v.context) != (tokens, context)]
            bucket.append(entry)
            # Longest match first, so "boot cut jeans" wins over "boot cut".
            bucket.sort(key=lambda v: len(v.tokens) + len(v.context), reverse=True)

    def __len__(self) -> int:
        return len(self.canonical_forms)

    def __contains__(self, token: str) -> bool:
        return token in self.canonical_forms

    def variants_of(self, canonical: str) -> list[str]:
        """Return the surface forms that map to `canonical` (words joined by spaces)."""
        return list(self.canonical_forms.get(canonical, []))

    def apply(self, tokens: Sequence[str]) -> list[str]:
        """Replace every variant in `tokens` with its canonical token, longest match first."""
        out: list[str] = []
        i = 0
        n = len(tokens)
        while i < n:
            match = None
            for variant in self._variants.get(tokens[i], ()):
                end = i + len(variant.tokens)
                stop = end + len(variant.context)
                if tuple(tokens[i:end]) == variant.tokens and tuple(tokens[end:stop]) == (
                    variant.context
                ):
                    match = variant
                    break
            if match is None:
                out.append(tokens[i])
                i += 1
            else:
                out.append(match.canonical)
                i += len(match.tokens)
        return out


def _read_lexicon(path: Path) -> Iterable[tuple[str, list[str]]]:
    if not path.is_file():
        raise FileNotFoundError(
            f"lexicon file not found: {path.resolve()}; pass an existing file or paths=None"
        )
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        canonical, sep, variants = line.partition("\t")
        if not sep:
            raise ValueError(
                f"{path}:{number}: expected 'canonical<TAB>variant|variant', got {line!r}; "
                "separate the canonical form from its variants with a tab"
            )
        yield canonical.strip(), [v.strip() for v in variants.split("|") if v.strip()]


@dataclass
class PhraseReport:
    """Merges made by a fitted Phrases model on a corpus, and the overlaps it skipped.

    Attributes:
        merged: how often each learned phrase was produced.
        skipped_overlaps: ``(produced, skipped)`` phrase pairs where a phrase could not be
            formed because its first word was already taken by the phrase on its left, with how
            often that happened. gensim joins pairs greedily from the left, so a frequent phrase
            can lose to an earlier, rarer one; add the one you want to the lexicon to fix it.
    """

    merged: Counter = field(default_factory=Counter)
    skipped_overlaps: Counter = field(default_factory=Counter)

    def to_frame(self):
        """Return the merged phrases as a DataFrame sorted by count."""
        import pandas as pd

        rows = [{"phrase": p, "count": c} for p, c in self.merged.most_common()]
        return pd.DataFrame(rows, columns=["phrase", "count"])


class FashionTokenizer:
    """Tokenise fashion text with the lexicon and, once fitted, learned phrases.

    Args:
        lexicon: a :class:`Lexicon`, lexicon file path(s), or None for the default lexicon
            (``Lexicon(paths=None)`` gives none).
        phrases: a frozen gensim phrases model from :meth:`fit_phrases`.

    Example:
        >>> tok = FashionTokenizer()
        >>> tok.tokenize("High-rise BOOT CUT jeans, tea length skirt")
        ['high-rise', 'bootcut', 'jeans', 'tea-length', 'skirt']
    """

    def __init__(self, lexicon: Lexicon | Sequence[str | Path] | str | Path | None = None,
                 phrases=None) -> None:
        if lexicon is None:
            lexicon = Lexicon()
        elif not isinstance(lexicon, Lexicon):
            lexicon = Lexicon(lexicon)
        self.lexicon = lexicon
        self.phrases = phrases

    def tokenize(self, text: str) -> list[str]:
        """Return the tokens of `text` after the lexicon and any learned phrases."""
        if not isinstance(text, str):
            raise TypeError(
                f"text must be a str; got {type(text).__name__} {text!r}. Missing values in a "
                "table arrive as float NaN: clean them first with fashion_lab.data.clean_documents"
            )
        return self.join_phrases(self.lexicon.apply(split_tokens(text)))

    def join_phrases(self, tokens: Sequence[str]) -> list[str]:
        """Join learned phrases in lexicon-mapped `tokens` (unchanged when none are fitted)."""
        if self.phrases is None:
            return list(tokens)
        return [t.replace(_GENSIM_DELIMITER, PHRASE_DELIMITER) for t in self.phrases[tokens]]

    def tokenize_many(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokenise each text in `texts`."""
        if isinstance(texts, str):
            raise TypeError(f"texts must be a list of strings, not one string ({texts[:40]!r}); "
                            "wrap it in a list or call tokenize()")
        return [self.tokenize(t) for t in texts]

    def normalize_term(self, term: str) -> str:
        """Return the canonical form of a query term: its tokens joined by a space.

        A term that the lexicon or phrases join becomes one token (``"Tea Length"`` ->
        ``"tea-length"``); other multi-word terms keep their words (``"black jeans"``).
        """
        return " ".join(self.tokenize(term))

    def fit_phrases(
        self,
        sentences: Sequence[Sequence[str]],
        *,
        min_count: int = 5,
        threshold: float = 10.0,
        protect_lexicon: bool = True,
    ) -> tuple[FashionTokenizer, PhraseReport]:
        """Learn multi-word terms from lexicon-tokenised `sentences`.

        With `protect_lexicon`, a learned phrase may not contain a lexicon term, so garment terms
        such as ``skinny`` or ``tea-length`` stay tokens of their own instead of being absorbed
        into ``skinny-jeans``. Without it, a query for ``skinny`` could miss a model whose corpus
        only ever saw the phrase.

        Returns a new tokenizer that applies the phrases after the lexicon, and a
        :class:`PhraseReport` of what was merged and which overlapping candidates were skipped.
        A UserWarning is raised when overlaps were skipped.
        """
        from gensim.models.phrases import ENGLISH_CONNECTOR_WORDS, Phrases

        model = Phrases(sentences, min_count=min_count, threshold=threshold,
                        delimiter=_GENSIM_DELIMITER, connector_words=ENGLISH_CONNECTOR_WORDS)
        frozen = model.freeze()
        if protect_lexicon:
            protected = set(self.lexicon.canonical_forms)
            blocked = [p for p in frozen.phrasegrams
                       if protected.intersection(p.split(_GENSIM_DELIMITER))]
            for phrase in blocked:
                del frozen.phrasegrams[phrase]
            logger.info("phrases: %d candidates containing a lexicon term were dropped",
                        len(blocked))
        report = phrase_report(frozen, sentences)
        logger.info("phrases: %d learned, %d merges in %d sentences",
                    len(frozen.phrasegrams), sum(report.merged.values()), len(sentences))
        if report.skipped_overlaps:
            examples = ", ".join(f"{a} blocked {b} ({n}x)"
                                 for (a, b), n in report.skipped_overlaps.most_common(3))
            warnings.warn(
                f"phrases: {sum(report.skipped_overlaps.values())} overlapping phrase candidates "
                f"were skipped because gensim joins pairs from the left ({examples}); add the "
                "phrase you want to the lexicon so it always wins",
                UserWarning,
                stacklevel=2,
            )
        return FashionTokenizer(self.lexicon, frozen), report

    def save(self, path: str | Path) -> None:
        """Pickle the tokenizer (lexicon and phrases) to `path`."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("wb") as f:
            pickle.dump(self, f)
        tmp.replace(path)

    @staticmethod
    def load(path: str | Path) -> FashionTokenizer:
        """Load a tokenizer saved with :meth:`save`."""
        with Path(path).open("rb") as f:
            return pickle.load(f)


def phrase_report(phrases, sentences: Iterable[Sequence[str]]) -> PhraseReport:
    """Count the phrases `phrases` produces on `sentences` and the overlaps it had to skip."""
    known = phrases.phrasegrams
    report = PhraseReport()
    for tokens in sentences:
        position = 0
        for token in phrases[tokens]:
            width = _width_in_input(token, tokens, position)
            if width > 1 and token in known:
                report.merged[_display(token)] += 1
                # The next input token could have formed a phrase with this one's last word.
                end = position + width
                if end < len(tokens):
                    rival = f"{tokens[end - 1]}{_GENSIM_DELIMITER}{tokens[end]}"
                    if rival in known:
                        report.skipped_overlaps[(_display(token), _display(rival))] += 1
            position += width
    return report


def _display(phrase: str) -> str:
    return phrase.replace(_GENSIM_DELIMITER, PHRASE_DELIMITER)


def _width_in_input(token: str, tokens: Sequence[str], position: int) -> int:
    """Return how many input tokens, from `position`, the output `token` stands for."""
    joined = ""
    for width in range(1, len(tokens) - position + 1):
        piece = tokens[position + width - 1]
        joined = piece if width == 1 else f"{joined}{_GENSIM_DELIMITER}{piece}"
        if joined == token:
            return width
    return 1
