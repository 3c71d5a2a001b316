"""Loaders that turn each registered dataset, the bundled sample and users' own tables into one
documents frame (schema in :mod:`fashion_lab.data.clean`).

Extra columns after the schema columns:

- ``rating`` (Int64): star rating, 1 to 5, of ``womens_clothing_reviews`` and
  ``sample_reviews`` rows, NA elsewhere.
- ``question_type``, ``answer_type`` (string): ``amazon_qa_clothing`` only. ``question_type``
  is ``open-ended`` or ``yes/no``, and ``answer_type`` is Y, N or ? for yes/no questions.
- ``split`` (string): ``fashioniq_captions`` only, one of ``train``, ``val`` or ``test``.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import io
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fashion_lab._checks import check_choice
from fashion_lab.config import SAMPLE_DIR, Profile, get_profile
from fashion_lab.data.clean import (
    KINDS,
    build_documents,
    clean_documents,
    deduplicate,
    validate_documents,
)
from fashion_lab.data.registry import DATASETS, DatasetNotFoundError, get_dataset, locate_dataset
from fashion_lab.data.split import sample_by_product

logger = logging.getLogger(__name__)

# H&M index groups that name a gender. The others (Baby/Children, Divided, Sport) do not.
_HM_GENDER = {"Ladieswear": "Women", "Menswear": "Men"}
_FASHIONIQ_CATEGORIES = ("dress", "shirt", "toptee")
_FASHIONIQ_SPLITS = ("train", "val", "test")


def _read_csv_text(path: Path | io.BytesIO, **kwargs) -> pd.DataFrame:
    """Read a CSV with every cell as a string; empty cells stay "" instead of becoming NaN."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, **kwargs)


def _blank_to_na(values: pd.Series) -> pd.Series:
    values = values.astype("string").str.strip()
    return values.mask(values == "")


def _join_title(title: pd.Series, body: pd.Series) -> pd.Series:
    """Return ``title + ". " + body`` where both are present, else `body`.

    The title is followed by a space only when it already ends with ``.``, ``!`` or ``?``.
    """
    title = title.fillna("").astype("string").str.strip()
    body = body.fillna("").astype("string").str.strip()
    separator = np.where(title.str.contains(r"[.!?]$"), " ", ". ")
    joined = title + separator + body
    return joined.where((title != "") & (body != ""), body)


def _read_hm_articles(folder: Path) -> pd.DataFrame:
    raw = pd.read_parquet(folder / "articles.parquet")
    logger.info("hm_articles: %d articles share %d unique detail_desc texts (colour variants "
                "repeat their product's description)", len(raw), raw["detail_desc"].nunique())
    return build_documents({
        "doc_id": "hm_articles:" + raw["article_id"].astype(str),
        "product_id": raw["product_code"].astype(str),
        "text": raw["detail_desc"],
        "title": raw["prod_name"],
        "source": "hm_articles",
        "kind": "description",
        "category": raw["product_type_name"],
        "department": raw["product_group_name"],
        "colour": raw["colour_group_name"],
        "pattern": raw["graphical_appearance_name"],
        "gender": raw["index_group_name"].map(_HM_GENDER),
    })


def _repair_styles(path: Path) -> pd.DataFrame:
    """Read the original styles.csv, in which 22 names contain unquoted commas.

    Every line is split on its first 9 commas only, so a comma inside the last field
    (``productDisplayName``) stays part of the name and no row is dropped.
    """
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        lines = [line for line in stream.read().splitlines() if line]
    header = lines[0].split(",")
    rows = [line.split(",", len(header) - 1) for line in lines[1:]]
    short = [number for number, row in enumerate(rows, start=2) if len(row) != len(header)]
    if short:
        raise ValueError(f"{path}: lines {short[:5]} have fewer than {len(header)} fields; "
                         "the file is damaged, get it again")
    repaired = sum(line.count(",") > len(header) - 1 for line in lines[1:])
    logger.info("fashion_product_images_styles: repaired %d rows with commas in the name", repaired)
    return pd.DataFrame(rows, columns=header)


def _read_fashion_product_images_styles(folder: Path) -> pd.DataFrame:
    clean = folder / "styles_clean.csv.gz"
    raw = _read_csv_text(clean) if clean.is_file() else _repair_styles(folder / "styles.csv.gz")
    year = pd.to_numeric(raw["year"], errors="coerce").astype("Int64").astype("string")
    return build_documents({
        "doc_id": "fashion_product_images_styles:" + raw["id"],
        "product_id": raw["id"],
        "text": raw["productDisplayName"],
        "title": raw["productDisplayName"],
        "source": "fashion_product_images_styles",
        "kind": "title",
        "category": _blank_to_na(raw["articleType"]),
        "department": _blank_to_na(raw["subCategory"]),
        "colour": _blank_to_na(raw["baseColour"]),
        "gender": _blank_to_na(raw["gender"]),
        "date": pd.to_datetime(year + "-01-01", format="%Y-%m-%d", errors="coerce"),
    })


