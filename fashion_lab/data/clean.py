"""The document schema shared by every loader, its validation, cleaning and deduplication.

A documents frame has the columns of :data:`SCHEMA_COLUMNS`, in that order:

===============  ==============================================================================
column           content
===============  ==============================================================================
``doc_id``       unique id ``"<source>:<native id>[:<part>]"``
``product_id``   grouping key for train/test splits: colour variants, reviews, questions and
                 answers of one product share it
``text``         the document text, stripped, whitespace collapsed, never empty
``title``        product or review title, or NA
``source``       dataset name (``hm_articles``, ``sample_listings``, ...)
``kind``         one of :data:`KINDS`
``category``     fine product type (``Dress``, ``Jeans``, ``Knits``), or NA
``department``   broad garment group (``Garment Upper body``, ``Topwear``, ``Dresses``), or NA.
                 Myntra's catalogue has no garment groups, so its gender section is used.
``colour``       colour name, or NA
``pattern``      print or pattern name, or NA
``gender``       ``Women``, ``Men``, ``Unisex`` ..., or NA
``date``         pandas datetime, or NaT
===============  ==============================================================================

All columns except ``date`` have the pandas ``string`` dtype, with ``pd.NA`` for missing values.
Loaders may add columns after these (documented by each loader).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from itertools import chain

import pandas as pd

logger = logging.getLogger(__name__)

#: Columns of a documents frame, in order.
SCHEMA_COLUMNS: tuple[str, ...] = (
    "doc_id", "product_id", "text", "title", "source", "kind",
    "category", "department", "colour", "pattern", "gender", "date",
)
#: Allowed values of the ``kind`` column.
KINDS: tuple[str, ...] = ("description", "title", "review", "question", "answer", "caption")
#: Texts treated as missing, compared after case-folding.
PLACEHOLDER_TEXTS: frozenset[str] = frozenset({"nan", "none", "null", "n/a", "-"})

# A Unicode letter: a word character that is neither a digit nor an underscore.
_LETTER_PATTERN = r"[^\W\d_]"


def build_documents(
    columns: Mapping[str, object], extra: Mapping[str, object] | None = None
) -> pd.DataFrame:
    """Build a frame in the document schema from column values.

    Args:
        columns: values for schema columns, each a sequence, Series or scalar. A column left
            out is filled with NA (NaT for ``date``).
        extra: columns to append after the schema columns, as given.

    Returns:
        A frame with the schema columns and dtypes, then the `extra` columns. Text is not
        cleaned, so pass the frame to :func:`clean_documents`.
    """
    unknown = sorted(set(columns) - set(SCHEMA_COLUMNS))
    if unknown:
        raise ValueError(f"columns {unknown} are not schema columns {list(SCHEMA_COLUMNS)}; "
                         "pass them as extra columns instead")
    length = next((len(v) for v in columns.values() if not _is_scalar(v)), None)
    if length is None:
        raise ValueError("build_documents needs at least one column given as a sequence")

    frame = pd.DataFrame(index=pd.RangeIndex(length))
    for name in SCHEMA_COLUMNS:
        value = columns.get(name, pd.NA)
        if isinstance(value, pd.Series):
            value = value.to_numpy()
        if name == "date":
            frame[name] = pd.to_datetime(pd.Series(value, index=frame.index), errors="coerce")
        else:
            frame[name] = pd.Series(value, index=frame.index, dtype="object").astype("string")
    for name, value in (extra or {}).items():
        # .array keeps the extension dtype (string, Int64) that .to_numpy() would lose.
        frame[name] = value.array if isinstance(value, pd.Series) else value
    return frame


def _is_scalar(value: object) -> bool:
    return value is None or value is pd.NA or isinstance(value, str | int | float)


def validate_documents(df: pd.DataFrame) -> None:
    """Check that `df` is a documents frame (see the module docstring).

    Raises:
        TypeError: `df` is not a DataFrame.
        ValueError: a schema column is missing or out of order, ``doc_id`` is missing or not
            unique, ``product_id`` or ``text`` is missing or empty, or ``kind`` has an unknown
            value. The message names the column and up to 5 offending values or doc_ids.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"documents must be a pandas DataFrame; got {type(df).__name__}")
    columns = list(df.columns[: len(SCHEMA_COLUMNS)])
    if columns != list(SCHEMA_COLUMNS):
        missing = [c for c in SCHEMA_COLUMNS if c not in df.columns]
        raise ValueError(
            f"documents must start with columns {list(SCHEMA_COLUMNS)}; got {list(df.columns)}"
            f" (missing: {missing}). Build frames with fashion_lab.data.build_documents"
        )

    for name in ("doc_id", "product_id", "text"):
        blank = df[name].isna() | (df[name].astype("string").str.strip() == "")
        if blank.any():
            rows = list(df.index[blank][:5])
            raise ValueError(f"column {name!r} is missing or empty in {int(blank.sum())} rows "
                             f"(first row labels: {rows}); run clean_documents first")
    duplicated = df["doc_id"][df["doc_id"].duplicated()]
    if len(duplicated):
        raise ValueError(f"doc_id must be unique; {len(duplicated)} repeated, e.g. "
                         f"{list(duplicated.unique()[:5])}")
    bad_kinds = sorted(set(df["kind"].dropna()) - set(KINDS))
    if bad_kinds or df["kind"].isna().any():
        raise ValueError(f"kind must be one of {list(KINDS)}; got {bad_kinds or ['<NA>']}")
    if not pd.api.types.is_datetime64_any_dtype(df["date"]):
        raise ValueError(f"column 'date' must have a datetime dtype; got {df['date'].dtype}")


