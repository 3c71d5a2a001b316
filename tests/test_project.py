from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from fashion_lab.models import WordVectorModel
from fashion_lab.project import load_term_groups, project_terms, project_vectors
from fashion_lab.project import vectors as project
from fashion_lab.text import FashionTokenizer

CASES = Path(__file__).parents[2] / "shared" / "cases" / "inputs"


@pytest.fixture(autouse=True)
def artifacts_in_tmp(tmp_path, monkeypatch):
    # Any projection cached without an explicit cache_dir lands in the test's folder.
    monkeypatch.setenv("FASHION_LAB_ARTIFACTS", str(tmp_path / "artifacts"))


@pytest.fixture
def umap_calls(monkeypatch):
    """Count calls to the real UMAP fit."""
    calls = []
    real = project._fit_umap

    def spy(vectors, **params):
        calls.append(params)
        return real(vectors, **params)

    monkeypatch.setattr(project, "_fit_umap", spy)
    return calls


def read_case(name: str) -> pd.DataFrame:
    path = CASES / name
    if not path.is_file():
        pytest.skip(f"case input not found: {path}")
    return pd.read_csv(path)


def c14_vectors() -> tuple[np.ndarray, list[str]]:
    """Return one vector per SKU of the C14 input: SKUs with the same description share it."""
    frame = read_case("C14_duplicate_descriptions.csv")
    descriptions = list(dict.fromkeys(frame["description"]))
    rng = np.random.default_rng(7)
    by_description = {text: rng.normal(size=16) for text in descriptions}
    vectors = np.stack([by_description[text] for text in frame["description"]])
    return vectors, frame["sku"].tolist()


def test_project_vectors_two_terms_skips_umap(tmp_path, umap_calls):
    frame = read_case("C13_two_terms.csv")
    vectors = frame[["v1", "v2", "v3", "v4"]].to_numpy()

    result = project_vectors(vectors, frame["term"].tolist(), cache_dir=tmp_path)

    assert result.notes == [
        "UMAP skipped: 2 points (a 2-d UMAP needs at least 4); placed by PCA instead"
    ]
    assert result.method == "pca"
    assert result.n_neighbors is None
    assert umap_calls == []
    assert result.coordinates.shape == (2, 2)
    assert np.isfinite(result.coordinates).all()
    # Two points lie on one line: opposite x, y padded with zeros.
    assert result.coordinates[0, 0] == pytest.approx(-result.coordinates[1, 0])
    assert result.coordinates[0, 0] != 0
    assert result.coordinates[:, 1].tolist() == [0.0, 0.0]


def test_project_vectors_four_terms_caps_neighbors(tmp_path):
    frame = read_case("C13_four_terms.csv")
    vectors = frame[["v1", "v2", "v3", "v4"]].to_numpy()

    result = project_vectors(vectors, frame["term"].tolist(), cache_dir=tmp_path)

    assert result.notes == [
        "n_neighbors capped at 3 (requested 15) because there are only 4 unique points"
    ]
    assert result.method == "umap"
    assert result.n_neighbors == 3
    assert result.coordinates.shape == (4, 2)
    assert np.isfinite(result.coordinates).all()
    assert result.to_frame()["label"].tolist() == ["bootcut", "flare", "midi", "tea-length"]


@pytest.mark.parametrize(("n_rows", "note"), [
    (1, "UMAP skipped: 1 point (a 2-d UMAP needs at least 4); placed by PCA instead"),
    (3, "UMAP skipped: 3 points (a 2-d UMAP needs at least 4); placed by PCA instead"),
])
def test_project_vectors_tiny_inputs_use_pca(n_rows, note, umap_calls):
    vectors = np.random.default_rng(0).normal(size=(n_rows, 5))

    result = project_vectors(vectors, [f"t{i}" for i in range(n_rows)], use_cache=False)

    assert result.notes == [note]
    assert result.coordinates.shape == (n_rows, 2)
    assert np.isfinite(result.coordinates).all()
    assert umap_calls == []