def _read_myntra_products_catalog(folder: Path) -> pd.DataFrame:
    raw = _read_csv_text(folder / "myntra_products_catalog.csv.gz")
    return build_documents({
        "doc_id": "myntra_products_catalog:" + raw["ProductID"],
        "product_id": raw["ProductID"],
        "text": raw["Description"],
        "title": _blank_to_na(raw["ProductName"]),
        "source": "myntra_products_catalog",
        "kind": "description",
        # The catalogue has no garment taxonomy, and its broad sections are by gender.
        "department": _blank_to_na(raw["Gender"]),
        "colour": _blank_to_na(raw["PrimaryColor"]),
        "gender": _blank_to_na(raw["Gender"]),
    })


def _read_womens_clothing_reviews(folder: Path) -> pd.DataFrame:
    raw = _read_csv_text(folder / "Womens_Clothing_E-Commerce_Reviews.csv.gz", index_col=0)
    return build_documents(
        {
            "doc_id": "womens_clothing_reviews:" + raw.index.astype(str),
            "product_id": raw["Clothing ID"],
            # A row without review text stays without text (and is dropped), even with a title.
            "text": _join_title(raw["Title"], raw["Review Text"]),
            "title": _blank_to_na(raw["Title"]),
            "source": "womens_clothing_reviews",
            "kind": "review",
            "category": _blank_to_na(raw["Class Name"]),
            "department": _blank_to_na(raw["Department Name"]),
            "gender": "Women",
        },
        extra={"rating": pd.to_numeric(raw["Rating"], errors="coerce").astype("Int64")},
    )


def _read_amazon_qa_clothing(folder: Path) -> pd.DataFrame:
    # Each line is a Python dict literal (single quotes), not JSON.
    with gzip.open(folder / "qa_Clothing_Shoes_and_Jewelry.json.gz", "rt", encoding="utf-8") as f:
        raw = pd.DataFrame([ast.literal_eval(line) for line in f if line.strip()])
    line_ids = "amazon_qa_clothing:" + pd.Series(np.arange(len(raw)).astype(str))
    # unixTime is the answer's date. The question row gets it too, as the closest known date.
    date = pd.to_datetime(raw["unixTime"], unit="s", errors="coerce")
    extra = {"question_type": raw["questionType"].astype("string"),
             "answer_type": raw.get("answerType", pd.Series(pd.NA, index=raw.index))
             .astype("string")}
    parts = []
    for kind in ("question", "answer"):
        parts.append(build_documents(
            {"doc_id": line_ids + f":{kind}", "product_id": raw["asin"], "text": raw[kind],
             "source": "amazon_qa_clothing", "kind": kind, "date": date},
            extra=extra,
        ))
    # Interleave so that each question is followed by its answer.
    order = np.argsort(np.r_[np.arange(len(raw)), np.arange(len(raw))], kind="stable")
    return pd.concat(parts, ignore_index=True).iloc[order].reset_index(drop=True)


def _read_fashioniq_captions(folder: Path) -> pd.DataFrame:
    rows = []
    for category in _FASHIONIQ_CATEGORIES:
        for split in _FASHIONIQ_SPLITS:
            path = folder / "captions" / f"cap.{category}.{split}.json"
            for pair_number, pair in enumerate(json.loads(path.read_text(encoding="utf-8"))):
                # Test pairs have no target, so they group by the shown (candidate) product.
                product = pair.get("target") or pair["candidate"]
                for part, caption in enumerate(pair["captions"]):
                    doc_id = f"fashioniq_captions:{category}.{split}.{pair_number}:{part}"
                    rows.append((doc_id, product, caption, category, split))
    doc_id, product, text, category, split = zip(*rows, strict=True)
    return build_documents(
        {"doc_id": doc_id, "product_id": product, "text": text, "source": "fashioniq_captions",
         "kind": "caption", "category": category},
        extra={"split": pd.array(split, dtype="string")},
    )


_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "hm_articles": _read_hm_articles,
    "fashion_product_images_styles": _read_fashion_product_images_styles,
    "myntra_products_catalog": _read_myntra_products_catalog,
    "womens_clothing_reviews": _read_womens_clothing_reviews,
    "amazon_qa_clothing": _read_amazon_qa_clothing,
    "fashioniq_captions": _read_fashioniq_captions,
}


