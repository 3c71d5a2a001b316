"""Project the terms of named groups in each model's space (one projection per model)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fashion_lab import config
from fashion_lab.models import EmbeddingModel
from fashion_lab.project.vectors import Projection, ProjectionMethod, project_vectors

logger = logging.getLogger(__name__)

TERM_GROUPS_PATH = config.DATA_DIR / "term_groups.json"


@dataclass
class TermProjection:
    """Term maps of several models.

    Attributes:
        points: one row per placed term: model, group, term, x, y, point, method (how the
            model looked the term up), key, n_duplicates (other terms at the same point),
            members (all terms at that point). ``points.attrs["notes"]`` maps model to notes.
        missing: one row per term a model could not resolve: model, group, term, normalized,
            suggestions, note.
        notes: ``"<model>: <note>"`` for every model whose projection differed from plain UMAP.
        projections: the :class:`Projection` of each model.
    """

    points: pd.DataFrame
    missing: pd.DataFrame
    notes: list[str]
    projections: dict[str, Projection]


def project_terms(
    models: Mapping[str, EmbeddingModel] | Sequence[EmbeddingModel],
    groups: Mapping[str, Sequence[str]],
    *,
    n_neighbors: int = 8,
    min_dist: float = 0.3,
    seed: int = 42,
    method: ProjectionMethod = "umap",
    cache_dir: str | Path | None = None,
) -> TermProjection:
    """Project the terms of `groups` in each model's own space (one projection per model).

    Args:
        models: models keyed by display name, or a sequence (named by ``model.name``).
        groups: group name -> terms, e.g. :func:`load_term_groups`; a term may be in one group.
        n_neighbors, min_dist, seed, method, cache_dir: as in :func:`project_vectors`.

    Returns:
        A :class:`TermProjection`. Terms a model cannot resolve go to ``missing``, never
        dropped silently.
    """
    named = named_models(models)
    group_of = _group_of_terms(groups)
    terms = list(group_of)
    points, missing, notes, projections = [], [], [], {}
    for name, model in named.items():
        vectors, lookups = model.term_vectors(terms)
        found = [i for i, lookup in enumerate(lookups) if lookup.found]
        projection = project_vectors(vectors[found], [terms[i] for i in found],
                                     n_neighbors=n_neighbors, min_dist=min_dist, seed=seed,
                                     method=method, cache_dir=cache_dir)
        absent = [lookup.term for lookup in lookups if not lookup.found]
        if absent:
            projection.notes.insert(0, f"not in vocabulary: {', '.join(absent)}")
        projections[name] = projection
        notes += [f"{name}: {note}" for note in projection.notes]
        frame = projection.to_frame().rename(columns={"label": "term"})
        frame.insert(0, "model", name)
        frame.insert(1, "group", [group_of[t] for t in frame["term"]])
        by_term = {lookup.term: lookup for lookup in lookups}
        frame["method"] = [by_term[t].method for t in frame["term"]]
        frame["key"] = [by_term[t].key for t in frame["term"]]
        points.append(frame)
        missing += [{"model": name, "group": group_of[lookup.term], "term": lookup.term,
                     "normalized": lookup.normalized, "suggestions": ", ".join(lookup.suggestions),
                     "note": lookup.note} for lookup in lookups if not lookup.found]
    columns = ["model", "group", "term", "x", "y", "point", "method", "key", "n_duplicates",
               "members"]
    points_frame = pd.concat(points, ignore_index=True)[columns]
    points_frame.attrs["notes"] = {name: list(p.notes) for name, p in projections.items()}
    missing_frame = pd.DataFrame(missing, columns=["model", "group", "term", "normalized",
                                                   "suggestions", "note"])
    if len(missing_frame):
        logger.warning("projection: %d term lookups missing: %s", len(missing_frame),
                       ", ".join(f"{r.term} ({r.model})" for r in missing_frame.itertuples()))
    return TermProjection(points_frame, missing_frame, notes, projections)


def load_term_groups(path: str | Path | None = None) -> dict[str, list[str]]:
    """Load term groups (group name -> canonical terms) from ``data/term_groups.json``."""
    path = Path(path) if path is not None else TERM_GROUPS_PATH
    if not path.is_file():
        raise FileNotFoundError(f"term groups file not found: {path.resolve()}; pass the path "
                                "of a JSON file with a 'groups' object")
    return {group: list(terms) for group, terms in json.loads(path.read_text())["groups"].items()}


def named_models(
    models: Mapping[str, EmbeddingModel] | Sequence[EmbeddingModel] | EmbeddingModel,
) -> dict[str, EmbeddingModel]:
    """Return `models` as a dict keyed by display name; raise on duplicate names or non-models."""
    if isinstance(models, EmbeddingModel):
        models = [models]
    pairs = list(models.items()) if isinstance(models, Mapping) else [
        (getattr(m, "name", None), m) for m in models]
    named: dict[str, EmbeddingModel] = {}
    for name, model in pairs:
        if not isinstance(model, EmbeddingModel):
            raise TypeError(f"models must be EmbeddingModel instances; got {type(model).__name__} "
                            f"for {name!r}. Wrap gensim vectors in fashion_lab.WordVectorModel")
        if name in named:
            raise ValueError(f"two models are named {name!r}; pass a dict with distinct names")
        named[str(name)] = model
    if not named:
        raise ValueError("models is empty; pass at least one EmbeddingModel")
    return named


def _group_of_terms(groups: Mapping[str, Sequence[str]]) -> dict[str, str]:
    group_of: dict[str, str] = {}
    for group, terms in groups.items():
        if isinstance(terms, str):
            raise TypeError(f"group {group!r} must list terms; got the string {terms!r}")
        for term in terms:
            if term in group_of and group_of[term] != group:
                raise ValueError(f"term {term!r} is in groups {group_of[term]!r} and {group!r}; "
                                 "put each term in one group")
            group_of[term] = group
    if not group_of:
        raise ValueError("groups contain no terms; pass e.g. load_term_groups()")
    return group_of
