"""Paths, run profiles and logging set-up.

A profile fixes how much data each stage uses and how long training runs, so that one
notebook serves the full report (``full``), a quick run on real data (``quick``) and the
offline sample shipped in ``data/sample`` (``sample``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from fashion_lab._checks import check_choice

#: Environment variable naming the folder(s) that hold the real datasets, separated by
#: ``os.pathsep``. Each dataset lives in a subfolder named after it (``hm_articles/`` ...).
DATA_ENV = "FASHION_LAB_DATA"
#: Environment variable that overrides where trained models and caches are written.
ARTIFACTS_ENV = "FASHION_LAB_ARTIFACTS"
#: Environment variable that selects the profile when a notebook runs headless.
PROFILE_ENV = "FASHION_LAB_PROFILE"
#: Set to "1" by the report runner: notebooks then show static tables instead of widgets and
#: no progress bars.
STATIC_ENV = "FASHION_LAB_STATIC"

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
DATA_DIR = REPO_DIR / "data"
SAMPLE_DIR = DATA_DIR / "sample"
LEXICON_PATH = DATA_DIR / "lexicon" / "fashion_terms.tsv"
BENCHMARK_DIR = DATA_DIR / "benchmarks"

ProfileName = Literal["full", "quick", "sample"]


@dataclass(frozen=True)
class Profile:
    """How much data and training time one run of the lab uses.

    Attributes:
        name: profile name, also the subfolder of the artefact store.
        use_real_data: load the registered datasets (True) or only ``data/sample`` (False).
        max_docs_per_dataset: cap on documents taken from each dataset (None: all), drawn
            with a fixed seed after deduplication.
        word2vec: keyword arguments for :func:`fashion_lab.train.train_word2vec`.
        fasttext: keyword arguments for :func:`fashion_lab.train.train_fasttext`.
        transformer: keyword arguments shared by the transformer adaptation routes.
        seed: seed for every sampling and training step.
    """

    name: str
    use_real_data: bool
    max_docs_per_dataset: int | None
    word2vec: dict = field(default_factory=dict)
    fasttext: dict = field(default_factory=dict)
    transformer: dict = field(default_factory=dict)
    seed: int = 42


PROFILES: dict[str, Profile] = {
    "full": Profile(
        name="full",
        use_real_data=True,
        max_docs_per_dataset=None,
        word2vec={"vector_size": 100, "window": 5, "min_count": 5, "epochs": 5, "sg": 1,
                  "mode": "fast"},
        fasttext={"vector_size": 100, "window": 5, "min_count": 5, "epochs": 5, "sg": 1,
                  "mode": "fast"},
        transformer={"max_pairs": 10000, "max_unlabelled": 12000, "epochs": 1, "batch_size": 32,
                     "max_seq_length": 64, "eval_queries": 1000, "eval_corpus": 10000},
    ),
    "quick": Profile(
        name="quick",
        use_real_data=True,
        max_docs_per_dataset=4000,
        word2vec={"vector_size": 64, "window": 5, "min_count": 3, "epochs": 5, "sg": 1,
                  "mode": "fast"},
        fasttext={"vector_size": 64, "window": 5, "min_count": 3, "epochs": 5, "sg": 1,
                  "mode": "fast"},
        transformer={"max_pairs": 1500, "max_unlabelled": 1500, "epochs": 1, "batch_size": 32,
                     "max_seq_length": 48, "eval_queries": 300, "eval_corpus": 2000},
    ),
    "sample": Profile(
        name="sample",
        use_real_data=False,
        max_docs_per_dataset=None,
        word2vec={"vector_size": 32, "window": 4, "min_count": 2, "epochs": 30, "sg": 1,
                  "mode": "reproducible"},
        fasttext={"vector_size": 32, "window": 4, "min_count": 2, "epochs": 30, "sg": 1,
                  "mode": "reproducible"},
        transformer={"max_pairs": 200, "max_unlabelled": 200, "epochs": 1, "batch_size": 16,
                     "max_seq_length": 32, "eval_queries": 60, "eval_corpus": 300},
    ),
}


def get_profile(name: str | Profile | None = None, **overrides) -> Profile:
    """Return the named profile, or the one named by ``FASHION_LAB_PROFILE`` (default ``full``).

    Keyword overrides replace fields, e.g. ``get_profile("quick", seed=7)``.
    """
    if isinstance(name, Profile):
        profile = name
    else:
        name = name or os.environ.get(PROFILE_ENV, "full")
        check_choice("profile", name, PROFILES)
        profile = PROFILES[name]
    return replace(profile, **overrides) if overrides else profile


def data_dirs() -> list[Path]:
    """Return the folders named by ``FASHION_LAB_DATA``, in order; empty when it is unset."""
    raw = os.environ.get(DATA_ENV, "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def cache_dir() -> Path:
    """Return the download cache for datasets (``~/.cache/fashion_lab`` or XDG_CACHE_HOME)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fashion_lab"


def artifacts_dir() -> Path:
    """Return where trained models, projections and encoding caches are written."""
    return Path(os.environ.get(ARTIFACTS_ENV, REPO_DIR / "artifacts")).expanduser()


def set_verbosity(level: int | str = "INFO") -> None:
    """Route the ``fashion_lab`` loggers to stderr at `level` (for notebooks and scripts)."""
    logger = logging.getLogger("fashion_lab")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s",
                                               "%H:%M:%S"))
        logger.addHandler(handler)
