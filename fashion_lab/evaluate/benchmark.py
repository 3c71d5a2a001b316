"""Load and validate a fashion term benchmark: graded pairs and triplets of terms.

A benchmark is a folder with two CSV files:

- ``pairs.csv``: ``term_a, term_b, score`` (graded similarity, 0-4 in the shipped benchmark),
  optionally ``category`` and ``rationale``;
- ``triplets.csv``: ``anchor, positive, negative`` (the anchor is closer to the positive than to
  the negative), optionally ``category`` and ``rationale``.

The shipped versions live in ``data/benchmarks/fashion_terms_<version>``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fashion_lab.config import BENCHMARK_DIR

logger = logging.getLogger(__name__)

PAIR_COLUMNS = ("term_a", "term_b", "score")
TRIPLET_COLUMNS = ("anchor", "positive", "negative")
#: Category given to items of a user's file that has no ``category`` column.
DEFAULT_CATEGORY = "all"
BENCHMARK_PREFIX = "fashion_terms_"


@dataclass(frozen=True)
class TermBenchmark:
    """Graded term pairs and triplets that test whether a model places fashion terms well.

    Attributes:
        pairs: one row per pair: term_a, term_b, score (float), category, rationale.
        triplets: one row per triplet: anchor, positive, negative, category, rationale.
        version: ``"v1"`` for a shipped benchmark, the folder name for a user's folder.
        path: the folder the files were read from.
    """

    pairs: pd.DataFrame
    triplets: pd.DataFrame
    version: str
    path: Path

    @property
    def terms(self) -> list[str]:
        """Distinct terms of both files, in order of first appearance."""
        columns = [self.pairs[c] for c in PAIR_COLUMNS[:2]]
        columns += [self.triplets[c] for c in TRIPLET_COLUMNS]
        return list(dict.fromkeys(t for column in columns for t in column))

    @property
    def categories(self) -> list[str]:
        """Categories of both files, sorted."""
        return sorted(set(self.pairs["category"]) | set(self.triplets["category"]))

    def __repr__(self) -> str:
        return (f"TermBenchmark(version={self.version!r}, pairs={len(self.pairs)}, "
                f"triplets={len(self.triplets)}, terms={len(self.terms)})")


def available_versions() -> list[str]:
    """Return the versions of the shipped benchmark (``["v1", ...]``)."""
    if not BENCHMARK_DIR.is_dir():
        return []
    return sorted(p.name.removeprefix(BENCHMARK_PREFIX) for p in BENCHMARK_DIR.iterdir()
                  if p.is_dir() and p.name.startswith(BENCHMARK_PREFIX))


def load_term_benchmark(
    version: str | Path = "v1",
    *,
    score_range: tuple[float, float] = (0.0, 4.0),
) -> TermBenchmark:
    """Load a shipped benchmark version, or a folder of your own with the same two files.

    Args:
        version: a shipped version (``"v1"``) or the path of a folder containing ``pairs.csv``
            and ``triplets.csv``.
        score_range: inclusive bounds of the pair scores; use e.g. ``(0, 10)`` for a
            SimLex-style scale.

    Returns:
        The validated benchmark. Terms are read as text, so a term such as ``NA`` stays a term.

    Raises:
        FileNotFoundError: the version or folder does not exist, or a file is missing.
        ValueError: a required column is missing, a term is blank, a score is not a number or
            outside `score_range`, or an item is repeated or compares a term with itself.

    Example:
        >>> benchmark = load_term_benchmark()
        >>> list(benchmark.triplets.columns[:3])
        ['anchor', 'positive', 'negative']
    """
    folder = _resolve_folder(version)
    pairs = _read_items(folder / "pairs.csv", PAIR_COLUMNS)
    triplets = _read_items(folder / "triplets.csv", TRIPLET_COLUMNS)
    pairs["score"] = _parse_scores(pairs, folder / "pairs.csv", score_range)
    _check_items(pairs, PAIR_COLUMNS[:2], folder / "pairs.csv", unordered=True)
    _check_items(triplets, TRIPLET_COLUMNS, folder / "triplets.csv", unordered=False)

    name = folder.name
    if folder.parent == BENCHMARK_DIR:
        name = name.removeprefix(BENCHMARK_PREFIX)
    logger.info("benchmark: %s has %d pairs and %d triplets", name, len(pairs), len(triplets))
    return TermBenchmark(pairs=pairs, triplets=triplets, version=name, path=folder)


def _resolve_folder(version: str | Path) -> Path:
    shipped = BENCHMARK_DIR / f"{BENCHMARK_PREFIX}{version}"
    if isinstance(version, str) and "/" not in version and "\\" not in version and shipped.is_dir():
        return shipped
    folder = Path(version).expanduser()
    if folder.is_dir():
        return folder.resolve()
    known = ", ".join(repr(v) for v in available_versions()) or "none found"
    raise FileNotFoundError(
        f"term benchmark {str(version)!r} not found: it is neither a shipped version (known: "
        f"{known}) nor a folder ({folder.resolve()}); pass a known version or a folder containing "
        "pairs.csv and triplets.csv"
    )


def _read_items(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(
            f"benchmark file not found: {path}; a benchmark folder needs pairs.csv and "
            "triplets.csv (a file with only its header row is allowed)"
        )
    # keep_default_na=False: a term such as "NA" or "null" must stay a string.
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path.name} is missing column(s) {', '.join(missing)} (found: "
            f"{', '.join(frame.columns) or 'none'}); the header must name "
            f"{', '.join(required)}, optionally followed by category and rationale"
        )
    for column in ("category", "rationale"):
        if column not in frame.columns:
            frame[column] = DEFAULT_CATEGORY if column == "category" else ""
    columns = [*required, "category", "rationale"]
    frame = frame[columns + [c for c in frame.columns if c not in columns]].copy()
    for column in [*required, "category"]:
        frame[column] = frame[column].str.strip()
    frame.loc[frame["category"] == "", "category"] = DEFAULT_CATEGORY
    return frame.reset_index(drop=True)


def _parse_scores(pairs: pd.DataFrame, path: Path, score_range: tuple[float, float]) -> pd.Series:
    scores = pd.to_numeric(pairs["score"], errors="coerce")
    low, high = score_range
    bad = scores.isna() | (scores < low) | (scores > high)
    if bad.any():
        rows = _line_numbers(bad)
        values = ", ".join(repr(v) for v in pairs.loc[bad, "score"].head(5))
        raise ValueError(
            f"{path.name}: score must be a number from {low:g} to {high:g}; got {values} on "
            f"line(s) {rows}; fix those rows or pass score_range=(min, max) for another scale"
        )
    return scores.astype(float)


def _check_items(frame: pd.DataFrame, columns: tuple[str, ...], path: Path, *,
                 unordered: bool) -> None:
    blank = (frame[list(columns)] == "").any(axis=1)
    if blank.any():
        raise ValueError(f"{path.name}: blank term on line(s) {_line_numbers(blank)}; "
                         "fill in every term or delete the row")

    same = frame[list(columns)].nunique(axis=1) < len(columns)
    if same.any():
        raise ValueError(f"{path.name}: an item repeats one term on line(s) "
                         f"{_line_numbers(same)}; each term of an item must differ")

    if unordered:
        keys = frame[list(columns)].apply(lambda row: tuple(sorted(row)), axis=1)
    else:
        keys = frame[list(columns)].apply(tuple, axis=1)
    repeated = keys.duplicated(keep=False)
    if repeated.any():
        order = " (in either order)" if unordered else ""
        raise ValueError(f"{path.name}: the same item{order} appears on line(s) "
                         f"{_line_numbers(repeated)}; keep one of each so no item counts twice")


def _line_numbers(mask: pd.Series, limit: int = 10) -> str:
    # Line 1 of the file is the header, so row 0 is on line 2.
    lines = [str(i + 2) for i in mask[mask].index[:limit]]
    more = int(mask.sum()) - len(lines)
    return ", ".join(lines) + (f" and {more} more" if more > 0 else "")
