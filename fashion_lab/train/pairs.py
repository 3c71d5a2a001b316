"""Labelled (query, product text) pairs for adapting a sentence encoder to fashion.

Pairs come from three kinds of real data and from users' own files:

``title``
    A catalogue title and the description of the same product (Myntra catalogue, and any
    description document with a title).
``derived``
    *Derived queries*: short shopper-style queries built from a product's attribute fields
    (colour, pattern, product type, gender), paired with its description. Department is left
    out because catalogue departments read like taxonomy ("Garment Upper body" in H&M). These
    are generated, not logged queries. The rule that keeps them from copying the target:

    1. the query is built only from attribute values, never from the target text;
    2. attributes other than the product type are shuffled and each one is omitted with
       probability 0.4, the product type always comes last;
    3. the query is rejected when it has fewer than 2 tokens, when it equals the product
       title (after tokenising), or when all of its tokens occur in the first
       :data:`COPY_WINDOW` tokens of the target text. Tokens are compared without a final
       "s", so "tunics" counts as a copy of "tunic".
``question``
    A customer question and its answer (Amazon QA). The data stage gives each record's
    question and answer doc ids ``<record>:question`` and ``<record>:answer``, which pairs them.

Users' own pairs (:func:`load_pairs`) are JSONL (one object per line) or CSV with columns:

- ``query`` (required): the search text;
- ``product_text``, or ``product_id`` joined to the ``product_id`` (or ``doc_id``) column of a
  corpus frame whose ``text`` becomes the product text;
- ``label`` (optional, 1 or 0; missing means 1): pairs labelled 0 are dropped from
  training (:func:`positive_pairs`) and from evaluation, which reads positives only;
- ``hard_negative`` (optional): a text that looks relevant but is not; fine-tuning adds it
  as an extra negative when every training pair has one.

Example file: ``data/sample/pairs_example.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from pathlib import Path

import numpy as np
import pandas as pd

from fashion_lab.text import FashionTokenizer

logger = logging.getLogger(__name__)

#: Number of leading target tokens a derived query may not be wholly contained in.
COPY_WINDOW = 12
PAIR_COLUMNS = ["query", "product_id", "product_text", "pair_type", "source", "label",
                "hard_negative"]
_DERIVED_ATTRIBUTES = ("colour", "pattern", "gender")
_UNINFORMATIVE = {"", "nan", "none", "unknown", "other", "solid", "undefined", "na", "n/a"}


def derive_query(attributes: dict, *, rng: random.Random, drop_probability: float = 0.4) -> str:
    """Return a shopper-style query built from attribute values, or "" when too few are set.

    The product type (``category``) comes last; the other attributes are shuffled and each is
    omitted with `drop_probability`.

    Example:
        >>> derive_query({"category": "Dress", "colour": "Black", "pattern": "Stripe"},
        ...              rng=random.Random(1), drop_probability=0.0)
        'stripe black dress'
    """
    category = _clean_value(attributes.get("category"))
    if not category:
        return ""
    modifiers = [_clean_value(attributes.get(a)) for a in _DERIVED_ATTRIBUTES]
    modifiers = [m for m in modifiers if m and rng.random() >= drop_probability]
    rng.shuffle(modifiers)
    return " ".join(modifiers + [category])


def is_copied_query(query: str, target: str, *, title: str = "",
                    tokenizer: FashionTokenizer | None = None) -> bool:
    """Return True when a derived query copies its target, so it must be rejected.

    A query is copied when it has fewer than 2 tokens, equals `title` after tokenising, or all
    its tokens occur in the first :data:`COPY_WINDOW` tokens of `target`.

    Example:
        >>> is_copied_query("jersey top", "Jersey top with narrow shoulder straps.")
        True
        >>> is_copied_query("black striped dress", "Jersey dress with narrow straps.")
        False
    """
    tokenizer = tokenizer or FashionTokenizer()
    tokens = [_singular(t) for t in tokenizer.tokenize(query)]
    if len(tokens) < 2:
        return True
    if title and tokens == [_singular(t) for t in tokenizer.tokenize(title)]:
        return True
    window = {_singular(t) for t in tokenizer.tokenize(target)[:COPY_WINDOW]}
    return all(t in window for t in tokens)


def _singular(token: str) -> str:
    return token[:-1] if len(token) > 3 and token.endswith("s") else token


def build_pairs(documents: pd.DataFrame, *, max_per_type: int | None = None,
                seed: int = 42) -> pd.DataFrame:
    """Build labelled pairs from a corpus frame with the data stage's schema.

    Args:
        documents: frame with columns doc_id, product_id, text, title, source, kind and the
            attribute columns category, department, colour, pattern, gender.
        max_per_type: cap on pairs of each type (title, derived, question), drawn with `seed`.
        seed: seed for query derivation and sampling.

    Returns:
        A frame with :data:`PAIR_COLUMNS`, one row per pair.
    """
    rng = random.Random(seed)
    tokenizer = FashionTokenizer()
    docs = documents.reset_index(drop=True)
    for column in ("title", "category", "department", "colour", "pattern", "gender", "kind"):
        if column not in docs:
            docs[column] = ""
    docs = docs[docs["text"].astype(str).str.strip() != ""]
    limit = None if max_per_type is None else 3 * max_per_type
    parts = [
        _title_pairs(docs, tokenizer),
        _derived_pairs(_sample(docs, limit, seed), tokenizer, rng),
        _question_pairs(docs),
    ]
    frames = [_sample(p, max_per_type, seed) for p in parts if len(p)]
    pairs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PAIR_COLUMNS)
    pairs["label"] = 1
    pairs["hard_negative"] = ""
    logger.info("pairs: %s", pairs["pair_type"].value_counts().to_dict())
    return pairs[PAIR_COLUMNS].reset_index(drop=True)


def _title_pairs(docs: pd.DataFrame, tokenizer: FashionTokenizer) -> pd.DataFrame:
    rows = docs[(docs["kind"] == "description") & (docs["title"].astype(str).str.len() > 0)]
    rows = rows[rows["title"].astype(str).str.strip() != rows["text"].astype(str).str.strip()]
    rows = rows[rows["title"].astype(str).map(lambda t: len(tokenizer.tokenize(t)) >= 2)]
    return _frame(rows["title"], rows, "title")


def _derived_pairs(docs: pd.DataFrame, tokenizer: FashionTokenizer,
                   rng: random.Random) -> pd.DataFrame:
    rows = docs[docs["kind"].isin(["description", "title"])]
    queries, keep, rejected = [], [], 0
    for index, row in zip(rows.index, rows.to_dict("records"), strict=True):
        query = derive_query(row, rng=rng)
        if not query:
            continue
        if is_copied_query(query, str(row["text"]), title=str(row["title"]), tokenizer=tokenizer):
            rejected += 1
            continue
        queries.append(query)
        keep.append(index)
    logger.info("pairs: %d derived queries kept, %d rejected as copies of their target",
                len(keep), rejected)
    return _frame(pd.Series(queries, index=keep, dtype=str), rows.loc[keep], "derived")


def _question_pairs(docs: pd.DataFrame) -> pd.DataFrame:
    questions = docs[docs["kind"] == "question"].copy()
    answers = docs[docs["kind"] == "answer"].copy()
    if questions.empty or answers.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    questions["record"] = questions["doc_id"].astype(str).str.replace(r":question$", "", regex=True)
    answers["record"] = answers["doc_id"].astype(str).str.replace(r":answer$", "", regex=True)
    merged = questions.merge(answers, on=["product_id", "record"], suffixes=("_q", ""))
    return pd.DataFrame({"query": merged["text_q"].astype(str), "product_id": merged["product_id"],
                         "product_text": merged["text"].astype(str), "pair_type": "question",
                         "source": merged["source"]})


def _frame(queries: pd.Series, rows: pd.DataFrame, pair_type: str) -> pd.DataFrame:
    return pd.DataFrame({"query": queries.astype(str).to_numpy(),
                         "product_id": rows["product_id"].to_numpy(),
                         "product_text": rows["text"].astype(str).to_numpy(),
                         "pair_type": pair_type, "source": rows["source"].to_numpy()})


def _sample(frame: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    if n is None or len(frame) <= n:
        return frame
    return frame.sample(n=n, random_state=seed)


def _clean_value(value) -> str:
    text = "" if value is None or pd.isna(value) else str(value)
    # Catalogue buckets such as H&M's "Other Green" mean "a green"; no shopper types "other".
    words = [w for w in text.strip().lower().split() if w != "other"]
    text = " ".join(words)
    return "" if text in _UNINFORMATIVE else text


def load_pairs(path: str | Path, corpus: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load users' own pairs from a JSONL or CSV file (format in the module docstring).

    Args:
        path: ``.jsonl``/``.json`` or ``.csv`` file.
        corpus: frame with ``product_id`` (or ``doc_id``) and ``text``, needed when the file
            gives ``product_id`` instead of ``product_text``.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: a required column is missing, a product id is not in `corpus`, a label is
            not 0/1, or a row has an empty query or product text.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pair file not found: {path.resolve()}")
    if path.suffix in {".jsonl", ".json"}:
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path.name} line {number} is not valid JSON ({error}); "
                                     "write one JSON object per line") from error
        frame = pd.DataFrame(rows)
    elif path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", pd.NA)
    else:
        raise ValueError(f"pair file must end in .jsonl, .json or .csv; got {path.name!r}")
    return _validate_pairs(frame, path.name, corpus)


def _validate_pairs(frame: pd.DataFrame, name: str, corpus: pd.DataFrame | None) -> pd.DataFrame:
    if "query" not in frame:
        raise ValueError(f"{name} has no 'query' column (columns: {list(frame.columns)}); "
                         "every pair needs a query")
    if "product_text" not in frame and "product_id" not in frame:
        raise ValueError(f"{name} needs 'product_text' or 'product_id' next to 'query'; "
                         f"got columns {list(frame.columns)}")
    if "product_text" not in frame:
        frame["product_text"] = ""
    text = frame["product_text"].fillna("").astype(str)
    if "product_id" in frame:
        # Rows without their own product_text take the corpus text of their product_id.
        needs_join = (text.str.strip() == "") & frame["product_id"].notna()
        if needs_join.any():
            text[needs_join] = _join_corpus(frame.loc[needs_join, "product_id"], corpus, name)
    frame["product_text"] = text
    if "product_id" not in frame:
        frame["product_id"] = pd.NA
    # A pair without a product_id is its own product, named by a hash of its text.
    text_ids = frame["product_text"].map(
        lambda t: "text-" + hashlib.sha256(t.encode()).hexdigest()[:10])
    frame["product_id"] = frame["product_id"].fillna(text_ids).astype(str)

    label = frame["label"] if "label" in frame else pd.Series(1, index=frame.index)
    # A missing label means a positive pair.
    label = pd.to_numeric(label.astype(object).fillna("1").replace("", "1"), errors="coerce")
    if not label.isin([0, 1]).all():
        bad = frame.loc[~label.isin([0, 1]), "label"].tolist()[:5]
        raise ValueError(f"{name}: label must be 1 or 0; got {bad}")
    frame["label"] = label.astype(int)

    for column in ("query", "product_text"):
        empty = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if empty.any():
            raise ValueError(f"{name}: {int(empty.sum())} rows have an empty {column} "
                             f"(first at row {int(np.flatnonzero(empty)[0])}); fill or drop them")

    frame["hard_negative"] = frame["hard_negative"].fillna("") if "hard_negative" in frame else ""
    frame["pair_type"] = "user"
    frame["source"] = name
    return frame[PAIR_COLUMNS].astype({"query": str, "product_text": str}).reset_index(drop=True)


def positive_pairs(pairs: pd.DataFrame, name: str = "pairs") -> pd.DataFrame:
    """Return the pairs labelled 1, or all of them when there is no ``label`` column.

    Pairs labelled 0 are not used, because in-batch-negative training has no place for a
    negative pair. The number left out is logged under `name`.
    """
    if "label" not in pairs:
        return pairs
    # A missing label means a positive pair, as in load_pairs.
    keep = pd.to_numeric(pairs["label"], errors="coerce").fillna(1) == 1
    if not keep.all():
        logger.info("%s: %d of %d pairs are labelled 0 and left out of training", name,
                    int((~keep).sum()), len(pairs))
    return pairs[keep].reset_index(drop=True)


def _join_corpus(product_ids: pd.Series, corpus: pd.DataFrame | None, name: str) -> pd.Series:
    if corpus is None:
        raise ValueError(f"{name} gives product_id without product_text; pass corpus=<frame with "
                         "product_id and text> to load_pairs so the ids can be joined")
    key = "product_id" if "product_id" in corpus else "doc_id"
    texts = corpus.drop_duplicates(key).set_index(corpus.drop_duplicates(key)[key].astype(str))
    ids = product_ids.astype(str)
    missing = sorted(set(ids) - set(texts.index))
    if missing:
        raise ValueError(f"{name}: {len(missing)} product_id values are not in the corpus "
                         f"(first: {missing[:5]}); check the ids or give product_text instead")
    return ids.map(texts["text"]).astype(str)
