"""Tables that describe a corpus and what the tokenizer does to it (used by notebook 01)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd

from fashion_lab.text import FashionTokenizer, split_tokens


def summarize_corpus(documents: pd.DataFrame, sentences: Sequence[Sequence[str]]) -> pd.DataFrame:
    """Return documents, products and tokens per source and kind.

    Args:
        documents: a corpus frame in the lab's schema.
        sentences: the token lists of `documents`, row for row.
    """
    if len(documents) != len(sentences):
        raise ValueError(
            f"documents has {len(documents)} rows but sentences has {len(sentences)}; pass the "
            "token lists produced from these documents"
        )
    frame = documents[["source", "kind", "product_id"]].copy()
    frame["tokens"] = [len(s) for s in sentences]
    table = frame.groupby(["source", "kind"], sort=True).agg(
        documents=("product_id", "size"),
        products=("product_id", "nunique"),
        tokens=("tokens", "sum"),
        mean_tokens=("tokens", "mean"),
    )
    return table.reset_index()


def term_counts(sentences: Sequence[Sequence[str]], sources: Sequence[str],
                terms: Sequence[str]) -> pd.DataFrame:
    """Count documents per source that contain each canonical term (one row per term)."""
    wanted = set(terms)
    counts: Counter = Counter()
    for tokens, source in zip(sentences, sources, strict=True):
        for token in wanted.intersection(tokens):
            counts[(token, source)] += 1
    rows = [{"term": t, "source": s, "documents": counts[(t, s)]}
            for t in terms for s in sorted(set(sources))]
    table = pd.DataFrame(rows).pivot(index="term", columns="source", values="documents")
    table = table.reindex(list(terms)).fillna(0).astype(int)
    table["total"] = table.sum(axis=1)
    return table.reset_index()


def tokenizer_examples(texts: Sequence[str], tokenizer: FashionTokenizer,
                       n: int = 8) -> pd.DataFrame:
    """Return texts whose tokens the lexicon or phrases changed, before and after."""
    rows = []
    for text in texts:
        plain = split_tokens(text)
        tokens = tokenizer.tokenize(text)
        if tokens != plain:
            changed = sorted(set(tokens) - set(plain))
            rows.append({"text": text[:120], "joined or mapped": ", ".join(changed)})
            if len(rows) == n:
                break
    return pd.DataFrame(rows, columns=["text", "joined or mapped"])
