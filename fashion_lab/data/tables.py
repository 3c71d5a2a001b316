"""Load users' own CSV, JSON-lines and Parquet files as documents frames."""

from __future__ import annotations

import gzip
import io
import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fashion_lab._checks import check_choice
from fashion_lab.data.clean import KINDS, build_documents, clean_documents, validate_documents
from fashion_lab.data.loaders import _blank_to_na, _read_csv_text

logger = logging.getLogger(__name__)


class ColumnNotFoundError(KeyError):
    """A column named in a call is not in the table; the message lists the columns present."""

    def __str__(self) -> str:
        return str(self.args[0])


# Table formats by file extension (before an optional ``.gz``).
_TABLE_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


def _table_format(path: Path) -> tuple[str, bool]:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    extension = suffixes[-1] if suffixes else ""
    if extension not in _TABLE_FORMATS:
        supported = ", ".join(sorted(_TABLE_FORMATS)) + " (each optionally followed by .gz)"
        raise ValueError(f"unsupported file extension {extension or '(none)'!r} in {path}; "
                         f"supported: {supported}. Convert the file or rename it")
    return _TABLE_FORMATS[extension], compressed


def _read_json_lines(path: Path, compressed: bool) -> pd.DataFrame:
    expected = ".json and .jsonl files must contain one JSON object per line"
    opener = gzip.open if compressed else open
    with opener(path, "rt", encoding="utf-8") as stream:
        start = stream.read(4096).lstrip()[:1]
    if start == "[":
        raise ValueError(f"{path} contains a JSON array, but {expected}. Convert it with "
                         "pandas.read_json(path).to_json(new_path, orient='records', lines=True)")
    try:
        # dtype=False keeps ids such as "0012" as written instead of guessing numbers.
        return pd.read_json(path, lines=True, dtype=False)
    except ValueError as error:
        raise ValueError(f"{path} is not valid JSON lines ({error}); {expected}") from error


def _read_table(path: Path, table_format: str, compressed: bool) -> pd.DataFrame:
    try:
        if table_format == "csv":
            return _read_users_csv(path)
        if table_format == "jsonl":
            return _read_json_lines(path, compressed)
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not UTF-8 text ({error.reason} at byte {error.start}); re-save it as "
            "UTF-8, e.g. pandas.read_csv(path, encoding='latin-1').to_csv(new_path, index=False)"
        ) from error
    if compressed:
        return pd.read_parquet(io.BytesIO(gzip.decompress(path.read_bytes())))
    return pd.read_parquet(path)


def _read_users_csv(path: Path) -> pd.DataFrame:
    """Read a user's CSV, rejecting rows whose field count differs from the header's.

    pandas would otherwise take an unquoted comma in the first data row as a sign that the file
    has an index column and shift every column by one, without an error.
    """
    fix = ('quote text that contains commas ("Bootcut, high rise") or save the table as JSONL '
           "or Parquet")
    try:
        with warnings.catch_warnings():
            # With index_col=False pandas only warns when the first row is too long.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = _read_csv_text(path, index_col=False, on_bad_lines="error")
    except pd.errors.EmptyDataError as error:
        raise ValueError(f"{path} is empty; expected a header row and data rows") from error
    except pd.errors.ParserWarning as error:
        raise ValueError(f"{path}: the first data row has more fields than the header; {fix}"
                         ) from error
    except pd.errors.ParserError as error:
        message = str(error).strip()
        raise ValueError(f"{path} has a row with more fields than its header ({message}); "
                         f"{fix}") from error
    return table


def _native_ids(table: pd.DataFrame, id_column: str | None, path: Path) -> pd.Series:
    if id_column is None:
        return pd.Series(np.arange(len(table)).astype(str), index=table.index, dtype="string")
    ids = _blank_to_na(table[id_column])
    if ids.isna().any():
        rows = list(np.flatnonzero(ids.isna().to_numpy())[:5])
        raise ValueError(f"id column {id_column!r} of {path} is empty in {int(ids.isna().sum())} "
                         f"rows (first row numbers: {rows}); fill the ids or pass id_column=None")
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise ValueError(f"id column {id_column!r} of {path} must be unique; "
                         f"{len(repeated)} repeated, e.g. {list(repeated.unique()[:5])}. Pass "
                         "another id_column, or id_column=None to number the rows")
    return ids


def load_table(
    path: str | Path,
    *,
    text_column: str,
    id_column: str | None = None,
    category_column: str | None = None,
    product_column: str | None = None,
    source: str | None = None,
    kind: str = "description",
) -> pd.DataFrame:
    """Load a user's CSV, JSON-lines or Parquet file as a cleaned documents frame.

    The format follows the extension: ``.csv``, ``.jsonl`` or ``.json`` (one JSON object per
    line), ``.parquet``, each optionally followed by ``.gz``. CSV cells are read as strings, so
    an empty cell never turns into a float NaN. Rows without usable text are dropped with a
    warning (see :func:`fashion_lab.data.clean_documents`).

    Args:
        path: the file.
        text_column: column with the document text.
        id_column: column with a unique id per row. None numbers the rows from 0.
        category_column: column with the category label, if any.
        product_column: column that groups rows of one product for splits. None makes each
            row its own product. Rows with an empty product use their id.
        source: value of the ``source`` column and prefix of ``doc_id``. The default is the
            file name without its extensions.
        kind: value of the ``kind`` column, one of :data:`fashion_lab.data.KINDS`.

    Returns:
        The documents, with ``doc_id`` ``"<source>:<id>"``.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: the extension is not supported, or the ids are empty or repeated.
        ColumnNotFoundError: a named column is not in the file (a KeyError).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"table file not found: {path.resolve()}; check the path and "
                                "the current directory")
    table_format, compressed = _table_format(path)
    check_choice("kind", kind, KINDS)
    table = _read_table(path, table_format, compressed)

    named = {"text_column": text_column, "id_column": id_column,
             "category_column": category_column, "product_column": product_column}
    for argument, column in named.items():
        if column is not None and column not in table.columns:
            raise ColumnNotFoundError(f"{argument}={column!r} is not a column of {path}; "
                                      f"columns: {list(table.columns)}")

    source = source or path.name.split(".")[0]
    ids = _native_ids(table, id_column, path)
    product = ids if product_column is None else _blank_to_na(table[product_column]).fillna(ids)
    category = pd.NA if category_column is None else _blank_to_na(table[category_column])
    documents = clean_documents(build_documents({
        "doc_id": source + ":" + ids, "product_id": product,
        "text": table[text_column].astype("string"), "source": source, "kind": kind,
        "category": category,
    }))
    validate_documents(documents)
    logger.info("load_table: %d documents from %s", len(documents), path)
    return documents
