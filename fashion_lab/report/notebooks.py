"""Execute the notebooks headless and render them as HTML pages that work offline.

Figures are written into the page as plotly ``<div>`` elements with their data inline, and
``plotly.min.js`` is copied once beside the pages, so the report needs no network. After each
render the page is checked: every figure the notebook produced must be in the HTML with its
data, and no cell may show a bare widget repr (widget state does not survive headless runs).
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from fashion_lab.config import PROFILE_ENV, REPO_DIR, STATIC_ENV

logger = logging.getLogger(__name__)

NOTEBOOK_DIR = REPO_DIR / "notebooks"
FIGURE_CLASS = "fashion-lab-figure"
PLOTLY_JS = "plotly.min.js"
_RENDERER = "fashion_lab_html"
# Text reprs that mean a widget was rendered without its state.
_BARE_WIDGET = re.compile(r"\b(?:VBox|HBox|Box|Output|Text|Combobox|Dropdown|Button|Label)"
                          r"\((?:children|value|layout|description|options)=")


class ReportError(RuntimeError):
    """A notebook failed to run or its rendered page is missing content."""


def is_static() -> bool:
    """Return True when running under the report runner (no live widgets)."""
    return os.environ.get(STATIC_ENV) == "1"


def _register_renderer() -> None:
    import plotly.io as pio
    from plotly.io._base_renderers import MimetypeRenderer

    class _FigureDivRenderer(MimetypeRenderer):
        """A figure as an HTML div with inline data; plotly.js comes from the page head."""

        def to_mimebundle(self, fig_dict):
            import plotly.io as pio_

            div = pio_.to_html(fig_dict, include_plotlyjs=False, full_html=False,
                               validate=False, config={"responsive": True})
            n_traces = len(fig_dict.get("data", []))
            return {"text/html": f'<div class="{FIGURE_CLASS}" data-traces="{n_traces}">'
                                 f"{div}</div>"}

    pio.renderers[_RENDERER] = _FigureDivRenderer()


def setup_notebook(level: str = "WARNING") -> None:
    """Prepare a notebook: plotly renderer, logging and table display.

    Under the report runner (``FASHION_LAB_STATIC=1``) figures render as HTML divs that the
    exported page shows offline. In a live Jupyter session the ``notebook`` renderer embeds
    plotly.js in the notebook itself, which also works offline.
    """
    import pandas as pd
    import plotly.io as pio

    from fashion_lab.config import set_verbosity

    _register_renderer()
    pio.renderers.default = _RENDERER if is_static() else "notebook"
    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.precision", 3)
    set_verbosity(level)


@dataclass
class RenderedPage:
    """One executed notebook: its HTML page, figure count and run time."""

    notebook: Path
    html_path: Path
    n_figures: int
    seconds: float
    title: str
    warnings: list[str] = field(default_factory=list)


def execute_notebook(path: Path, *, profile: str, timeout: int = 3600):
    """Run a notebook top to bottom in a fresh kernel and return the executed notebook.

    Raises:
        ReportError: a cell raised; the message names the notebook and the error.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    # The kernel inherits this process's environment; restore it afterwards.
    saved = {name: os.environ.get(name) for name in (PROFILE_ENV, STATIC_ENV)}
    os.environ[PROFILE_ENV] = profile
    os.environ[STATIC_ENV] = "1"
    try:
        client.execute()
    except CellExecutionError as error:
        message = f"notebook {path.name} failed on profile {profile!r}:\n{error}"
        raise ReportError(message) from error
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return notebook


def count_figures(notebook) -> int:
    """Return how many plotly figures the executed notebook displayed."""
    count = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FIGURE_CLASS in str(data.get("text/html", "")):
                count += 1
            elif "application/vnd.plotly.v1+json" in data:
                count += 1
    return count


def check_page(page_html: str, n_figures: int, name: str) -> None:
    """Raise ReportError unless the page contains every figure's data and no bare widget repr."""
    rendered = page_html.count(f'class="{FIGURE_CLASS}"')
    plots = len(re.findall(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*\[\{", page_html))
    if rendered < n_figures or plots < n_figures:
        raise ReportError(
            f"{name}: the notebook displayed {n_figures} figures but the HTML contains {rendered} "
            f"figure blocks and {plots} with data; check that setup_notebook() ran before the "
            "first figure"
        )
    match = _BARE_WIDGET.search(page_html)
    if match:
        raise ReportError(
            f"{name}: the HTML shows a bare widget repr ({match.group(0)}...); display a static "
            "table in report mode (see fashion_lab.probe)"
        )


def notebook_title(notebook, default: str) -> str:
    """Return the first H1 of the notebook's first markdown cell."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def render_notebook(path: Path, out_dir: Path, *, profile: str) -> RenderedPage:
    """Execute one notebook and write its checked HTML page into `out_dir`."""
    from nbconvert import HTMLExporter

    start = time.perf_counter()
    notebook = execute_notebook(path, profile=profile)
    n_figures = count_figures(notebook)
    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(notebook)
    body = body.replace("<head>", f'<head>\n<script src="{PLOTLY_JS}"></script>', 1)
    check_page(body, n_figures, path.name)
    html_path = out_dir / f"{path.stem}.html"
    tmp = html_path.with_suffix(".html.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(html_path)
    seconds = time.perf_counter() - start
    logger.info("report: %s rendered with %d figures in %.0f s", path.name, n_figures, seconds)
    return RenderedPage(path, html_path, n_figures, seconds, notebook_title(notebook, path.stem))


def copy_plotly_js(out_dir: Path) -> Path:
    """Copy the installed plotly.js bundle beside the pages and return its path."""
    import plotly

    source = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
    target = out_dir / PLOTLY_JS
    shutil.copyfile(source, target)
    return target


def list_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """Return the numbered notebooks (``NN-topic.ipynb``) in order."""
    return sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))


def escape(text: object) -> str:
    """HTML-escape any value for the index page."""
    return html.escape(str(text))
