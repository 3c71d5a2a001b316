"""Find registered datasets on disk or download them, and verify each file's sha256.

The expected sha256 values are recorded in :mod:`fashion_lab.data.registry`.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

from fashion_lab import config
from fashion_lab.data.registry import DataFile, Dataset, get_dataset

logger = logging.getLogger(__name__)


class ChecksumError(ValueError):
    """A dataset file's sha256 differs from the registered one."""

    def __init__(self, path: Path, expected: str, actual: str | None, next_step: str) -> None:
        self.path = path
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"checksum mismatch for {path}: expected sha256 {expected}, got {actual}. "
            f"{next_step}"
        )


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is in none of the searched folders and could not be downloaded.

    Attributes:
        dataset: the registry name, or None for an error about several datasets.
        searched: the folders searched, each with what was missing there.
    """

    def __init__(
        self, message: str, *, dataset: str | None = None, searched: Sequence[str] = ()
    ) -> None:
        self.dataset = dataset
        self.searched = list(searched)
        super().__init__(message)


# Digests already computed in this process, by (resolved path, size, mtime_ns, decompressed),
# so that loading a dataset again does not re-read its files.
_DIGESTS: dict[tuple[str, int, int, bool], str | None] = {}


def _sha256(path: Path, *, decompressed: bool) -> str | None:
    """Return the sha256 of the file (or of its gzip content), or None if that cannot be read."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, decompressed)
    if key in _DIGESTS:
        return _DIGESTS[key]

    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") if decompressed else path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error) as error:
        logger.warning("checksum: cannot read %s (decompressed=%s): %s", path, decompressed, error)
        _DIGESTS[key] = None
        return None
    _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def verify_file(path: Path, data_file: DataFile, dataset: Dataset) -> None:
    """Check `path` against the registered sha256 of `data_file`.

    The file passes when its own sha256 matches, or, for a file with ``content_sha256``, when
    the sha256 of its decompressed content matches. Results are cached per path, size and
    modification time for the life of the process.

    Raises:
        ChecksumError: neither digest matches.
    """
    actual = _sha256(path, decompressed=False)
    if actual == data_file.sha256:
        return
    expected = data_file.sha256
    if data_file.content_sha256:
        content = _sha256(path, decompressed=True)
        if content == data_file.content_sha256:
            return
        expected = f"{expected} (decompressed content: {data_file.content_sha256})"
        actual = f"{actual} (decompressed content: {content or 'not valid gzip'})"
    raise ChecksumError(
        path,
        expected,
        actual,
        f"The file is damaged or a different version of {dataset.name}. Delete it and get it "
        f"again from {dataset.homepage}: {dataset.instructions}",
    )


def _missing_files(folder: Path, dataset: Dataset) -> list[str]:
    return [f.path for f in dataset.required_files if not (folder / f.path).is_file()]


def _verify_folder(folder: Path, dataset: Dataset) -> None:
    for data_file in dataset.files:
        path = folder / data_file.path
        if path.is_file():
            verify_file(path, data_file, dataset)
    logger.debug("%s: verified files in %s", dataset.name, folder)


def _download(dataset: Dataset, folder: Path) -> None:
    """Download every file of `dataset` that has a URL and is not in `folder` yet.

    Raises:
        OSError: a required file failed to download (requests' network errors are OSErrors).
        ChecksumError: a downloaded file does not match, and it has been deleted.
    """
    import pooch

    for data_file in dataset.files:
        target = folder / data_file.path
        if target.is_file() or not data_file.url:
            continue
        logger.info("%s: downloading %s", dataset.name, data_file.url)
        try:
            # known_hash=None because verify_file also accepts a matching decompressed content.
            pooch.retrieve(
                data_file.url, known_hash=None, fname=target.name, path=target.parent,
                progressbar=False,
            )
        except OSError as error:
            if not data_file.optional:
                raise
            logger.warning("%s: optional file %s not downloaded: %s",
                           dataset.name, data_file.path, error)
            continue
        try:
            verify_file(target, data_file, dataset)
        except ChecksumError:
            target.unlink()
            raise


def _not_found_message(dataset: Dataset, searched: list[str]) -> str:
    env_value = os.environ.get(config.DATA_ENV)
    env_line = (f"{config.DATA_ENV}={env_value!r}" if env_value
                else f"{config.DATA_ENV} is not set")
    required = ", ".join(f.path for f in dataset.required_files)
    lines = [
        f"dataset {dataset.name!r} ({dataset.title}) was not found; {env_line}. Searched:",
        *(f"  - {entry}" for entry in searched),
        f"To get it ({dataset.homepage}): {dataset.instructions}",
        f"Then put {required} in <folder>/{dataset.name}/ and set {config.DATA_ENV}=<folder>, "
        f"the parent folder of {dataset.name}/ (separate several folders with {os.pathsep!r}), "
        f"or put the files in {config.cache_dir() / dataset.name}/.",
    ]
    return "\n".join(lines)


def _describe_missing(folder: Path, missing: list[str]) -> str:
    if not folder.is_dir():
        return f"{folder} (folder does not exist)"
    return f"{folder} (missing {', '.join(missing)})"


def locate_dataset(name: str, *, download: bool = True) -> Path:
    """Find the folder of dataset `name`, downloading it into the cache if allowed and possible.

    Folders are searched in this order, and the first that contains every required file wins:

    1. ``<folder>/<name>/`` for each folder in ``FASHION_LAB_DATA`` (see
       :func:`fashion_lab.config.data_dirs`).
    2. ``<cache>/<name>/``, where ``<cache>`` is :func:`fashion_lab.config.cache_dir`.
    3. With ``download=True`` and a public URL for every required file (Amazon Q&A and
       FashionIQ), a download into ``<cache>/<name>/`` with pooch.

    Every file found is checked against its registered sha256 (see :func:`verify_file`).

    Args:
        name: registry name, one of :data:`DATASETS`.
        download: allow step 3. Datasets on Kaggle need a login and are never downloaded.

    Returns:
        The dataset folder.

    Raises:
        ValueError: `name` is not registered.
        ChecksumError: a file found or downloaded does not match its sha256.
        DatasetNotFoundError: no folder has the files and no download was possible. The
            message lists the folders searched and how to obtain the files.
    """
    dataset = get_dataset(name)
    searched = []
    for folder in [root / name for root in config.data_dirs()] + [config.cache_dir() / name]:
        missing = _missing_files(folder, dataset)
        if not missing:
            _verify_folder(folder, dataset)
            logger.info("%s: using %s", name, folder)
            return folder
        searched.append(_describe_missing(folder, missing))

    if download and dataset.downloadable:
        folder = config.cache_dir() / name
        try:
            _download(dataset, folder)
        except OSError as error:
            logger.warning("%s: download failed: %s", name, error)
            searched.append(f"download into {folder} failed: {error}. Check the network "
                            "connection, or get the files by hand as below")
        else:
            # Files that were already in the cache before this download are checked here.
            _verify_folder(folder, dataset)
            return folder
    elif download:
        searched.append("download: not possible, the source needs a login")
    else:
        searched.append("download: not attempted (download=False)")
    raise DatasetNotFoundError(
        _not_found_message(dataset, searched), dataset=name, searched=searched
    )
