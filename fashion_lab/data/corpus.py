"""The combined corpus of a profile, and the loaders of the bundled sample.

A profile's corpus is built from the registered datasets, or from the bundled sample when the
profile does not use real data.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fashion_lab.config import SAMPLE_DIR, Profile, get_profile
from fashion_lab.data.clean import (
    build_documents,
    clean_documents,
    deduplicate,
    validate_documents,
)
from fashion_lab.data.loaders import _blank_to_na, _join_title, _read_csv_text, load_dataset
from fashion_lab.data.locate import DatasetNotFoundError
from fashion_lab.data.registry import DATASETS
from fashion_lab.data.split import sample_by_product

logger = logging.getLogger(__name__)


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
