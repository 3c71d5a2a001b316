"""fashion_lab: find out whether adapting text embeddings to fashion is worth it.

The package backs the numbered notebooks in ``notebooks/``. Modules follow the stages of the
lab, and imports flow one way: data -> text -> models -> evaluate -> train -> project -> plot
-> probe -> pipeline -> report. Training imports evaluate for its early-stopping metric.
"""

import os

# Every model loads from local files; make the Hugging Face libraries fail fast instead of
# trying the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from fashion_lab import report  # noqa: E402
from fashion_lab._checks import TermNotFoundError  # noqa: E402
from fashion_lab.config import PROFILES, Profile, get_profile, set_verbosity  # noqa: E402
from fashion_lab.models import EmbeddingModel, SentenceModel, TermLookup, WordVectorModel  # noqa: E402
from fashion_lab.text import FashionTokenizer, Lexicon  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "PROFILES",
    "EmbeddingModel",
    "FashionTokenizer",
    "Lexicon",
    "Profile",
    "SentenceModel",
    "TermLookup",
    "TermNotFoundError",
    "WordVectorModel",
    "get_profile",
    "report",
    "set_verbosity",
]