def test_project_vectors_c14_merges_duplicates(tmp_path):
    vectors, skus = c14_vectors()

    result = project_vectors(vectors, skus, cache_dir=tmp_path)

    assert len(result.coordinates) == 7
    assert result.n_duplicates == 9
    assert result.counts.tolist() == [10, 1, 1, 1, 1, 1, 1]
    assert result.members[0] == [f"W20{i}" for i in range(10)]
    assert "9 duplicate vectors merged: 16 rows became 7 unique points" in result.notes
    assert "n_neighbors capped at 6 (requested 15) because there are only 7 unique points" in (
        result.notes)
    frame = result.to_frame()
    assert len(frame) == 16
    merged = frame[frame["label"].str.startswith("W2")]
    assert merged["point"].nunique() == 1
    assert merged["n_duplicates"].tolist() == [9] * 10
    assert merged["members"].iloc[0] == ", ".join(f"W20{i}" for i in range(10))
    assert frame.loc[frame["label"] == "B300", "n_duplicates"].item() == 0


@pytest.mark.parametrize(("noise", "n_points"), [(5e-7, 1), (1e-3, 2)])
def test_project_vectors_duplicate_tolerance(noise, n_points):
    base = np.array([0.3, -0.2, 0.5, 0.1])
    vectors = np.stack([base, base + noise])

    result = project_vectors(vectors, ["a", "b"], metric="euclidean", use_cache=False)

    assert len(result.members) == n_points


def test_project_vectors_cosine_merges_parallel_vectors():
    vectors = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 1.0, 1.0]])

    result = project_vectors(vectors, ["a", "b", "c"], use_cache=False)

    assert result.members == [["a", "b"], ["c"]]


def test_project_vectors_excludes_nan_and_zero_rows():
    vectors = np.array([[1.0, 0.0], [np.nan, np.nan], [0.0, 0.0], [0.0, 1.0]])

    result = project_vectors(vectors, ["bootcut", "jeggings", "blank", "midi"], use_cache=False)

    assert result.excluded == ["jeggings", "blank"]
    assert result.point_of.tolist() == [0, -1, -1, 1]
    assert result.notes[0] == ("2 of 4 labels have no vector (NaN or all zero) and were left "
                               "out: jeggings, blank")
    assert result.to_frame()["label"].tolist() == ["bootcut", "midi"]


def test_project_vectors_all_missing_returns_empty():
    result = project_vectors(np.full((2, 3), np.nan), ["a", "b"], use_cache=False)

    assert result.method == "none"
    assert result.coordinates.shape == (0, 2)
    assert result.notes[-1] == "no vectors left to project"


def test_project_vectors_same_seed_reproducible(umap_calls):
    vectors, skus = c14_vectors()

    first = project_vectors(vectors, skus, seed=3, use_cache=False)
    second = project_vectors(vectors, skus, seed=3, use_cache=False)

    assert len(umap_calls) == 2
    assert np.array_equal(first.coordinates, second.coordinates)


def test_project_vectors_cache_hit_skips_umap(tmp_path, umap_calls):
    vectors, skus = c14_vectors()

    first = project_vectors(vectors, skus, cache_dir=tmp_path)
    second = project_vectors(vectors, skus, cache_dir=tmp_path)

    assert len(umap_calls) == 1
    assert first.from_cache is False
    assert second.from_cache is True
    assert np.array_equal(first.coordinates, second.coordinates)
    assert len(list(tmp_path.glob("umap-*.npy"))) == 1


def test_project_vectors_default_cache_under_artifacts(tmp_path, umap_calls):
    vectors, skus = c14_vectors()

    project_vectors(vectors, skus)

    assert len(list((tmp_path / "artifacts" / "projections").glob("umap-*.npy"))) == 1


def test_project_vectors_umap_error_falls_back(monkeypatch):
    def broken(vectors, **params):
        raise TypeError("Cannot use scipy.linalg.eigh for sparse A with k >= N")

    monkeypatch.setattr(project, "_fit_umap", broken)
    vectors, skus = c14_vectors()

    result = project_vectors(vectors, skus, use_cache=False)

    assert result.method == "pca"
    assert result.notes[-1] == ("UMAP failed (TypeError: Cannot use scipy.linalg.eigh for sparse "
                                "A with k >= N); placed by PCA instead")
    assert np.isfinite(result.coordinates).all()


