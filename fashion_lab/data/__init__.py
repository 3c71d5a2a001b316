"""Fashion text datasets: registry, loaders, cleaning, deduplication and product splits.

Every loader returns one documents frame, whose schema is described in
:mod:`fashion_lab.data.clean`.
"""

from __future__ import annotations

from fashion_lab.data.clean import (
    KINDS,
    PLACEHOLDER_TEXTS,
    SCHEMA_COLUMNS,
    build_documents,
    clean_documents,
    deduplicate,
    normalise_text,
    validate_documents,
)
from fashion_lab.data.corpus import (
    Corpus,
    corpus_checksum,
    load_corpus,
    load_sample,
    load_sample_queries,
)
from fashion_lab.data.loaders import load_dataset
from fashion_lab.data.locate import ChecksumError, DatasetNotFoundError, locate_dataset, verify_file
from fashion_lab.data.registry import DATASETS, DataFile, Dataset, get_dataset
from fashion_lab.data.split import sample_by_product, split_by_product
from fashion_lab.data.tables import ColumnNotFoundError, load_table

__all__ = [
    "DATASETS",
    "KINDS",
    "PLACEHOLDER_TEXTS",
    "SCHEMA_COLUMNS",
    "ChecksumError",
    "ColumnNotFoundError",
    "Corpus",
    "DataFile",
    "Dataset",
    "DatasetNotFoundError",
    "build_documents",
    "clean_documents",
    "corpus_checksum",
    "deduplicate",
    "get_dataset",
    "load_corpus",
    "load_dataset",
    "load_sample",
    "load_sample_queries",
    "load_table",
    "locate_dataset",
    "normalise_text",
    "sample_by_product",
    "split_by_product",
    "validate_documents",
    "verify_file",
]
