from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from fashion_lab.models import WordVectorModel
from fashion_lab.plot import (
    _prepare_benchmark_scores,
    _prepare_similarity_heatmap,
    _prepare_term_map,
    plot_benchmark_scores,
    plot_similarity_heatmap,
    plot_term_map,
)
from fashion_lab.project import project_terms

GROUPS = {"jean cuts": ["bootcut", "flare", "skinny", "wide-leg"],
          "dress lengths": ["mini", "midi", "tea-length", "maxi"],
          "necklines": ["v-neck", "crew-neck", "halter-neck"]}


def toy_model(name: str, terms: list[str], seed: int) -> WordVectorModel:
    wv = KeyedVectors(6)
    wv.add_vectors(terms, np.random.default_rng(seed).normal(size=(len(terms), 6)))
    return WordVectorModel(wv, name=name)


@pytest.fixture(scope="module")
def term_projection():
    terms = [t for group in GROUPS.values() for t in group]
    models = [toy_model("fashion w2v", terms, seed=1), toy_model("GloVe", terms, seed=2)]
    return project_terms(models, GROUPS, method="pca")


def test_plot_term_map_one_trace_per_group_and_model(term_projection):
    fig = plot_term_map(term_projection, title="Term map")
    data = fig.to_dict()["data"]

    assert len(data) == 3 * 2
    assert [trace["name"] for trace in data] == list(GROUPS) * 2
    assert [trace["xaxis"] for trace in data] == ["x"] * 3 + ["x2"] * 3
    assert [trace["showlegend"] for trace in data] == [True] * 3 + [False] * 3
    assert data[0]["text"].tolist() == ["bootcut", "flare", "skinny", "wide-leg"]
    assert fig.layout.title.text == "Term map"


def test_plot_term_map_subplot_titles_are_models(term_projection):
    layout = plot_term_map(term_projection).to_dict()["layout"]

    assert [a["text"] for a in layout["annotations"]] == ["fashion w2v", "GloVe"]


def test_plot_term_map_group_colour_same_across_panels(term_projection):
    data = plot_term_map(term_projection).to_dict()["data"]

    colours = {}
    for trace in data:
        colours.setdefault(trace["name"], set()).add(trace["marker"]["color"])
    assert all(len(c) == 1 for c in colours.values())
    assert len({c.pop() for c in colours.values()}) == 3


def test_plot_term_map_hover_shows_term_and_group(term_projection):
    trace = plot_term_map(term_projection).to_dict()["data"][3]

    assert "term: %{customdata[0]}" in trace["hovertemplate"]
    assert "group: %{customdata[1]}" in trace["hovertemplate"]
    assert "model: %{customdata[2]}" in trace["hovertemplate"]
    assert "lookup: %{customdata[3]}" in trace["hovertemplate"]
    assert trace["customdata"][0].tolist() == ["bootcut", "jean cuts", "GloVe", "exact",
                                               "bootcut", "1 term"]


def test_plot_term_map_notes_become_annotations(tmp_path):
    model = toy_model("generic", ["bootcut", "flare", "mini"], seed=3)
    result = project_terms([model], GROUPS, cache_dir=tmp_path)

    annotations = plot_term_map(result).to_dict()["layout"]["annotations"]

    assert annotations[0]["text"] == "generic"
    assert annotations[1]["text"] == (
        "not in vocabulary: skinny, wide-leg, midi, tea-length, maxi, v-neck, crew-neck, "
        "halter-neck<br>UMAP skipped: 3 points (a 2-d UMAP needs at least 4); placed by PCA "
        "instead")
    assert annotations[1]["xref"] == "x domain"


def test_plot_term_map_accepts_points_frame(term_projection):
    fig = plot_term_map(term_projection.points, color_by="model")

    assert [trace.name for trace in fig.data] == ["fashion w2v", "GloVe"]


def test_prepare_term_map_merges_shared_point():
    points = pd.DataFrame({
        "model": ["m", "m", "m"], "group": ["cuts", "cuts", "cuts"],
        "term": ["flare", "flared", "skinny"], "x": [1.0, 1.0, 2.0], "y": [0.5, 0.5, 0.0],
        "point": [0, 0, 1], "method": ["exact", "exact", "exact"],
        "members": ["flare, flared", "flare, flared", "skinny"]})

    prepared = _prepare_term_map(points)

    assert prepared["text"].tolist() == ["flare / flared", "skinny"]
    assert prepared["n_members"].tolist() == [2, 1]
    assert prepared["color"].nunique() == 1


def test_prepare_term_map_missing_column_raises():
    with pytest.raises(ValueError, match=r"missing columns \['members', 'method'\]"):
        _prepare_term_map(pd.DataFrame(columns=["model", "group", "term", "x", "y"]))


SUMMARY = pd.DataFrame({
    "model": ["GloVe", "MiniLM", "fashion w2v"],
    "triplet_accuracy": [0.61, 0.74, 0.82],
    "spearman": [0.35, 0.52, 0.58],
    "triplet_accuracy_ci_low": [0.55, 0.69, 0.77],
    "triplet_accuracy_ci_high": [0.67, 0.79, 0.87],
})


