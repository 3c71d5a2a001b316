"""Execute every notebook on the sample profile through the report builder."""

from __future__ import annotations

import re

import nbformat
import pytest

from fashion_lab.config import ARTIFACTS_ENV
from fashion_lab.report import build_report, list_notebooks


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    artifacts = tmp_path_factory.mktemp("artifacts")
    out = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ARTIFACTS_ENV, str(artifacts))
        index = build_report("sample", out_dir=out)
    return index


def test_notebooks_are_committed_without_outputs():
    for path in list_notebooks():
        book = nbformat.read(path, as_version=4)
        for cell in book.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{path.name} has outputs"
                assert cell.execution_count is None, f"{path.name} has execution counts"


def test_notebooks_open_with_title_and_question():
    for path in list_notebooks():
        first = nbformat.read(path, as_version=4).cells[0]
        assert first.cell_type == "markdown"
        assert first.source.startswith("# "), path.name
        assert "**Question:**" in first.source, path.name


def test_sample_report_renders_every_notebook(sample_report):
    out = sample_report.parent
    for path in list_notebooks():
        page = out / f"{path.stem}.html"
        assert page.is_file(), f"{page.name} missing"
        assert "Findings" in page.read_text(encoding="utf-8")


def test_sample_report_index_has_summary_and_clusters(sample_report):
    html = sample_report.read_text(encoding="utf-8")
    assert "Term benchmark" in html
    assert "Term clusters" in html
    assert "Word2Vec (fashion)" in html
    assert "GloVe 6B 50d" in html
    assert len(re.findall(r'class="fashion-lab-figure"', html)) >= 1
    assert (sample_report.parent / "plotly.min.js").is_file()