def load_dataset(
    name: str, *, max_docs: int | None = None, seed: int = 42, download: bool = True
) -> pd.DataFrame:
    """Load a registered dataset as a cleaned documents frame.

    Mapping of each dataset to the schema:

    - ``hm_articles``: one ``description`` per article (colour variant). Text
      ``detail_desc``, title ``prod_name``, product ``product_code``, category
      ``product_type_name``, department ``product_group_name``, colour ``colour_group_name``,
      pattern ``graphical_appearance_name``. Gender is Women or Men for the ``index_group_name``
      values Ladieswear and Menswear, and NA for the other groups.
    - ``fashion_product_images_styles``: one ``title`` per product (``productDisplayName``).
      Category ``articleType``, department ``subCategory``, colour ``baseColour``, date
      1 January of ``year``. Reads ``styles_clean.csv.gz`` when present, else repairs
      ``styles.csv.gz``, and both give all 44,446 rows.
    - ``myntra_products_catalog``: text ``Description``, title ``ProductName``, department and
      gender ``Gender`` (the catalogue has no garment taxonomy), colour ``PrimaryColor``.
    - ``womens_clothing_reviews``: one ``review`` per row, text ``Title. Review Text``, product
      ``Clothing ID``, category ``Class Name``, department ``Department Name``, gender Women.
    - ``amazon_qa_clothing``: a ``question`` row and an ``answer`` row per record, both with the
      product ``asin`` and the date ``unixTime``.
    - ``fashioniq_captions``: one ``caption`` row per caption. The product is the target ASIN
      (the candidate in test files, which have no target), the category dress, shirt or toptee.

    Args:
        name: registry name, one of :data:`fashion_lab.data.DATASETS`.
        max_docs: keep at most this many rows, sampled as whole products (see
            :func:`fashion_lab.data.sample_by_product`). None keeps all rows.
        seed: seed of that sampling.
        download: allow a download where the dataset has public URLs.

    Returns:
        The documents, cleaned by :func:`fashion_lab.data.clean_documents` (not deduplicated).

    Raises:
        ValueError: `name` is not registered.
        DatasetNotFoundError: the files were not found. The message gives the steps to get them.
        ChecksumError: a file does not match its registered sha256.
    """
    get_dataset(name)
    start = time.perf_counter()
    folder = locate_dataset(name, download=download)
    raw = _READERS[name](folder)
    documents = clean_documents(raw)
    if max_docs is not None:
        documents = sample_by_product(documents, max_docs, seed=seed)
    validate_documents(documents)
    logger.info("%s: loaded %d documents (%d rows before cleaning) in %.1f s",
                name, len(documents), len(raw), time.perf_counter() - start)
    return documents


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
    if table_format == "csv":
        return _read_csv_text(path)
    if table_format == "jsonl":
        return _read_json_lines(path, compressed)
    if compressed:
        return pd.read_parquet(io.BytesIO(gzip.decompress(path.read_bytes())))
    return pd.read_parquet(path)


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


def load_sample(sample_dir: str | Path = SAMPLE_DIR) -> pd.DataFrame:
    """Load the invented fashion sample shipped in ``data/sample`` as a documents frame.

    Product listings become ``description`` rows (source ``sample_listings``) and reviews
    become ``review`` rows (source ``sample_reviews``, text ``title. text``, with ``rating``).
    Reviews share ``product_id`` with the listing they review. Queries are not documents and
    are loaded by :func:`load_sample_queries`.

    Example:
        >>> docs = load_sample()
        >>> sorted(docs["source"].unique())
        ['sample_listings', 'sample_reviews']
    """
    sample_dir = Path(sample_dir)
    listings = _read_csv_text(sample_dir / "listings.csv")
    reviews = _read_csv_text(sample_dir / "reviews.csv")
    listing_docs = build_documents(
        {"doc_id": "sample_listings:" + listings["sku"], "product_id": listings["product_id"],
         "text": listings["description"], "title": _blank_to_na(listings["title"]),
         "source": "sample_listings", "kind": "description",
         "category": _blank_to_na(listings["category"]),
         "department": _blank_to_na(listings["department"]),
         "colour": _blank_to_na(listings["colour"]), "pattern": _blank_to_na(listings["pattern"])},
        extra={"rating": pd.array([pd.NA] * len(listings), dtype="Int64")},
    )
    review_docs = build_documents(
        {"doc_id": "sample_reviews:" + reviews["review_id"], "product_id": reviews["product_id"],
         "text": _join_title(reviews["title"], reviews["text"]),
         "title": _blank_to_na(reviews["title"]), "source": "sample_reviews", "kind": "review",
         "category": _blank_to_na(reviews["category"])},
        extra={"rating": pd.to_numeric(reviews["rating"], errors="coerce").astype("Int64")},
    )
    documents = clean_documents(pd.concat([listing_docs, review_docs], ignore_index=True))
    validate_documents(documents)
    return documents


