"""Readers that turn each registered dataset into one documents frame.

The frame's schema is described in :mod:`fashion_lab.data.clean`. Users' own files are loaded by
:mod:`fashion_lab.data.tables`, and the bundled sample by :mod:`fashion_lab.data.corpus`.

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
import io
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from fashion_lab.data.clean import build_documents, clean_documents, validate_documents
from fashion_lab.data.locate import locate_dataset
from fashion_lab.data.registry import get_dataset
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
