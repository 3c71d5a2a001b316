"""Tests for fashion_lab.data: registry, locating and verifying files, loaders, cleaning,
deduplication, product splits and the combined corpus.

Tests that use the ``real_data`` fixture read the real datasets from ``FASHION_LAB_DATA``, which
CI sets. Without it they use ``../shared/data`` next to the repository, and they skip when
neither exists. No test downloads anything, because ``pooch.retrieve`` is replaced for every
test and the download cache points at a temporary folder.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import warnings
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pooch
import pytest

from fashion_lab import config
from fashion_lab.data import (
    DATASETS,
    SCHEMA_COLUMNS,
    ChecksumError,
    ColumnNotFoundError,
    DatasetNotFoundError,
    build_documents,
    clean_documents,
    deduplicate,
    load_corpus,
    load_dataset,
    load_sample,
    load_sample_queries,
    load_table,
    locate,
    locate_dataset,
    sample_by_product,
    split_by_product,
    validate_documents,
)

REPO_DIR = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_DIR.parent / "shared" / "data"
MISSING_TEXT_CSV = REPO_DIR.parent / "shared" / "cases" / "inputs" / "C11_products_missing_text.csv"

# Rows per dataset after clean_documents, measured on the registered files.
EXPECTED_ROWS = {
    "hm_articles": 105_126,  # 105,542 articles, 416 without detail_desc
    "fashion_product_images_styles": 44_446,  # every row of the original file
    "myntra_products_catalog": 12_491,
    "womens_clothing_reviews": 22_641,  # 23,486 reviews, 845 without review text
    "amazon_qa_clothing": 44_062,  # 22,068 questions + 21,994 answers with letters
    "fashioniq_captions": 60_219,  # 60,268 captions, 49 empty, "none", "n/a" or letterless
}
ALL_FILES = [(name, f) for name, dataset in DATASETS.items() for f in dataset.files]


def _sha256(path: Path, *, decompressed: bool = False) -> str:
    data = gzip.decompress(path.read_bytes()) if decompressed else path.read_bytes()
    return hashlib.sha256(data).hexdigest()


def _real_data_root() -> Path | None:
    for folder in config.data_dirs():
        if any((folder / name).is_dir() for name in DATASETS):
            # Absolute, because tests link to it from temporary folders.
            return folder.resolve()
    return SHARED_DATA if SHARED_DATA.is_dir() else None


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch, tmp_path_factory):
    """Fail any download attempt and point the dataset cache at an empty folder."""

    def fail_download(url, *args, **kwargs):
        raise OSError(f"network disabled in tests: {url}")

    monkeypatch.setattr(pooch, "retrieve", fail_download)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def real_data():
    """Set FASHION_LAB_DATA to the real data folder for this module, or skip."""
    root = _real_data_root()
    if root is None:
        pytest.skip("real datasets not found: set FASHION_LAB_DATA to the folder that holds them")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config.DATA_ENV, str(root))
        yield root


@pytest.fixture(scope="module")
def real_documents(real_data):
    """Load each real dataset at most once per module: ``real_documents(name)``."""
    loaded: dict[str, pd.DataFrame] = {}

    def load(name: str) -> pd.DataFrame:
        if not (real_data / name).is_dir():
            pytest.skip(f"dataset {name} is not in {real_data}")
        if name not in loaded:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                loaded[name] = load_dataset(name, download=False)
        return loaded[name]

    return load


def _link_datasets(root: Path, source: Path, names: list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / name).symlink_to(source / name, target_is_directory=True)
    return root


# --- registry ---------------------------------------------------------------------------


def test_registry_names_are_folder_names():
    assert set(DATASETS) == {
        "hm_articles", "fashion_product_images_styles", "myntra_products_catalog",
        "womens_clothing_reviews", "amazon_qa_clothing", "fashioniq_captions",
    }
    for name, dataset in DATASETS.items():
        assert dataset.name == name


@pytest.mark.parametrize(("name", "data_file"), ALL_FILES, ids=lambda v: getattr(v, "path", v))
def test_registry_sha256_matches_real_file(real_data, name, data_file):
    path = real_data / name / data_file.path
    if not path.is_file():
        pytest.skip(f"{path} not present")
    assert data_file.sha256 == _sha256(path)


@pytest.mark.parametrize(
    ("name", "data_file"), [(n, f) for n, f in ALL_FILES if f.content_sha256],
    ids=lambda v: getattr(v, "path", v),
)
def test_registry_content_sha256_matches_decompressed(real_data, name, data_file):
    path = real_data / name / data_file.path
    if not path.is_file():
        pytest.skip(f"{path} not present")
    assert data_file.content_sha256 == _sha256(path, decompressed=True)


def test_registry_urls_only_for_public_downloads():
    downloadable = {name for name, dataset in DATASETS.items() if dataset.downloadable}
    assert downloadable == {"amazon_qa_clothing", "fashioniq_captions"}
    for name in set(DATASETS) - downloadable:
        assert all(f.url is None for f in DATASETS[name].files)
    amazon = DATASETS["amazon_qa_clothing"].files[0]
    assert amazon.url.startswith("https://mcauleylab.ucsd.edu/")
    assert amazon.content_sha256.startswith("e9263e")
    for data_file in DATASETS["fashioniq_captions"].files:
        assert data_file.url.startswith("https://raw.githubusercontent.com/XiaoxiaoGuo/fashion-iq/")


# --- locating and verifying files -------------------------------------------------------


def test_locate_dataset_finds_env_folder(real_data):
    assert locate_dataset("myntra_products_catalog", download=False) == (
        real_data / "myntra_products_catalog"
    )


def test_locate_dataset_skips_incomplete_folder(real_data, tmp_path, monkeypatch):
    (tmp_path / "myntra_products_catalog").mkdir()
    monkeypatch.setenv(config.DATA_ENV, f"{tmp_path}{os.pathsep}{real_data}")
    assert locate_dataset("myntra_products_catalog", download=False) == (
        real_data / "myntra_products_catalog"
    )


def test_locate_dataset_hashes_once_per_file(real_data, tmp_path, monkeypatch):
    shutil.copytree(real_data / "amazon_qa_clothing", tmp_path / "amazon_qa_clothing")
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))
    calls = []

    def counting_sha256(*args):
        calls.append(args)
        return hashlib.sha256(*args)

    monkeypatch.setattr(locate, "hashlib", SimpleNamespace(sha256=counting_sha256))
    locate_dataset("amazon_qa_clothing", download=False)
    locate_dataset("amazon_qa_clothing", download=False)
    assert len(calls) == 1


def test_tampered_file_raises_checksum_error(real_data, tmp_path, monkeypatch):
    folder = tmp_path / "amazon_qa_clothing"
    shutil.copytree(real_data / "amazon_qa_clothing", folder)
    path = folder / "qa_Clothing_Shoes_and_Jewelry.json.gz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))

    with pytest.raises(ChecksumError) as caught:
        locate_dataset("amazon_qa_clothing", download=False)
    message = str(caught.value)
    assert str(path) in message
    assert DATASETS["amazon_qa_clothing"].files[0].sha256 in message
    assert _sha256(path) in message
    assert "e9263e8558354f2eaa427a9c9948d9d6497f185df967e9d68d885367498d5289" in message
    assert isinstance(caught.value, ValueError)


def test_recompressed_gz_passes_by_content(real_data, tmp_path, monkeypatch):
    folder = tmp_path / "myntra_products_catalog"
    folder.mkdir()
    original = real_data / "myntra_products_catalog" / "myntra_products_catalog.csv.gz"
    recompressed = folder / original.name
    recompressed.write_bytes(gzip.compress(gzip.decompress(original.read_bytes()), mtime=0))
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))
    assert _sha256(recompressed) != DATASETS["myntra_products_catalog"].files[0].sha256
    assert locate_dataset("myntra_products_catalog", download=False) == folder


def test_missing_dataset_error_names_command(tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as caught:
        locate_dataset("hm_articles")
    message = str(caught.value)
    assert str(tmp_path / "hm_articles") in message
    assert str(config.cache_dir() / "hm_articles") in message
    assert ("kaggle competitions download -c h-and-m-personalized-fashion-recommendations "
            "-f articles.csv") in message
    assert "articles.parquet" in message
    assert "FASHION_LAB_DATA" in message
    assert "needs a login" in message
    assert isinstance(caught.value, FileNotFoundError)


def test_missing_reviews_error_names_kaggle_command(tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match="download=False") as caught:
        locate_dataset("womens_clothing_reviews", download=False)
    assert "kaggle datasets download -d nicapotato/womens-ecommerce-clothing-reviews" in str(
        caught.value
    )


def test_download_fills_cache(real_data, tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "empty"))
    requested = []

    def fake_retrieve(url, known_hash=None, fname=None, path=None, progressbar=False):
        requested.append(url)
        target = Path(path) / fname
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(real_data / "amazon_qa_clothing" / fname, target)
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    folder = locate_dataset("amazon_qa_clothing")
    assert folder == config.cache_dir() / "amazon_qa_clothing"
    assert requested == [DATASETS["amazon_qa_clothing"].files[0].url]
    assert locate_dataset("amazon_qa_clothing", download=False) == folder


def test_download_failure_raises_not_found(tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match="network disabled in tests"):
        locate_dataset("amazon_qa_clothing")


def test_download_of_wrong_file_is_deleted(tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))

    def fake_retrieve(url, known_hash=None, fname=None, path=None, progressbar=False):
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / fname).write_bytes(b"<html>not the data</html>")
        return str(Path(path) / fname)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    with pytest.raises(ChecksumError):
        locate_dataset("amazon_qa_clothing")
    cached = config.cache_dir() / "amazon_qa_clothing" / "qa_Clothing_Shoes_and_Jewelry.json.gz"
    assert not cached.exists()


# --- real dataset loaders -----------------------------------------------------------------


@pytest.mark.parametrize("name", list(DATASETS))
def test_load_dataset_row_count(real_documents, name):
    assert len(real_documents(name)) == EXPECTED_ROWS[name]


@pytest.mark.parametrize("name", list(DATASETS))
def test_load_dataset_schema(real_documents, name):
    documents = real_documents(name)
    validate_documents(documents)
    assert tuple(documents.columns[: len(SCHEMA_COLUMNS)]) == SCHEMA_COLUMNS
    assert documents["doc_id"].is_unique
    assert documents["doc_id"].str.startswith(f"{name}:").all()
    assert set(documents["source"]) == {name}
    assert documents["text"].map(type).eq(str).all()


def test_hm_articles_descriptions(real_documents):
    documents = real_documents("hm_articles")
    assert documents["product_id"].nunique() == 47_046
    assert set(documents["gender"].dropna()) == {"Women", "Men"}
    deduplicated = deduplicate(documents)
    assert len(deduplicated) == 43_394
    assert deduplicated["n_duplicates"].sum() == 105_126


def test_styles_repair_keeps_all_rows(real_data, real_documents, tmp_path, monkeypatch):
    folder = tmp_path / "fashion_product_images_styles"
    folder.mkdir()
    (folder / "styles.csv.gz").symlink_to(real_data / folder.name / "styles.csv.gz")
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))
    repaired = load_dataset("fashion_product_images_styles", download=False)

    assert len(repaired) == 44_446
    pd.testing.assert_frame_equal(repaired, real_documents("fashion_product_images_styles"))
    row = repaired.set_index("product_id").loc["3413"]
    assert row["text"] == "Myntra Men's Yes, its all about me White T-shirt"


def test_styles_date_is_first_of_year(real_documents):
    documents = real_documents("fashion_product_images_styles").set_index("product_id")
    assert documents.loc["15970", "date"] == pd.Timestamp("2011-01-01")
    assert documents["date"].isna().sum() == 1


def test_myntra_colour_and_gender(real_documents):
    documents = real_documents("myntra_products_catalog")
    assert not documents["colour"].str.startswith(" ").any()
    assert documents["colour"].isna().sum() == 894
    assert (documents["department"] == documents["gender"]).all()


def test_reviews_text_starts_with_title(real_documents):
    documents = real_documents("womens_clothing_reviews").set_index("doc_id")
    row = documents.loc["womens_clothing_reviews:3"]
    assert row["title"] == "My favorite buy!"
    assert row["text"].startswith("My favorite buy! I love, love, love this jumpsuit.")
    assert documents["rating"].between(1, 5).all()


def test_amazon_rows_are_questions_plus_answers(real_documents):
    documents = real_documents("amazon_qa_clothing")
    counts = documents["kind"].value_counts()
    assert counts["question"] == 22_068
    assert counts["answer"] == 21_994
    assert len(documents) == counts["question"] + counts["answer"]
    assert documents["product_id"].nunique() == 2_899
    pair = documents[documents["doc_id"].str.startswith("amazon_qa_clothing:0:")]
    assert list(pair["kind"]) == ["question", "answer"]
    assert pair["product_id"].nunique() == 1
    assert set(documents["question_type"]) == {"open-ended", "yes/no"}


def test_fashioniq_captions_keep_split(real_documents):
    documents = real_documents("fashioniq_captions")
    assert documents["split"].value_counts().to_dict() == {
        "train": 35_966, "test": 12_228, "val": 12_025,
    }
    assert set(documents["category"]) == {"dress", "shirt", "toptee"}
    first = documents.set_index("doc_id").loc["fashioniq_captions:dress.train.0:0"]
    assert first["product_id"] == "B008BHCT58"
    assert first["text"] == "is solid black with no sleeves"


def test_load_dataset_max_docs_keeps_whole_products(real_documents):
    documents = real_documents("womens_clothing_reviews")
    sampled = sample_by_product(documents, 1000, seed=42)
    again = sample_by_product(documents, 1000, seed=42)
    assert len(sampled) <= 1000
    assert list(sampled["doc_id"]) == list(again["doc_id"])
    full_sizes = documents["product_id"].value_counts()
    sampled_sizes = sampled["product_id"].value_counts()
    assert (full_sizes[sampled_sizes.index] == sampled_sizes).all()


def test_load_dataset_max_docs_argument(real_data):
    documents = load_dataset("myntra_products_catalog", max_docs=500, seed=7, download=False)
    assert len(documents) == 500
    other = load_dataset("myntra_products_catalog", max_docs=500, seed=8, download=False)
    assert set(documents["doc_id"]) != set(other["doc_id"])


def test_split_by_product_real_reviews(real_documents):
    train, test = split_by_product(real_documents("womens_clothing_reviews"), test_size=0.2)
    assert not set(train["product_id"]) & set(test["product_id"])
    assert len(train) + len(test) == EXPECTED_ROWS["womens_clothing_reviews"]


def test_load_dataset_unknown_name_raises():
    with pytest.raises(ValueError, match="hm_articles"):
        load_dataset("hm_article")


# --- cleaning -----------------------------------------------------------------------------

needs_missing_text_csv = pytest.mark.skipif(
    not MISSING_TEXT_CSV.is_file(), reason=f"input file not found: {MISSING_TEXT_CSV}"
)


@needs_missing_text_csv
def test_load_table_drops_unusable_text():
    with pytest.warns(UserWarning) as record:
        documents = load_table(MISSING_TEXT_CSV, text_column="description", id_column="sku",
                               source="products")
    assert list(documents["doc_id"]) == ["products:A100"]
    assert list(documents["text"]) == ["High rise bootcut jeans in mid wash denim"]
    assert len(record) == 1
    message = str(record[0].message)
    assert "dropped 6 of 7 rows" in message
    assert "2 empty, 2 placeholder, 2 no letters" in message
    for sku in ("A101", "A102", "A103", "A104", "A105", "A106"):
        assert f"products:{sku}" in message


@needs_missing_text_csv
def test_clean_documents_pandas_nan_cells():
    # Read with pandas defaults, so the empty cell, "NaN" and "N/A" become float NaN.
    table = pd.read_csv(MISSING_TEXT_CSV)
    assert table["description"].isna().sum() == 3
    frame = build_documents({"doc_id": table["sku"], "product_id": table["sku"],
                             "text": table["description"], "kind": "description"})
    with pytest.warns(UserWarning, match="3 missing, 1 empty, 2 no letters"):
        documents = clean_documents(frame)
    assert list(documents["doc_id"]) == ["A100"]
    assert all(isinstance(text, str) for text in documents["text"])


def test_clean_documents_collapses_whitespace():
    frame = build_documents({"doc_id": ["a", "b"], "product_id": ["a", "b"],
                             "text": ["  wide-leg \n trousers\tin  linen ", "Maxi dress"],
                             "kind": "description"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        documents = clean_documents(frame)
    assert list(documents["text"]) == ["wide-leg trousers in linen", "Maxi dress"]


@pytest.mark.parametrize("text", ["nan", "NaN", "none", "null", "N/A", "n/a", "-", "🔥👗", "38-40"])
def test_clean_documents_drops_placeholder(text):
    frame = build_documents({"doc_id": ["x"], "product_id": ["x"], "text": [text],
                             "kind": "description"})
    with pytest.warns(UserWarning, match="dropped 1 of 1 rows"):
        assert clean_documents(frame).empty


def test_clean_documents_keeps_non_latin_letters():
    frame = build_documents({"doc_id": ["x"], "product_id": ["x"], "text": ["連衣裙 32"],
                             "kind": "description"})
    assert list(clean_documents(frame)["text"]) == ["連衣裙 32"]


def test_validate_documents_rejects_bad_frames():
    good = build_documents({"doc_id": ["a", "b"], "product_id": ["p", "p"],
                            "text": ["midi skirt", "maxi skirt"], "kind": "description"})
    validate_documents(good)
    with pytest.raises(ValueError, match="must start with columns"):
        validate_documents(good.drop(columns="title"))
    with pytest.raises(ValueError, match="doc_id must be unique"):
        validate_documents(good.assign(doc_id=["a", "a"]))
    with pytest.raises(ValueError, match="kind must be one of"):
        validate_documents(good.assign(kind=["description", "blurb"]))
    with pytest.raises(ValueError, match="'text' is missing or empty"):
        validate_documents(good.assign(text=["midi skirt", ""]))
    with pytest.raises(TypeError, match="DataFrame"):
        validate_documents(good.to_dict())


# --- deduplication and splits ---------------------------------------------------------------


def test_deduplicate_counts_and_ids():
    frame = build_documents({
        "doc_id": ["a", "b", "c", "d"], "product_id": ["p1", "p1", "p2", "p3"],
        "text": ["Bootcut jeans", "bootcut  JEANS", "Flare jeans", "Bootcut jeans"],
        "kind": "description",
    })
    result = deduplicate(frame)
    assert list(result["doc_id"]) == ["a", "c"]
    assert list(result["n_duplicates"]) == [3, 1]
    assert list(result["duplicate_doc_ids"]) == [("a", "b", "d"), ("c",)]


def test_deduplicate_twice_adds_counts():
    first = build_documents({"doc_id": ["a", "b"], "product_id": ["p", "p"],
                             "text": ["Wrap dress", "wrap dress"], "kind": "description"})
    second = build_documents({"doc_id": ["c"], "product_id": ["q"], "text": ["Wrap Dress"],
                              "kind": "description"})
    combined = deduplicate(pd.concat([deduplicate(first), deduplicate(second)],
                                     ignore_index=True))
    assert list(combined["n_duplicates"]) == [3]
    assert list(combined["duplicate_doc_ids"]) == [("a", "b", "c")]


def test_split_by_product_sample_disjoint():
    train, test = split_by_product(load_sample(), test_size=0.25, seed=1)
    assert not set(train["product_id"]) & set(test["product_id"])
    assert len(train) + len(test) == 270


def test_split_by_product_one_product_raises():
    frame = build_documents({"doc_id": ["a", "b"], "product_id": ["p", "p"],
                             "text": ["mules", "loafers"], "kind": "description"})
    with pytest.raises(ValueError, match="at least 2 distinct product_id"):
        split_by_product(frame)


def test_sample_by_product_rejects_zero():
    with pytest.raises(ValueError, match="max_docs must be at least 1"):
        sample_by_product(load_sample(), 0)


# --- users' own tables --------------------------------------------------------------------

TABLE = pd.DataFrame({
    "sku": ["S1", "S2", "S3"],
    "style": ["ST1", "ST1", "ST2"],
    "copy": ["Satin slip dress", "", "Tweed blazer"],
    "type": ["Dresses", "Dresses", "Jackets"],
})


def _write_table(path: Path) -> Path:
    name = path.name.removesuffix(".gz")
    if name.endswith(".csv"):
        TABLE.to_csv(path, index=False)
    elif name.endswith((".jsonl", ".json")):
        TABLE.to_json(path, orient="records", lines=True)
    else:
        data = TABLE.to_parquet()
        path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


@pytest.mark.parametrize("file_name", ["shop.csv", "shop.csv.gz", "shop.jsonl", "shop.json",
                                       "shop.jsonl.gz", "shop.parquet", "shop.parquet.gz"])
def test_load_table_formats(tmp_path, file_name):
    path = _write_table(tmp_path / file_name)
    with pytest.warns(UserWarning, match="1 empty"):
        documents = load_table(path, text_column="copy", id_column="sku",
                               category_column="type", product_column="style")
    validate_documents(documents)
    assert list(documents["doc_id"]) == ["shop:S1", "shop:S3"]
    assert list(documents["product_id"]) == ["ST1", "ST2"]
    assert list(documents["category"]) == ["Dresses", "Jackets"]
    assert set(documents["source"]) == {"shop"}


def test_load_table_numbers_rows_without_id(tmp_path):
    path = _write_table(tmp_path / "shop.csv")
    with pytest.warns(UserWarning):
        documents = load_table(path, text_column="copy", source="mine")
    assert list(documents["doc_id"]) == ["mine:0", "mine:2"]
    assert list(documents["product_id"]) == ["0", "2"]


def test_load_table_missing_file_raises(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(str(path.resolve()))):
        load_table(path, text_column="copy")


def test_load_table_unknown_column_raises(tmp_path):
    path = _write_table(tmp_path / "shop.csv")
    with pytest.raises(ColumnNotFoundError, match=r"columns: \['sku', 'style', 'copy', 'type'\]"):
        load_table(path, text_column="description")
    with pytest.raises(KeyError):
        load_table(path, text_column="copy", category_column="kind")


def test_load_table_unknown_extension_raises(tmp_path):
    path = tmp_path / "shop.xlsx"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"supported: \.csv, \.json, \.jsonl, \.parquet"):
        load_table(path, text_column="copy")


def test_load_table_json_array_raises(tmp_path):
    path = tmp_path / "shop.json"
    TABLE.to_json(path, orient="records")
    with pytest.raises(ValueError, match="contains a JSON array"):
        load_table(path, text_column="copy")


def test_load_table_repeated_ids_raise(tmp_path):
    path = tmp_path / "shop.csv"
    TABLE.assign(sku=["S1", "S1", "S3"]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="must be unique"):
        load_table(path, text_column="copy", id_column="sku")


# --- bundled sample -----------------------------------------------------------------------

SAMPLE_TERMS = [
    "bootcut", "boot cut", "boot-cut", "flare", "skinny", "straight-leg", "wide-leg", "mom jeans",
    "mini", "midi", "maxi", "tea-length", "tea length", "a-line", "wrap", "slip", "bodycon",
    "shift", "sheath", "fit-and-flare", "cropped", "sheer", "monogram", "linen", "silk", "satin",
    "denim", "chambray", "crepe", "velvet", "tweed", "jersey", "floral", "polka dot", "leopard",
    "houndstooth", "paisley", "gingham", "loafers", "mules", "ankle boots", "stilettos",
    "espadrilles", "brogues", "tote", "clutch", "crossbody", "satchel", "v-neck", "crew neck",
    "sweetheart", "halter", "boat neck", "square neck",
]


def test_load_sample_counts():
    documents = load_sample()
    validate_documents(documents)
    assert documents["source"].value_counts().to_dict() == {
        "sample_listings": 148, "sample_reviews": 122,
    }
    assert documents["product_id"].nunique() == 74
    assert set(documents["kind"]) == {"description", "review"}


def test_sample_colour_variants_share_description():
    listings = load_sample().query("source == 'sample_listings'")
    variants = listings.groupby("product_id")["text"].agg(["nunique", "size"])
    assert (variants["nunique"] == 1).all()
    assert (variants["size"] > 1).sum() >= 50


@pytest.mark.parametrize("term", SAMPLE_TERMS)
def test_sample_term_in_three_texts(term):
    texts = deduplicate(load_sample())["text"].str.lower()
    pattern = r"(?<![\w-])" + re.escape(term) + r"(?![\w-])"
    assert texts.str.contains(pattern).sum() >= 3


def test_sample_queries_point_to_listings():
    queries = load_sample_queries()
    assert list(queries.columns) == ["query_id", "query", "product_id"]
    assert len(queries) == 61
    assert queries["query_id"].is_unique
    assert set(queries["product_id"]) <= set(load_sample()["product_id"])


# --- combined corpus ----------------------------------------------------------------------


def test_load_corpus_sample_is_stable():
    first = load_corpus("sample")
    second = load_corpus(config.get_profile("sample"))
    assert first.checksum == second.checksum
    assert first.skipped == {}
    assert first.profile == "sample"
    assert sum(first.sources.values()) == len(first) == len(first.documents)
    assert first.documents["n_duplicates"].sum() == 270
    assert first.documents["text"].str.casefold().is_unique
    validate_documents(first.documents)


def test_load_corpus_real_skips_missing(real_data, tmp_path, monkeypatch):
    names = ["myntra_products_catalog", "amazon_qa_clothing"]
    if not all((real_data / name).is_dir() for name in names):
        pytest.skip("myntra_products_catalog or amazon_qa_clothing missing")
    monkeypatch.setenv(config.DATA_ENV, str(_link_datasets(tmp_path / "data", real_data, names)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        corpus = load_corpus("quick")
        again = load_corpus("quick")

    assert set(corpus.sources) == set(names)
    assert all(0 < rows <= 4000 for rows in corpus.sources.values())
    assert set(corpus.skipped) == set(DATASETS) - set(names)
    assert "kaggle competitions download" in corpus.skipped["hm_articles"]
    assert "network disabled in tests" in corpus.skipped["fashioniq_captions"]
    assert corpus.checksum == again.checksum


def test_load_corpus_nothing_found_raises(tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as caught:
        load_corpus("quick")
    message = str(caught.value)
    assert "FASHION_LAB_DATA" in message
    assert "make report PROFILE=sample" in message
    assert "hm_articles" in message


def test_fashioniq_caption_files_are_json_lists(real_data):
    folder = real_data / "fashioniq_captions" / "captions"
    if not folder.is_dir():
        pytest.skip("fashioniq_captions missing")
    pairs = json.loads((folder / "cap.dress.test.json").read_text())
    assert len(pairs) == 2_024
    assert "target" not in pairs[0]


def test_load_table_unquoted_comma_first_row_raises(tmp_path):
    # pandas would read this as an index column and shift every column by one.
    path = tmp_path / "shifted.csv"
    path.write_text("sku,title,description\nA1,Jeans,Bootcut, high rise\nA2,Dress,Midi dress\n")
    with pytest.raises(ValueError, match="first data row has more fields than the header"):
        load_table(path, text_column="description", id_column="sku")


def test_load_table_unquoted_comma_later_row_raises(tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text("sku,title,description\nA1,Jeans,Bootcut\nA2,Dress,Midi, dress\n")
    with pytest.raises(ValueError, match=r"shifted.csv has a row with more fields .*line 3"):
        load_table(path, text_column="description", id_column="sku")


def test_load_table_latin1_csv_names_fix(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("sku,description\nA1,caf\xe9 dress\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1.csv is not UTF-8 text .*encoding='latin-1'"):
        load_table(path, text_column="description")