def load_sample_queries(sample_dir: str | Path = SAMPLE_DIR) -> pd.DataFrame:
    """Load the sample's shopper queries: ``query_id``, ``query`` and the ``product_id`` that
    should rank first for it (a listing in :func:`load_sample`).

    Example:
        >>> list(load_sample_queries().columns)
        ['query_id', 'query', 'product_id']
    """
    queries = _read_csv_text(Path(sample_dir) / "queries.csv")
    return queries[["query_id", "query", "product_id"]].astype("string")


@dataclass(frozen=True, eq=False)
class Corpus:
    """The combined, cleaned and deduplicated documents of one profile.

    Attributes:
        documents: documents frame (schema in :mod:`fashion_lab.data.clean`), deduplicated by
            text, so it also has ``n_duplicates`` and ``duplicate_doc_ids``.
        skipped: datasets that were not loaded, by name, with the reason and how to get them.
        checksum: sha256 over the doc_id and text of every document, sorted by doc_id, so
            equal checksums mean equal corpora.
        sources: number of documents per ``source``.
        profile: name of the profile the corpus was built for.
    """

    documents: pd.DataFrame
    skipped: dict[str, str]
    checksum: str
    sources: dict[str, int]
    profile: str

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def texts(self) -> list[str]:
        """Document texts, in row order."""
        return self.documents["text"].tolist()

    @property
    def doc_ids(self) -> list[str]:
        """Document ids, in row order."""
        return self.documents["doc_id"].tolist()


def corpus_checksum(documents: pd.DataFrame) -> str:
    """Return the sha256 over ``doc_id`` and ``text`` of `documents`, sorted by doc_id."""
    digest = hashlib.sha256()
    for doc_id, text in sorted(zip(documents["doc_id"], documents["text"], strict=True)):
        digest.update(f"{doc_id}\t{text}\n".encode())
    return digest.hexdigest()


def _load_real_documents(profile: Profile) -> tuple[list[pd.DataFrame], dict[str, str]]:
    frames, skipped = [], {}
    for name, dataset in DATASETS.items():
        try:
            # Only datasets with public URLs can be downloaded. The others need a login.
            documents = load_dataset(name, download=dataset.downloadable)
        except DatasetNotFoundError as error:
            logger.warning("load_corpus: skipping %s: %s", name, str(error).splitlines()[0])
            skipped[name] = str(error)
            continue
        documents = deduplicate(documents)
        if profile.max_docs_per_dataset is not None:
            documents = sample_by_product(documents, profile.max_docs_per_dataset,
                                          seed=profile.seed)
        frames.append(documents)
    return frames, skipped


def load_corpus(profile: Profile | str) -> Corpus:
    """Build the corpus of a profile: every dataset it uses, cleaned and deduplicated.

    With ``profile.use_real_data``, every registered dataset that is found is loaded, and
    those with public URLs are downloaded when missing. Each is deduplicated by text, then
    capped at ``profile.max_docs_per_dataset`` rows drawn as whole products with
    ``profile.seed``. Datasets not found are listed in ``Corpus.skipped``. Without real data,
    only ``data/sample`` is used (:func:`load_sample`). Finally, texts repeated across datasets
    are merged too.

    Args:
        profile: a :class:`fashion_lab.config.Profile` or a profile name.

    Returns:
        The corpus.

    Raises:
        DatasetNotFoundError: the profile uses real data and no dataset was found.
        ChecksumError: a dataset file does not match its registered sha256.

    Example:
        >>> corpus = load_corpus("sample")
        >>> sorted(corpus.sources)
        ['sample_listings', 'sample_reviews']
    """
    profile = get_profile(profile)
    start = time.perf_counter()
    if profile.use_real_data:
        frames, skipped = _load_real_documents(profile)
        if not frames:
            reasons = "\n".join(f"- {name}: {reason}" for name, reason in skipped.items())
            raise DatasetNotFoundError(
                f"profile {profile.name!r} uses real data, but none of the {len(DATASETS)} "
                f"datasets was found. Set FASHION_LAB_DATA to the folder that contains the "
                f"dataset folders, or run `make report PROFILE=sample` to use the bundled "
                f"sample instead. Per dataset:\n{reasons}"
            )
    else:
        documents = deduplicate(load_sample())
        if profile.max_docs_per_dataset is not None:
            documents = sample_by_product(documents, profile.max_docs_per_dataset,
                                          seed=profile.seed)
        frames, skipped = [documents], {}

    documents = deduplicate(pd.concat(frames, ignore_index=True))
    sources = {str(k): int(v) for k, v in documents["source"].value_counts(sort=False).items()}
    corpus = Corpus(documents=documents, skipped=skipped, checksum=corpus_checksum(documents),
                    sources=sources, profile=profile.name)
    logger.info("load_corpus: %d documents from %s in %.1f s (profile %s, %d skipped)",
                len(documents), sources, time.perf_counter() - start, profile.name, len(skipped))
    return corpus
