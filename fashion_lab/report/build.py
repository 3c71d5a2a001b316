"""Build the whole report: run every notebook, then write the index page."""

from __future__ import annotations

import logging
import platform
import resource
import time
from pathlib import Path

import pandas as pd

from fashion_lab.config import REPO_DIR, Profile, get_profile
from fashion_lab.report.index import figure_html, table_html, write_index
from fashion_lab.report.notebooks import (
    check_page,
    copy_plotly_js,
    list_notebooks,
    render_notebook,
)

logger = logging.getLogger(__name__)

#: Term groups drawn on the index page (the full set is in notebook 04).
INDEX_GROUPS = ("jean cuts", "dress lengths")


def build_report(profile: Profile | str | None = None, *, out_dir: Path | None = None,
                 notebooks: list[Path] | None = None) -> Path:
    """Execute the notebooks for `profile`, render them and write ``index.html``.

    Returns the path of the index page.

    Raises:
        fashion_lab.data.DatasetNotFoundError: no registered dataset is available.
        ReportError: a notebook failed, or a page lost a figure.
    """
    from fashion_lab.pipeline import prepare_corpus

    profile = get_profile(profile)
    out_dir = Path(out_dir or REPO_DIR / "reports")
    start = time.perf_counter()
    # Load the data before creating anything, so a missing dataset leaves no empty folders.
    corpus = prepare_corpus(profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_plotly_js(out_dir)

    pages = [render_notebook(path, out_dir, profile=profile.name)
             for path in (notebooks if notebooks is not None else list_notebooks())]
    sections = summary_sections(profile)
    seconds = time.perf_counter() - start
    facts = {
        "total time": f"{seconds / 60:.1f} min",
        "peak memory, this process": f"{_peak_mb(resource.RUSAGE_SELF):,.0f} MB",
        "peak memory, largest notebook kernel": f"{_peak_mb(resource.RUSAGE_CHILDREN):,.0f} MB",
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "corpus checksum": corpus.checksum[:16],
    }
    sources = pd.DataFrame(
        [{"dataset": name, "documents": count} for name, count in corpus.sources.items()]
    )
    path = write_index(out_dir, profile=profile.name, sources=sources, skipped=corpus.skipped,
                       sections=sections, pages=pages, run_facts=facts)
    expected = sum(body.count("fashion-lab-figure") for _, body in sections)
    check_page(path.read_text(encoding="utf-8"), expected, path.name)
    logger.info("report: %s written in %.1f min", path, seconds / 60)
    return path


def _peak_mb(who: int) -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(who).ru_maxrss / 1024


def summary_sections(profile: Profile) -> list[tuple[str, str]]:
    """Return the index sections: term benchmark, held-out search, term clusters, training."""
    from fashion_lab.evaluate import compare_models, load_term_benchmark
    from fashion_lab.pipeline import heldout_summary, prepare_models, prepare_word_models
    from fashion_lab.plot import plot_benchmark_scores, plot_term_map
    from fashion_lab.project import load_term_groups, project_terms
    from fashion_lab.train.routes import run_routes

    models = prepare_models(profile)
    routes = run_routes(profile)
    search = heldout_summary(routes, models)
    # The routes' "generic" model is the MiniLM baseline that prepare_models already holds.
    models.update({name: model for name, model in routes.models.items() if name != "generic"})
    scores = compare_models(models.values(), load_term_benchmark(), n_resamples=1000,
                            seed=profile.seed)
    sections = [("Term benchmark (fashion_terms v1)",
                 table_html(scores) + figure_html(plot_benchmark_scores(scores))),
                ("Held-out product search",
                 f"<p>{routes.task.info.get('queries', '?')} held-out queries searched among "
                 f"{routes.task.info.get('corpus', '?')} product texts. Queries are derived from "
                 "catalogue attributes, titles and customer questions, not logged shopper "
                 "queries; train, dev and test never share a product.</p>"
                 + table_html(search))]

    groups = {name: terms for name, terms in load_term_groups().items() if name in INDEX_GROUPS}
    projection = project_terms(models, groups, seed=profile.seed)
    figure = plot_term_map(projection.points, title="Jean cuts and dress lengths per model")
    sections.append(("Term clusters", figure_html(figure)))

    cards = pd.DataFrame([{"model": m.name, "mode": m.card.mode, "seed": m.card.seed,
                           "workers": m.card.workers, "tokens": m.card.n_tokens,
                           "seconds": m.card.training_seconds, **m.card.versions}
                          for m in prepare_word_models(profile).values()])
    note = ("<p>Models trained in <code>fast</code> mode use several worker threads and are not "
            "bit-for-bit reproducible; <code>reproducible</code> mode uses one worker.</p>")
    sections.append(("Word model training", table_html(cards, "{:,.1f}") + note))
    return sections