def clean_documents(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise whitespace in ``text`` and drop rows that have no usable text.

    Each text is stripped and every run of whitespace becomes one space. Rows are then dropped,
    for these reasons:

    - ``missing``: NA, None or NaN, which is what pandas reads from an empty CSV cell.
    - ``empty``: empty or whitespace-only text.
    - ``placeholder``: a stand-in for missing text, one of :data:`PLACEHOLDER_TEXTS` (``nan``,
      ``none``, ``null``, ``n/a``, ``-``) in any case.
    - ``no letters``: text without any letter in any script, such as emoji-only or
      numbers-only text (``"32"``, ``"38-40"``). Such text has no fashion vocabulary for a
      model to learn from, so it is dropped rather than kept or flagged.

    When rows are dropped, one ``UserWarning`` per call gives the count per reason and the first
    10 dropped doc_ids, and the same line is logged at WARNING level.

    Args:
        df: a frame with at least ``doc_id`` and ``text`` columns.

    Returns:
        A new frame with a fresh index, in which ``text`` holds only non-empty strings.

    Raises:
        KeyError: ``doc_id`` or ``text`` is not a column.
    """
    for name in ("doc_id", "text"):
        if name not in df.columns:
            raise KeyError(f"clean_documents needs a {name!r} column; columns: {list(df.columns)}")

    raw = df["text"]
    missing = raw.isna().to_numpy()
    text = raw.astype("string").str.replace(r"\s+", " ", regex=True).str.strip()
    text = text.fillna("")
    empty = ~missing & (text == "").to_numpy()
    placeholder = ~missing & ~empty & text.str.casefold().isin(PLACEHOLDER_TEXTS).to_numpy()
    no_letters = ~(missing | empty | placeholder) & ~text.str.contains(_LETTER_PATTERN).to_numpy()

    reasons = {"missing": missing, "empty": empty, "placeholder": placeholder,
               "no letters": no_letters}
    dropped = missing | empty | placeholder | no_letters
    cleaned = df.loc[~dropped].copy()
    cleaned["text"] = text[~dropped].array
    cleaned = cleaned.reset_index(drop=True)

    if dropped.any():
        counts = ", ".join(f"{int(mask.sum())} {reason}" for reason, mask in reasons.items()
                           if mask.any())
        first_ids = list(df["doc_id"][dropped][:10])
        message = (f"clean_documents: dropped {int(dropped.sum())} of {len(df)} rows without "
                   f"usable text ({counts}); first doc_ids: {first_ids}")
        logger.warning(message)
        warnings.warn(message, UserWarning, stacklevel=2)
    return cleaned


def normalise_text(text: pd.Series) -> pd.Series:
    """Return `text` case-folded with whitespace collapsed, the key used to find duplicates."""
    return text.astype("string").str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()


def _concat_tuples(tuples: pd.Series) -> tuple:
    return tuple(chain.from_iterable(tuples))


def deduplicate(df: pd.DataFrame, *, key: str = "text") -> pd.DataFrame:
    """Keep the first row of each group of rows whose `key` column is the same text.

    Texts are compared after :func:`normalise_text` (case-folded, whitespace collapsed). For
    example, H&M colour variants of one product repeat one description and become one row.

    Args:
        df: a frame with ``doc_id`` and `key` columns.
        key: the column compared.

    Returns:
        The kept rows, in their original order, with two added columns.
        ``n_duplicates`` is the number of original rows that the row represents (1 when
        unique). ``duplicate_doc_ids`` is the tuple of their doc_ids, its own first. When `df`
        was already deduplicated, both columns are merged, so counts add up across calls.

    Raises:
        KeyError: ``doc_id`` or `key` is not a column.
    """
    for name in ("doc_id", key):
        if name not in df.columns:
            raise KeyError(f"deduplicate needs a {name!r} column; columns: {list(df.columns)}")

    normalised = normalise_text(df[key]).fillna("").to_numpy()
    counts = (df["n_duplicates"] if "n_duplicates" in df.columns
              else pd.Series(1, index=df.index))
    doc_ids = (df["duplicate_doc_ids"] if "duplicate_doc_ids" in df.columns
               else df["doc_id"].map(lambda doc_id: (doc_id,)))
    groups = pd.DataFrame({"key": normalised, "count": counts.to_numpy(),
                           "doc_ids": doc_ids.to_numpy()})
    grouped = groups.groupby("key", sort=False)
    first = grouped.cumcount().to_numpy() == 0

    result = df.loc[first].copy()
    result["n_duplicates"] = grouped["count"].sum().to_numpy().astype("int64")
    result["duplicate_doc_ids"] = grouped["doc_ids"].agg(_concat_tuples).to_numpy()
    removed = len(df) - len(result)
    logger.info("deduplicate: %d rows -> %d unique %s values (%d duplicates removed)",
                len(df), len(result), key, removed)
    return result.reset_index(drop=True)