def test_project_vectors_label_count_mismatch_raises():
    with pytest.raises(ValueError, match="got 1 labels for 2 rows"):
        project_vectors(np.ones((2, 3)), ["a"])


def test_project_vectors_small_n_neighbors_raises():
    with pytest.raises(ValueError, match="n_neighbors must be at least 2"):
        project_vectors(np.ones((2, 3)), ["a", "b"], n_neighbors=1)


def toy_model(name: str, terms: list[str], seed: int) -> WordVectorModel:
    wv = KeyedVectors(6)
    wv.add_vectors(terms, np.random.default_rng(seed).normal(size=(len(terms), 6)))
    return WordVectorModel(wv, name=name)


GROUPS = {"jean cuts": ["bootcut", "flare", "skinny", "wide-leg"],
          "dress lengths": ["mini", "midi", "tea-length", "maxi"]}


def test_project_terms_lists_missing_terms():
    full = toy_model("fashion", GROUPS["jean cuts"] + GROUPS["dress lengths"], seed=1)
    partial = toy_model("generic", ["bootcut", "flare", "mini", "midi", "maxi"], seed=2)

    result = project_terms([full, partial], GROUPS, method="pca")

    assert result.points["model"].value_counts().to_dict() == {"fashion": 8, "generic": 5}
    generic = result.points[result.points["model"] == "generic"]
    assert generic["term"].tolist() == ["bootcut", "flare", "mini", "midi", "maxi"]
    assert generic["group"].tolist() == ["jean cuts"] * 2 + ["dress lengths"] * 3
    assert set(result.points["method"]) == {"exact"}
    assert result.missing[["model", "group", "term"]].values.tolist() == [
        ["generic", "jean cuts", "skinny"],
        ["generic", "jean cuts", "wide-leg"],
        ["generic", "dress lengths", "tea-length"],
    ]
    assert result.notes == ["generic: not in vocabulary: skinny, wide-leg, tea-length"]
    assert result.points.attrs["notes"] == {
        "fashion": [], "generic": ["not in vocabulary: skinny, wide-leg, tea-length"]}


def test_project_terms_runs_umap_per_model(tmp_path, umap_calls):
    models = {"a": toy_model("a", GROUPS["jean cuts"] + GROUPS["dress lengths"], seed=1),
              "b": toy_model("b", GROUPS["jean cuts"] + GROUPS["dress lengths"], seed=2)}

    result = project_terms(models, GROUPS, cache_dir=tmp_path)

    assert len(umap_calls) == 2
    assert [call["n_neighbors"] for call in umap_calls] == [7, 7]
    assert np.isfinite(result.points[["x", "y"]].to_numpy()).all()
    assert result.notes == [
        "a: n_neighbors capped at 7 (requested 8) because there are only 8 unique points",
        "b: n_neighbors capped at 7 (requested 8) because there are only 8 unique points",
    ]


def test_project_terms_term_in_two_groups_raises():
    model = toy_model("fashion", ["bootcut", "flare"], seed=1)

    with pytest.raises(ValueError, match="'flare' is in groups 'cuts' and 'silhouettes'"):
        project_terms([model], {"cuts": ["bootcut", "flare"], "silhouettes": ["flare"]})


def test_project_terms_duplicate_model_names_raise():
    model = toy_model("fashion", ["bootcut", "flare"], seed=1)

    with pytest.raises(ValueError, match="two models are named 'fashion'"):
        project_terms([model, model], {"cuts": ["bootcut", "flare"]})


def test_term_groups_are_canonical():
    groups = load_term_groups()
    tokenizer = FashionTokenizer()

    assert {"jean cuts", "dress lengths", "silhouettes", "fabrics", "prints", "shoes",
            "necklines"} <= set(groups)
    for group, terms in groups.items():
        assert 8 <= len(terms) <= 15, group
        assert [tokenizer.normalize_term(t) for t in terms] == terms
    all_terms = [t for terms in groups.values() for t in terms]
    assert len(all_terms) == len(set(all_terms))
    assert {"bootcut", "flare", "kick-flare", "skinny", "wide-leg"} <= set(groups["jean cuts"])
    assert {"mini", "midi", "tea-length", "maxi"} <= set(groups["dress lengths"])
