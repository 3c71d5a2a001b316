"""On-disk cache of text encodings, keyed by model id and the sha256 of each text.

Each model gets a folder under the cache root. A call to :meth:`EncodingCache.encode` encodes
only the texts that are not cached yet (each distinct text once), writes them as a new shard
with a unique name (``shard-<random hex>.npy``) and records every text hash in ``index.json``
as ``[shard name, row]``. Both files are written to a temporary name and moved into place with
:func:`os.replace`, so a run killed mid-write leaves the previous state readable. Before
writing, the index is merged with the one on disk. Two processes writing at once can still
lose each other's index entries, so those texts are encoded again later, but they never mix
up shards.

Model ids name the weights: a fine-tuned model must use an id that includes a checksum of its
weights or of its training configuration (see :func:`weights_checksum`), so that a retrained
model never reads the vectors of an older one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from fashion_lab.config import artifacts_dir

logger = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


def encoding_cache_dir() -> Path:
    """Return ``artifacts_dir() / "encodings"``, the encoding cache shared by every profile.

    One folder serves all profiles, because vectors are keyed by model id and text hash, so
    a text encoded under one profile is reused by the others.
    """
    return artifacts_dir() / "encodings"


def text_hash(text: str) -> str:
    """Return the sha256 hex digest of `text` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def weights_checksum(path: str | Path, length: int = 12) -> str:
    """Return a short sha256 over the weight files (``*.safetensors``, ``*.bin``) under `path`."""
    digest = hashlib.sha256()
    files = sorted(p for p in Path(path).rglob("*") if p.suffix in {".safetensors", ".bin"})
    if not files:
        raise FileNotFoundError(
            f"no weight files (*.safetensors, *.bin) under {Path(path).resolve()}")
    for file in files:
        digest.update(file.name.encode())
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:length]


class EncodingCache:
    """Store of text vectors per model, so that unchanged texts are encoded once.

    Args:
        root: folder of the cache; one subfolder per model id.

    Attributes:
        hits: number of texts served from the cache since creation.
        misses: number of distinct texts that had to be encoded since creation.

    Example:
        >>> import tempfile
        >>> cache = EncodingCache(Path(tempfile.mkdtemp()))
        >>> fn = lambda texts: np.ones((len(texts), 2), dtype=np.float32)
        >>> cache.encode("toy", ["a", "b", "a"], fn, dim=2).shape
        (3, 2)
        >>> cache.misses, cache.encode("toy", ["a"], fn, dim=2).shape, cache.hits
        (2, (1, 2), 1)
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0
        self._indexes: dict[str, dict[str, list]] = {}
        self._shards: dict[tuple[str, str], np.ndarray] = {}

    def model_dir(self, model_id: str) -> Path:
        """Return the folder that stores the vectors of `model_id`."""
        if not model_id:
            raise ValueError("model_id must be a non-empty string naming the model's weights")
        safe = _SAFE_ID.sub("_", model_id).strip("_")
        return self.root / f"{safe}-{text_hash(model_id)[:8]}"

    def encode(self, model_id: str, texts: Sequence[str],
               encode_fn: Callable[[Sequence[str]], np.ndarray], dim: int) -> np.ndarray:
        """Return the vectors of `texts` in input order, encoding only the uncached ones.

        Args:
            model_id: identifies the weights; include a weights or config checksum for
                trained models.
            texts: texts to encode; duplicates are encoded once.
            encode_fn: maps a list of texts to an array (n_texts, dim).
            dim: vector dimension, checked against `encode_fn`'s output and the stored shards.

        Raises:
            ValueError: `encode_fn` returned an array of the wrong shape, or the cache folder
                stores vectors of another dimension for this model id.
        """
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), dim), dtype=np.float32)
        if not texts:
            return out
        index = self._index(model_id)
        hashes = [text_hash(t) for t in texts]
        missing = list(dict.fromkeys(h for h in hashes if h not in index))
        self.hits += sum(h in index for h in hashes)
        if missing:
            by_hash = dict(zip(hashes, texts, strict=True))
            new_texts = [by_hash[h] for h in missing]
            vectors = np.asarray(encode_fn(new_texts), dtype=np.float32)
            if vectors.shape != (len(new_texts), dim):
                raise ValueError(
                    f"encode_fn returned shape {vectors.shape} for {len(new_texts)} texts; "
                    f"expected ({len(new_texts)}, {dim}). Check the dim passed for {model_id!r}"
                )
            self._append_shard(model_id, index, missing, vectors)
            self.misses += len(missing)
        for i, h in enumerate(hashes):
            shard, row = index[h]
            stored = self._shard(model_id, shard)
            if stored.shape[1] != dim:
                raise ValueError(
                    f"cache for {model_id!r} stores vectors of dim {stored.shape[1]}, expected "
                    f"{dim}; use a model id that names these weights, or delete "
                    f"{self.model_dir(model_id)}")
            out[i] = stored[row]
        logger.debug("cache %s: %d texts, %d encoded", model_id, len(texts), len(missing))
        return out

    def _index(self, model_id: str) -> dict[str, list]:
        if model_id not in self._indexes:
            self._indexes[model_id] = self._read_index(model_id)
        return self._indexes[model_id]

    def _read_index(self, model_id: str) -> dict[str, list]:
        path = self.model_dir(model_id) / "index.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def _shard(self, model_id: str, shard: str | int) -> np.ndarray:
        key = (model_id, shard)
        if key not in self._shards:
            # Caches written before shards had random names numbered them.
            name = f"shard-{shard:05d}" if isinstance(shard, int) else shard
            self._shards[key] = np.load(self.model_dir(model_id) / f"{name}.npy")
        return self._shards[key]

    def _append_shard(self, model_id: str, index: dict[str, list], hashes: list[str],
                      vectors: np.ndarray) -> None:
        folder = self.model_dir(model_id)
        folder.mkdir(parents=True, exist_ok=True)
        shard = f"shard-{secrets.token_hex(8)}"
        tmp = folder / f".{shard}.{os.getpid()}.tmp"
        with open(tmp, "wb") as handle:
            np.save(handle, vectors)
        os.replace(tmp, folder / f"{shard}.npy")
        self._shards[(model_id, shard)] = vectors
        for row, h in enumerate(hashes):
            index[h] = [shard, row]
        merged = {**self._read_index(model_id), **index}
        index.update(merged)
        index_tmp = folder / f".index.json.{os.getpid()}.tmp"
        index_tmp.write_text(json.dumps(index))
        os.replace(index_tmp, folder / "index.json")
