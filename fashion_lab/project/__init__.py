"""Project term vectors to 2-D with UMAP (numbers only, no plotting).

:mod:`fashion_lab.project.vectors` holds the guarded core, :func:`project_vectors`;
:mod:`fashion_lab.project.terms` applies it to named term groups in several models.
"""

from fashion_lab.project.terms import (
    TERM_GROUPS_PATH,
    TermProjection,
    load_term_groups,
    named_models,
    project_terms,
)
from fashion_lab.project.vectors import DUPLICATE_TOLERANCE, Projection, project_vectors

__all__ = [
    "DUPLICATE_TOLERANCE",
    "TERM_GROUPS_PATH",
    "Projection",
    "TermProjection",
    "load_term_groups",
    "named_models",
    "project_terms",
    "project_vectors",
]
