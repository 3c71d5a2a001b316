"""Helpers shared by the training routes: seeds, progress bars, memory and time measurement,
model cards, config checksums, training checkpoints, and the count and chunking of texts
longer than the encoder's window."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fashion_lab.config import STATIC_ENV

logger = logging.getLogger(__name__)


def progress_enabled(show_progress: bool | None = None) -> bool:
    """Return `show_progress`, or by default True unless ``FASHION_LAB_STATIC=1``."""
    if show_progress is not None:
        return show_progress
    return os.environ.get(STATIC_ENV, "") != "1"


def silence_library_progress() -> None:
    """Turn off the weight-loading and saving bars of transformers and huggingface_hub.

    This changes process-wide settings of those libraries, so it is called only when progress
    bars are off (headless report runs).
    """
    import huggingface_hub.utils
    import transformers.utils.logging

    transformers.utils.logging.disable_progress_bar()
    huggingface_hub.utils.disable_progress_bars()


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and torch's random generators."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def checksum(*parts: object, length: int = 12) -> str:
    """Return a short sha256 of the JSON form of `parts` (configs, text lists)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()[:length]


def frame_checksum(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """Return a short sha256 of the given columns of `frame`, row order included."""
    hashed = pd.util.hash_pandas_object(frame[list(columns)].astype(str), index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()[:12]


def folder_size_mb(path: str | Path) -> float:
    """Return the total size of the files under `path` in MB (10^6 bytes)."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1e6


class PeakMemory:
    """Context manager that samples the process RSS every `interval` seconds (psutil).

    Attributes:
        start_mb: RSS when entering.
        peak_mb: highest RSS seen while inside.
    """

    def __init__(self, interval: float = 0.2) -> None:
        import psutil

        self._process = psutil.Process()
        self.interval = interval
        self.start_mb = self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _rss_mb(self) -> float:
        return self._process.memory_info().rss / 1e6

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, self._rss_mb())

    def __enter__(self) -> PeakMemory:
        self.start_mb = self.peak_mb = self._rss_mb()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss_mb())


class Stopwatch:
    """Context manager that records wall-clock seconds in :attr:`seconds`."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start


def versions() -> dict[str, str]:
    """Return the versions of the libraries that shape training results."""
    import sentence_transformers
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "sentence_transformers": sentence_transformers.__version__}


def write_card(folder: str | Path, card: dict) -> None:
    """Write `card` as ``card.json`` and a readable ``README.md`` beside a saved model."""
    folder = Path(folder)
    (folder / "card.json").write_text(json.dumps(card, indent=2, default=str))
    lines = [f"# {card.get('name', folder.name)}", "", card.get("summary", ""), ""]
    for key, value in card.items():
        if key in {"name", "summary"}:
            continue
        if isinstance(value, dict):
            lines.append(f"- **{key}**:")
            lines += [f"  - {k}: {v}" for k, v in value.items()]
        else:
            lines.append(f"- **{key}**: {value}")
    (folder / "README.md").write_text("\n".join(lines) + "\n")


def read_card(folder: str | Path) -> dict:
    """Return the ``card.json`` written by :func:`write_card`."""
    return json.loads((Path(folder) / "card.json").read_text())


def long_texts(encoder, texts: Sequence[str], ids: Sequence[str] | None = None, *,
               limit: int | None = None) -> pd.DataFrame:
    """Return the texts with more tokens than `limit`, which the encoder truncates.

    Args:
        encoder: a SentenceTransformer (its ``tokenizer`` counts the tokens, special tokens
            included).
        texts: texts to check.
        ids: one id per text; defaults to the positions in `texts`.
        limit: token limit; defaults to the encoder's current ``max_seq_length``.

    Returns:
        Frame (id, n_tokens), longest first.
    """
    limit = int(encoder.max_seq_length if limit is None else limit)
    ids = list(ids) if ids is not None else [str(i) for i in range(len(texts))]
    encoded = encoder.tokenizer(list(texts), add_special_tokens=True, truncation=False,
                                verbose=False)
    lengths = [len(x) for x in encoded["input_ids"]]
    rows = [(i, n) for i, n in zip(ids, lengths, strict=True) if n > limit]
    frame = pd.DataFrame(rows, columns=["id", "n_tokens"])
    return frame.sort_values(["n_tokens", "id"], ascending=[False, True], ignore_index=True)


def task_long_texts(encoder, queries: Mapping[str, str], corpus: Mapping[str, str],
                    limit: int | None = None) -> pd.DataFrame:
    """Return the queries and corpus texts of a retrieval task longer than `limit` tokens.

    Args:
        encoder: a SentenceTransformer, whose tokenizer counts the tokens.
        queries: query id -> text.
        corpus: corpus id -> text.
        limit: token limit; defaults to the encoder's ``max_seq_length`` (256 for MiniLM).

    Returns:
        Frame (id, role, n_tokens, text), longest first; role is ``query`` or ``corpus``.
    """
    texts = {**queries, **corpus}
    roles = {**dict.fromkeys(queries, "query"), **dict.fromkeys(corpus, "corpus")}
    frame = long_texts(encoder, list(texts.values()), ids=list(texts), limit=limit)
    frame.insert(1, "role", frame["id"].map(roles))
    frame["text"] = frame["id"].map(texts)
    return frame


class ChunkingEncoder:
    """Wrap a SentenceTransformer so that long texts are split into windows and averaged.

    Each text is cut into word windows that fit ``max_seq_length`` tokens; the unit vectors
    of the windows are averaged and normalised. Short texts are encoded as usual.
    """

    def __init__(self, encoder) -> None:
        self.encoder = encoder

    def __getattr__(self, name: str):
        return getattr(self.encoder, name)

    def _windows(self, text: str) -> list[str]:
        words = text.split()
        budget = max(8, int(self.encoder.max_seq_length) - 2)
        windows, current, used = [], [], 0
        for word in words:
            n = len(self.encoder.tokenizer.tokenize(word))
            if current and used + n > budget:
                windows.append(" ".join(current))
                current, used = [], 0
            current.append(word)
            used += n
        windows.append(" ".join(current))
        return windows

    def encode(self, texts, **kwargs) -> np.ndarray:
        """Encode `texts` like ``SentenceTransformer.encode``, averaging over windows."""
        windows = [self._windows(str(t)) for t in texts]
        flat = [w for ws in windows for w in ws]
        kwargs["normalize_embeddings"] = True
        vectors = np.asarray(self.encoder.encode(flat, **kwargs), dtype=np.float32)
        out, start = [], 0
        for ws in windows:
            mean = vectors[start:start + len(ws)].mean(axis=0)
            out.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
            start += len(ws)
        return np.stack(out) if out else vectors


def resume_checkpoint(checkpoint: Path, model, optimizer, fresh: dict, *,
                      scheduler=None) -> dict:
    """Restore a training loop from `checkpoint` (:func:`save_checkpoint`).

    Loads the weights of `model`, the state of `optimizer` and `scheduler` and torch's RNG
    state, and returns the saved loop state. Without a checkpoint, nothing is loaded and
    `fresh` is returned.
    """
    import torch

    path = checkpoint / "state.pt"
    if not path.is_file():
        return fresh
    # The state contains Python objects (history rows), so it is unpickled in full. Checkpoints
    # are this process's own output under the artefact folder, never downloaded files.
    saved = torch.load(path, weights_only=False)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["rng"])
    logger.info("resuming from %s at step %d", checkpoint, saved["state"].get("step", 0))
    return saved["state"]


def load_best_weights(checkpoint: Path) -> dict:
    """Return the best weights that :func:`save_checkpoint` wrote to `checkpoint`."""
    import torch

    return torch.load(checkpoint / "best.pt", weights_only=True)


def save_checkpoint(checkpoint: Path, model, optimizer, state: dict, best: dict | None, *,
                    scheduler=None) -> None:
    """Write the loop state, and the best weights when they changed, atomically to `checkpoint`.

    `state` must contain ``best_step``, the step (or epoch) whose weights `best` contains. The
    best weights are written only when ``best_step`` changed since the last save, so `best`
    may be None when it did not.
    """
    import torch

    checkpoint.mkdir(parents=True, exist_ok=True)
    if best is not None and state.get("best_saved_step") != state["best_step"]:
        torch.save(best, checkpoint / "best.pt.tmp")
        (checkpoint / "best.pt.tmp").replace(checkpoint / "best.pt")
        state["best_saved_step"] = state["best_step"]
    payload = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
               "scheduler": None if scheduler is None else scheduler.state_dict(),
               "rng": torch.get_rng_state(), "state": state}
    torch.save(payload, checkpoint / "state.pt.tmp")
    (checkpoint / "state.pt.tmp").replace(checkpoint / "state.pt")
