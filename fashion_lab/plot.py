"""Plotly figures for term maps, benchmark scores and term similarities.

Each figure has a ``_prepare_<plot>()`` step that returns the plotted DataFrame and a
``plot_<plot>()`` step that draws it. Plot functions return a ``go.Figure`` and never show it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from fashion_lab.models import EmbeddingModel
from fashion_lab.project import TermProjection

PALETTE = qualitative.Plotly + qualitative.D3 + qualitative.Alphabet
BENCHMARK_METRICS = ("triplet_accuracy", "spearman")
_HOVER = ("term: %{customdata[0]}<br>group: %{customdata[1]}<br>model: %{customdata[2]}"
          "<br>lookup: %{customdata[3]}<br>terms at this point: %{customdata[4]}"
          " (%{customdata[5]})<extra></extra>")


def _prepare_term_map(points: pd.DataFrame, color_by: str = "group") -> pd.DataFrame:
    """Merge terms that share a point and colour into one row with their terms joined by ' / '.

    Returns columns model, <color_by>, x, y, text, term, group, method, members, n_members,
    color, in the order of first appearance.
    """
    required = {"model", "group", "term", "x", "y", "method", "members"}
    absent = sorted(required - set(points.columns) | ({color_by} - set(points.columns)))
    if absent:
        raise ValueError(f"points is missing columns {absent}; pass project_terms(...).points "
                         "or a frame with model, group, term, x, y, method, members")
    if points.empty:
        raise ValueError("points is empty, so there is nothing to plot; check the projection's "
                         "missing frame for terms the models could not resolve")
    frame = points.copy()
    if "point" not in frame:
        frame["point"] = frame.groupby(["model", "x", "y"], sort=False).ngroup()
    categories = list(dict.fromkeys(frame[color_by].astype(str)))
    colors = {value: PALETTE[i % len(PALETTE)] for i, value in enumerate(categories)}
    frame["_color_value"] = frame[color_by].astype(str)
    merged = (frame.groupby(["model", "point", "_color_value"], sort=False)
              .agg(x=("x", "first"), y=("y", "first"), term=("term", " / ".join),
                   group=("group", lambda s: " / ".join(dict.fromkeys(s))),
                   method=("method", lambda s: " / ".join(dict.fromkeys(s))),
                   members=("members", "first"))
              .reset_index())
    merged["text"] = merged["term"]
    merged["n_members"] = merged["members"].str.count(", ") + 1
    merged["color"] = merged["_color_value"].map(colors)
    if color_by in merged:
        merged = merged.drop(columns="_color_value")
    else:
        merged = merged.rename(columns={"_color_value": color_by})
    columns = ["model", color_by, "x", "y", "text", "term", "group", "method", "members",
               "n_members", "color"]
    return merged[list(dict.fromkeys(columns))]


def plot_term_map(
    projection: TermProjection | pd.DataFrame,
    *,
    color_by: str = "group",
    title: str | None = None,
    width: int | None = None,
    height: int | None = None,
    columns: int = 3,
) -> go.Figure:
    """Draw one term map per model side by side, coloured consistently across panels.

    Args:
        projection: the result of :func:`fashion_lab.project.project_terms`, or its ``points``
            frame; notes are read from ``points.attrs["notes"]`` (a dict model -> notes).
        color_by: column of the points that sets the colour; one legend entry per value.
        title: figure title.
        width, height: figure size in pixels (height None: 480 per row of panels).
        columns: panels per row; more models wrap onto further rows.

    Returns:
        A figure with one scatter trace per (model, colour value). Notes such as "UMAP skipped"
        and terms a model lacks appear under each panel.
    """
    points = projection.points if isinstance(projection, TermProjection) else projection
    data = _prepare_term_map(points, color_by)
    notes = points.attrs.get("notes", {})
    models = list(dict.fromkeys(data["model"]))
    n_columns = max(1, min(columns, len(models)))
    n_rows = -(-len(models) // n_columns)
    fig = make_subplots(rows=n_rows, cols=n_columns, subplot_titles=models,
                        horizontal_spacing=0.04, vertical_spacing=0.22 / n_rows)
    legend_shown: set[str] = set()
    for index, model in enumerate(models):
        row, column = divmod(index, n_columns)
        panel = data[data["model"] == model]
        for value, part in panel.groupby(color_by, sort=False):
            customdata = np.column_stack([
                part["term"], part["group"], part["model"], part["method"], part["members"],
                part["n_members"].map(lambda n: "1 term" if n == 1 else f"{n} terms")])
            fig.add_trace(go.Scatter(
                x=part["x"], y=part["y"], mode="markers+text", text=part["text"],
                textposition="top center", name=str(value), legendgroup=str(value),
                showlegend=str(value) not in legend_shown, customdata=customdata,
                hovertemplate=_HOVER,
                marker={"color": part["color"].iloc[0],
                        "size": 8 + 3 * np.sqrt(part["n_members"] - 1)}),
                row=row + 1, col=column + 1)
            legend_shown.add(str(value))
        _annotate_notes(fig, index + 1, notes.get(model, []))
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    fig.update_layout(title=title, width=width, height=height or 480 * n_rows,
                      legend_title_text=color_by,
                      margin={"b": 40 + 16 * max((len(n) for n in notes.values()), default=0)})
    return fig


def _annotate_notes(fig: go.Figure, panel: int, notes: list[str]) -> None:
    if not notes:
        return
    suffix = "" if panel == 1 else str(panel)
    fig.add_annotation(text="<br>".join(notes), xref=f"x{suffix} domain",
                       yref=f"y{suffix} domain", x=0, y=-0.04, xanchor="left", yanchor="top",
                       align="left", showarrow=False, font={"size": 10})


def _prepare_benchmark_scores(summary: pd.DataFrame,
                              metrics: Sequence[str] = BENCHMARK_METRICS) -> pd.DataFrame:
    """Return a long frame: model, metric, score, ci_low, ci_high (NaN without an interval).

    Accepts a long frame (model, metric, score, optional ci_low/ci_high) or a wide one with a
    column per metric and optional interval columns ``<metric>_ci_low`` / ``<metric>_ci_high``
    or ``<metric>_low`` / ``<metric>_high`` (the names ``compare_models`` writes).
    """
    if {"model", "metric", "score"} <= set(summary.columns):
        long = summary[summary["metric"].isin(metrics)].copy()
    else:
        present = [m for m in metrics if m in summary.columns]
        if "model" not in summary.columns or not present:
            raise ValueError(f"summary needs a 'model' column and at least one of {list(metrics)}"
                             f"; got columns {list(summary.columns)}")
        if {"ci_low", "ci_high"} & set(summary.columns):
            raise ValueError("summary has plain ci_low/ci_high columns but several metrics; "
                             "name them <metric>_ci_low and <metric>_ci_high, or pass a long "
                             "frame with columns model, metric, score, ci_low, ci_high")
        long = pd.concat([pd.DataFrame({
            "model": summary["model"], "metric": metric, "score": summary[metric],
            "ci_low": _interval_column(summary, metric, "low"),
            "ci_high": _interval_column(summary, metric, "high")}) for metric in present],
            ignore_index=True)
    for column in ("ci_low", "ci_high"):
        if column not in long:
            long[column] = np.nan
    long = long[["model", "metric", "score", "ci_low", "ci_high"]].astype(
        {"score": float, "ci_low": float, "ci_high": float})
    return long.reset_index(drop=True)


def _interval_column(summary: pd.DataFrame, metric: str, end: str) -> pd.Series | float:
    """Return ``<metric>_ci_<end>`` or ``<metric>_<end>`` (as compare_models writes it), or NaN."""
    for column in (f"{metric}_ci_{end}", f"{metric}_{end}"):
        if column in summary:
            return summary[column]
    return np.nan


def plot_benchmark_scores(
    summary: pd.DataFrame,
    *,
    color_by: str = "metric",
    title: str | None = None,
    width: int | None = None,
    height: int | None = 420,
    metrics: Sequence[str] = BENCHMARK_METRICS,
) -> go.Figure:
    """Draw a grouped bar chart of triplet accuracy and Spearman correlation per model.

    Args:
        summary: one row per model with the metric columns (see :func:`_prepare_benchmark_scores`
            for the accepted layouts); confidence intervals become error bars.
        color_by: ``"metric"`` (bars grouped by model, one colour per metric) or ``"model"``.
        title, width, height: figure title and size in pixels.
        metrics: metrics to draw.
    """
    if color_by not in ("metric", "model"):
        raise ValueError(f"color_by must be 'metric' or 'model'; got {color_by!r}")
    data = _prepare_benchmark_scores(summary, metrics)
    x_column = "model" if color_by == "metric" else "metric"
    fig = go.Figure()
    for i, (value, part) in enumerate(data.groupby(color_by, sort=False)):
        has_ci = part[["ci_low", "ci_high"]].notna().all(axis=1)
        error = {"type": "data", "symmetric": False, "visible": bool(has_ci.any()),
                 "array": (part["ci_high"] - part["score"]).where(has_ci, 0).tolist(),
                 "arrayminus": (part["score"] - part["ci_low"]).where(has_ci, 0).tolist()}
        fig.add_trace(go.Bar(
            x=part[x_column], y=part["score"], name=str(value), error_y=error,
            marker_color=PALETTE[i % len(PALETTE)], customdata=part[["ci_low", "ci_high"]],
            hovertemplate=f"{x_column}: %{{x}}<br>{color_by}: {value}<br>score: %{{y:.3f}}"
                          "<br>CI: %{customdata[0]:.3f} to %{customdata[1]:.3f}<extra></extra>"))
    fig.update_layout(barmode="group", title=title, width=width, height=height,
                      yaxis_title="score", xaxis_title=x_column, legend_title_text=color_by)
    return fig


def _prepare_similarity_heatmap(model: EmbeddingModel, terms: Sequence[str]) -> pd.DataFrame:
    """Return the cosine similarity of every pair of `terms` (NaN where a term is missing).

    ``attrs["missing"]`` lists the terms the model could not resolve.
    """
    terms = list(terms)
    repeated = sorted({t for t in terms if terms.count(t) > 1})
    if repeated:
        raise ValueError(f"terms must be distinct; repeated: {', '.join(repeated)}")
    if not terms:
        raise ValueError("terms is empty; pass at least one term")
    vectors, lookups = model.term_vectors(terms)
    vectors = vectors.astype(np.float64)
    similarity = pd.DataFrame(vectors @ vectors.T, index=terms, columns=terms)
    similarity.attrs["missing"] = [lookup.term for lookup in lookups if not lookup.found]
    return similarity


def plot_similarity_heatmap(
    model: EmbeddingModel,
    terms: Sequence[str],
    *,
    title: str | None = None,
    width: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """Draw the cosine similarities between `terms` in one model as a heatmap.

    Terms the model cannot resolve are empty rows and columns, named in a note under the plot.
    """
    similarity = _prepare_similarity_heatmap(model, terms)
    text = similarity.map(lambda value: "" if np.isnan(value) else f"{value:.2f}")
    fig = go.Figure(go.Heatmap(
        z=similarity.to_numpy(), x=similarity.columns, y=similarity.index, text=text.to_numpy(),
        texttemplate="%{text}", zmin=-1, zmax=1, colorscale="RdBu", reversescale=True,
        colorbar={"title": {"text": "cosine"}},
        hovertemplate="%{y} vs %{x}: %{z:.3f}<extra></extra>"))
    missing = similarity.attrs["missing"]
    if missing:
        fig.add_annotation(text=f"not in vocabulary of {model.name}: {', '.join(missing)}",
                           xref="paper", yref="paper", x=0, y=-0.15, xanchor="left",
                           yanchor="top", showarrow=False, font={"size": 11})
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title or f"Cosine similarity in {model.name}", width=width,
                      height=height)
    return fig


def _prepare_training_curves(histories: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the histories in long form: route, step, metric (train_loss, dev_ndcg@10), value."""
    frames = [h.assign(route=route) for route, h in histories.items() if len(h)]
    if not frames:
        return pd.DataFrame(columns=["route", "step", "metric", "value"])
    wide = pd.concat(frames, ignore_index=True)
    long = wide.melt(id_vars=["route", "step"], value_vars=["train_loss", "dev_ndcg@10"],
                     var_name="metric", value_name="value")
    return long.dropna(subset=["value"]).reset_index(drop=True)


def plot_training_curves(histories: dict[str, pd.DataFrame], *, title: str | None = None,
                         width: int | None = 900, height: int | None = 380) -> go.Figure:
    """Plot training loss and dev nDCG@10 per route against the training step.

    Returns:
        A plotly ``go.Figure`` with two panels (loss left, nDCG@10 right), one line per route
        and panel. Adapter steps are epochs.
    """
    data = _prepare_training_curves(histories)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training loss", "dev nDCG@10"))
    colours = dict(zip(data["route"].unique(), qualitative.Plotly * 3, strict=False))
    for column, metric in enumerate(["train_loss", "dev_ndcg@10"], start=1):
        for route, rows in data[data["metric"] == metric].groupby("route", sort=False):
            fig.add_trace(go.Scatter(x=rows["step"], y=rows["value"], mode="lines+markers",
                                     name=route, legendgroup=route, showlegend=column == 1,
                                     line={"color": colours[route]}), row=1, col=column)
    fig.update_xaxes(title_text="step (adapter: epoch)")
    fig.update_layout(title=title or "Training curves", width=width, height=height)
    return fig
