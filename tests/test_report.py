"""Tests for headless notebook rendering and the checks on rendered pages."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from fashion_lab.report import ReportError, check_page, copy_plotly_js, render_notebook

CASES = Path(__file__).resolve().parents[2] / "shared" / "cases" / "inputs"


def write_notebook(path: Path, *sources: str) -> Path:
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    book.cells = [nbformat.v4.new_markdown_cell("# C16 figure")] + [
        nbformat.v4.new_code_cell(source) for source in sources
    ]
    nbformat.write(book, path)
    return path


# C16: a plotly figure must survive HTML export, offline.
def test_c16_rendered_page_holds_figure_data(tmp_path):
    points = CASES / "C16_cluster_points.csv"
    if not points.is_file():
        pytest.skip("shared cases not available")
    notebook = write_notebook(
        tmp_path / "c16.ipynb",
        "import fashion_lab as fl\nfl.report.setup_notebook()",
        f"import pandas as pd, plotly.express as px\n"
        f"df = pd.read_csv({str(points)!r})\n"
        "px.scatter(df, x='x', y='y', color='cluster', text='term')",
    )
    out = tmp_path / "out"
    out.mkdir()
    copy_plotly_js(out)
    page = render_notebook(notebook, out, profile="sample")
    html = page.html_path.read_text(encoding="utf-8")
    assert page.n_figures == 1
    assert page.title == "C16 figure"
    assert html.count('class="fashion-lab-figure"') == 1
    assert '<script src="plotly.min.js"></script>' in html
    for term in ["bootcut", "wide_leg", "tea_length", "maxi"]:
        assert f'"{term}"' in html
    assert (out / "plotly.min.js").stat().st_size > 1_000_000


def test_check_page_missing_figure_raises():
    with pytest.raises(ReportError, match="displayed 2 figures but the HTML contains 1"):
        check_page('<div class="fashion-lab-figure">Plotly.newPlot("a", [{"x": [1]}])</div>',
                   2, "page.html")


def test_check_page_bare_widget_repr_raises():
    with pytest.raises(ReportError, match="bare widget repr"):
        check_page("<pre>VBox(children=(Text(value='bootcut'),))</pre>", 0, "probe.html")


def test_failing_notebook_names_notebook(tmp_path):
    notebook = write_notebook(tmp_path / "broken.ipynb", "raise ValueError('no data')")
    with pytest.raises(ReportError, match="notebook broken.ipynb failed on profile 'sample'"):
        render_notebook(notebook, tmp_path, profile="sample")


def test_figure_without_setup_fails_the_page(tmp_path):
    # Without setup_notebook() plotly's default renderer emits a mimetype that nbconvert's HTML
    # export drops, so the page must be rejected instead of shipping without the figure.
    notebook = write_notebook(
        tmp_path / "nosetup.ipynb",
        "import plotly.express as px\npx.scatter(x=[1, 2], y=[3, 4])",
    )
    with pytest.raises(ReportError, match="displayed 1 figures but the HTML contains 0"):
        render_notebook(notebook, tmp_path, profile="sample")
