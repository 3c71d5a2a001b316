"""Reports: run the notebooks headless, render offline HTML pages and an index page."""

from fashion_lab.report.build import build_report
from fashion_lab.report.notebooks import (
    STATIC_ENV,
    ReportError,
    check_page,
    copy_plotly_js,
    count_figures,
    is_static,
    list_notebooks,
    render_notebook,
    setup_notebook,
)

__all__ = [
    "STATIC_ENV",
    "ReportError",
    "build_report",
    "check_page",
    "copy_plotly_js",
    "count_figures",
    "is_static",
    "list_notebooks",
    "render_notebook",
    "setup_notebook",
]