def test_prepare_benchmark_scores_long_form():
    prepared = _prepare_benchmark_scores(SUMMARY)

    assert prepared.columns.tolist() == ["model", "metric", "score", "ci_low", "ci_high"]
    assert prepared["metric"].tolist() == ["triplet_accuracy"] * 3 + ["spearman"] * 3
    assert prepared["score"].tolist() == [0.61, 0.74, 0.82, 0.35, 0.52, 0.58]
    assert prepared["ci_low"].iloc[:3].tolist() == [0.55, 0.69, 0.77]
    assert prepared["ci_low"].iloc[3:].isna().all()


def test_plot_benchmark_scores_grouped_bars_with_ci():
    data = plot_benchmark_scores(SUMMARY).to_dict()["data"]

    assert [trace["name"] for trace in data] == ["triplet_accuracy", "spearman"]
    assert all(trace["type"] == "bar" for trace in data)
    assert list(data[0]["x"]) == ["GloVe", "MiniLM", "fashion w2v"]
    assert np.allclose(data[0]["error_y"]["array"], [0.06, 0.05, 0.05])
    assert np.allclose(data[0]["error_y"]["arrayminus"], [0.06, 0.05, 0.05])
    assert data[0]["error_y"]["visible"] is True
    assert data[1]["error_y"]["visible"] is False


def test_prepare_benchmark_scores_reads_low_high_columns():
    summary = pd.DataFrame({"model": ["a"], "triplet_accuracy": [0.7], "spearman": [0.4],
                            "triplet_accuracy_low": [0.6], "triplet_accuracy_high": [0.8]})

    prepared = _prepare_benchmark_scores(summary)

    assert prepared["ci_low"].tolist()[0] == 0.6
    assert prepared["ci_high"].tolist()[0] == 0.8


def test_plot_benchmark_scores_color_by_model():
    long = pd.DataFrame({"model": ["a", "a", "b", "b"],
                         "metric": ["triplet_accuracy", "spearman"] * 2,
                         "score": [0.7, 0.4, 0.8, 0.5]})

    fig = plot_benchmark_scores(long, color_by="model")

    assert [trace.name for trace in fig.data] == ["a", "b"]
    assert list(fig.data[1].x) == ["triplet_accuracy", "spearman"]
    assert fig.layout.barmode == "group"


def test_plot_benchmark_scores_ambiguous_ci_raises():
    summary = SUMMARY[["model", "triplet_accuracy", "spearman"]].assign(ci_low=0.1, ci_high=0.9)

    with pytest.raises(ValueError, match="plain ci_low/ci_high columns but several metrics"):
        plot_benchmark_scores(summary)


@pytest.fixture
def cuts_model() -> WordVectorModel:
    wv = KeyedVectors(3)
    wv.add_vectors(["bootcut", "flare", "skinny"],
                   np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.6, 0.0, 0.8]]))
    return WordVectorModel(wv, name="cuts")


def test_prepare_similarity_heatmap_values(cuts_model):
    similarity = _prepare_similarity_heatmap(cuts_model, ["bootcut", "flare", "skinny"])

    assert np.allclose(similarity.to_numpy(),
                       [[1.0, 0.8, 0.6], [0.8, 1.0, 0.48], [0.6, 0.48, 1.0]], atol=1e-6)
    assert similarity.attrs["missing"] == []


def test_plot_similarity_heatmap_missing_term_is_gap(cuts_model):
    fig = plot_similarity_heatmap(cuts_model, ["bootcut", "jeggings", "flare"])

    z = np.asarray(fig.data[0].z)
    assert np.isnan(z[1]).all()
    assert np.isnan(z[:, 1]).all()
    assert z[0, 2] == pytest.approx(0.8)
    assert fig.data[0].text[1].tolist() == ["", "", ""]
    layout = fig.to_dict()["layout"]
    assert layout["annotations"][0]["text"] == "not in vocabulary of cuts: jeggings"
    assert layout["title"]["text"] == "Cosine similarity in cuts"


def test_plot_similarity_heatmap_repeated_term_raises(cuts_model):
    with pytest.raises(ValueError, match="terms must be distinct; repeated: flare"):
        plot_similarity_heatmap(cuts_model, ["flare", "bootcut", "flare"])


def test_plot_term_map_wraps_panels_into_rows():
    terms = [t for group in GROUPS.values() for t in group]
    models = [toy_model(f"model {i}", terms, seed=i) for i in range(4)]
    fig = plot_term_map(project_terms(models, GROUPS, method="pca"), columns=3)
    data = fig.to_dict()["data"]

    assert [trace["xaxis"] for trace in data[::3]] == ["x", "x2", "x3", "x4"]
    assert fig.layout.yaxis4.domain[1] < fig.layout.yaxis.domain[0]
    assert fig.layout.height == 960
