"""The report's index page: data used, summary table, cluster figures and links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from fashion_lab.report.notebooks import FIGURE_CLASS, PLOTLY_JS, RenderedPage, escape

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.skipped { background: #fff4e5; border-left: 4px solid #f0a020; padding: 0.5rem 1rem; }
.skipped pre { white-space: pre-wrap; font-size: 0.8rem; }
"""


def figure_html(fig) -> str:
    """Return a figure as an inline div (plotly.js is loaded once by the page head)."""
    div = fig.to_html(include_plotlyjs=False, full_html=False, config={"responsive": True})
    return f'<div class="{FIGURE_CLASS}" data-traces="{len(fig.data)}">{div}</div>'


def table_html(frame: pd.DataFrame, float_format: str = "{:.3f}") -> str:
    """Return a DataFrame as an HTML table with rounded floats."""
    return frame.to_html(index=False, na_rep="–", float_format=float_format.format, border=0,
                         escape=True)


def write_index(out_dir: Path, *, profile: str, sources: pd.DataFrame,
                skipped: dict[str, str], sections: Sequence[tuple[str, str]],
                pages: Sequence[RenderedPage], run_facts: dict[str, str]) -> Path:
    """Write ``index.html``; `sections` are (heading, html) pairs shown in order."""
    parts = [f"<h1>fashion_lab report</h1><p>Profile <b>{escape(profile)}</b>, built "
             f"{dt.datetime.now():%Y-%m-%d %H:%M}.</p>"]
    if skipped:
        items = "".join(f"<li><b>{escape(name)}</b><pre>{escape(reason)}</pre></li>"
                        for name, reason in skipped.items())
        parts.append(f'<div class="skipped"><p>Datasets skipped (not found): '
                     f"{len(skipped)}</p><ul>{items}</ul></div>")
    parts.append("<h2>Data used</h2>" + table_html(sources, "{:,.0f}"))
    for heading, body in sections:
        parts.append(f"<h2>{escape(heading)}</h2>{body}")
    rows = "".join(f'<tr><td><a href="{escape(p.html_path.name)}">{escape(p.title)}</a></td>'
                   f"<td>{p.n_figures}</td><td>{p.seconds:.0f} s</td></tr>" for p in pages)
    parts.append("<h2>Notebooks</h2><table><tr><th>page</th><th>figures</th><th>run time</th>"
                 f"</tr>{rows}</table>")
    facts = "".join(f"<li>{escape(k)}: {escape(v)}</li>" for k, v in run_facts.items())
    parts.append(f"<h2>This run</h2><ul>{facts}</ul>")
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>fashion_lab report</title>'
            f'<script src="{PLOTLY_JS}"></script><style>{_STYLE}</style></head><body>'
            + "\n".join(parts) + "</body></html>")
    path = out_dir / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
