"""Input validation shared by the public functions, and the errors they raise.

Every message states the rule, the value received and what to do next.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from difflib import get_close_matches


class TermNotFoundError(KeyError):
    """A term has no vector in a model, even after normalisation and fallbacks.

    Subclasses KeyError so that code written for gensim's bare KeyError keeps working, but the
    message names the term, the model, the vocabulary size and close keys.
    """

    def __init__(
        self,
        term: str,
        model: str,
        vocab_size: int,
        suggestions: Sequence[str] = (),
        tried: Sequence[str] = (),
        normalized: str | None = None,
    ) -> None:
        self.term = term
        self.normalized = normalized
        self.model = model
        self.vocab_size = vocab_size
        self.suggestions = list(suggestions)
        self.tried = list(tried)
        super().__init__(term)

    def __str__(self) -> str:
        tried = f" (keys tried: {', '.join(self.tried)})" if self.tried else ""
        if self.normalized is not None:
            tried += (f"; looked up after case folding and the lexicon as {self.normalized!r}"
                      if self.normalized != self.term else "; case folding changed nothing")
        close = (
            f"; close keys: {', '.join(self.suggestions)}"
            if self.suggestions
            else "; no close keys found"
        )
        return (
            f"term {self.term!r} is not in the vocabulary of model {self.model!r} "
            f"({self.vocab_size:,} keys){tried}{close}. Check the spelling, add it to the "
            "lexicon, or use a FastText model, which builds vectors from subwords"
        )


def close_matches(term: str, keys: Iterable[str], n: int = 5) -> list[str]:
    """Return up to `n` keys that look like `term` (difflib ratio >= 0.75)."""
    return get_close_matches(term, list(keys), n=n, cutoff=0.75)


def check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    """Raise ValueError unless `value` is one of `allowed`."""
    allowed = list(allowed)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")


def check_positive_int(name: str, value: object) -> None:
    """Raise TypeError for a non-integer and ValueError for an integer below 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1; got {value}")
