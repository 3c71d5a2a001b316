from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from fashion_lab.models import WordVectorModel
from fashion_lab.probe import NeighborProbe, neighbor_table, probe_terms, shared_vocabulary

CASES = Path(__file__).parents[2] / "shared" / "cases" / "inputs"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def word_model(name: str, vectors: dict[str, list[float]]) -> WordVectorModel:
    wv = KeyedVectors(3)
    wv.add_vectors(list(vectors), np.array(list(vectors.values()), dtype=np.float32))
    return WordVectorModel(wv, name=name)


@pytest.fixture
def models() -> list[WordVectorModel]:
    # Unit vectors chosen so that the top neighbours have distinct, exact cosines.
    fashion = word_model("fashion", {
        "bootcut": [1.0, 0.0, 0.0], "flare": [0.8, 0.6, 0.0], "skinny": [0.6, 0.0, 0.8],
        "midi": [0.0, 1.0, 0.0], "tea-length": [0.0, 0.8, 0.6], "mini": [0.28, 0.96, 0.0]})
    generic = word_model("generic", {
        "bootcut": [1.0, 0.0, 0.0], "flare": [0.6, 0.8, 0.0], "skinny": [0.0, 1.0, 0.0],
        "jeans": [0.8, 0.0, 0.6], "leggings": [0.0, 0.0, 1.0]})
    return [fashion, generic]


@pytest.fixture(autouse=True)
def widget_mode(monkeypatch):
    monkeypatch.delenv("FASHION_LAB_STATIC", raising=False)


def read_jsonl(name: str) -> list[dict]:
    path = CASES / name
    if not path.is_file():
        pytest.skip(f"case input not found: {path}")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_neighbor_table_side_by_side(models):
    table = neighbor_table(models, "bootcut", k=2)

    assert table.columns.tolist() == ["fashion", "fashion score", "generic", "generic score"]
    assert table.index.tolist() == [1, 2]
    assert table.index.name == "rank"
    assert table["fashion"].tolist() == ["flare", "skinny"]
    assert table["fashion score"].tolist() == pytest.approx([0.8, 0.6])
    assert table["generic"].tolist() == ["jeans", "flare"]
    assert table["generic score"].tolist() == pytest.approx([0.8, 0.6])
    assert table.attrs["notes"] == []
    assert table.attrs["missing"] == []


def test_neighbor_table_unknown_term_marked(models):
    table = neighbor_table(models, "midi", k=3)

    assert table["fashion"].tolist() == ["mini", "tea-length", "flare"]
    assert table["fashion score"].tolist() == pytest.approx([0.96, 0.8, 0.6])
    assert table["generic"].tolist() == [
        "'midi' not in vocabulary of generic (5 keys); no close keys; a FastText model builds "
        "vectors from subwords", "", ""]
    # A miss has no score at all, never 0.
    assert table["generic score"].isna().all()
    assert table.attrs["missing"] == ["generic"]


def test_neighbor_table_suggests_close_keys(models):
    table = neighbor_table(models, "jeggings", k=2)

    assert table.loc[1, "generic"] == (
        "'jeggings' not in vocabulary of generic (5 keys); close: leggings")
    assert table.loc[1, "fashion"].startswith("'jeggings' not in vocabulary of fashion (6 keys)")
    assert "close keys: leggings" in table.attrs["notes"][1]


def test_neighbor_table_notes_case_folding(models):
    table = neighbor_table(models, "Bootcut", k=2)

    assert table["fashion"].tolist() == ["flare", "skinny"]
    assert table.attrs["notes"] == [
        "fashion: 'Bootcut' normalized: case-folded to key 'bootcut'",
        "generic: 'Bootcut' normalized: case-folded to key 'bootcut'",
    ]


def test_neighbor_table_c01_queries():
    corpus = CASES / "C01_corpus.txt"
    if not corpus.is_file():
        pytest.skip(f"case input not found: {corpus}")
    tokens = sorted({t for line in corpus.read_text().splitlines() for t in line.split()})
    wv = KeyedVectors(4)
    wv.add_vectors(tokens, np.random.default_rng(0).normal(size=(len(tokens), 4)))
    model = WordVectorModel(wv, name="c01")

    culottes = neighbor_table([model], "culottes", k=3)
    capital = neighbor_table([model], "Bootcut", k=3)

    assert culottes.loc[1, "c01"].startswith(
        f"'culottes' not in vocabulary of c01 ({len(tokens)} keys)")
    assert culottes["c01 score"].isna().all()
    assert capital["c01 score"].notna().all()
    assert capital.attrs["notes"] == ["c01: 'Bootcut' normalized: case-folded to key 'bootcut'"]


def test_probe_terms_carries_on_past_unknown(models):
    table, skipped = probe_terms(models, ["bootcut", "jeggings", "midi"], k=2)

    assert table[["term", "model", "neighbor"]].values.tolist() == [
        ["bootcut", "fashion", "flare"], ["bootcut", "fashion", "skinny"],
        ["bootcut", "generic", "jeans"], ["bootcut", "generic", "flare"],
        ["midi", "fashion", "mini"], ["midi", "fashion", "tea-length"],
    ]
    assert table["rank"].tolist() == [1, 2] * 3
    assert table["score"].tolist() == pytest.approx([0.8, 0.6, 0.8, 0.6, 0.96, 0.8])
    assert skipped[["term", "model"]].values.tolist() == [
        ["jeggings", "fashion"], ["jeggings", "generic"], ["midi", "generic"]]
    assert "not in the vocabulary of model 'generic' (5 keys)" in skipped.loc[2, "reason"]
    assert "close keys: leggings" in skipped.loc[1, "reason"]


def test_probe_terms_all_unknown_gives_empty_table(models):
    table, skipped = probe_terms(models, ["jeggings"], k=2)

    assert table.columns.tolist() == ["term", "model", "rank", "neighbor", "score", "method"]
    assert len(table) == 0
    assert len(skipped) == 2


def test_probe_terms_string_raises(models):
    with pytest.raises(TypeError, match="terms must be a list of terms"):
        probe_terms(models, "bootcut")


def count_output_blocks(probe: NeighborProbe) -> list[int]:
    blocks = []
    probe.output.observe(lambda change: blocks.append(len(change["new"])), names="outputs")
    return blocks


def test_probe_c19_sequence_one_lookup_per_change(models):
    steps = read_jsonl("C19_probe_sequence.jsonl")
    probe = NeighborProbe(models, k=2, default_term=None)
    blocks = count_output_blocks(probe)

    for step in steps:
        if step["action"] in ("display_probe", "rerun_cell"):
            probe._repr_mimebundle_()
        elif step["action"] == "select":
            probe.input.value = step["term"]

    # bootcut, flare, midi, tea-length: the repeated midi and the re-display add nothing.
    assert probe.lookup_count == 4
    assert blocks == [1, 1, 1, 1]
    assert probe.term == "tea-length"
    assert "Nearest neighbours of 'tea-length'" in probe.output.outputs[0]["data"]["text/plain"]


def test_probe_redisplay_keeps_one_handler(models):
    probe = NeighborProbe(models, k=2)

    for _ in range(3):
        probe._repr_mimebundle_()
    probe.input.value = "midi"

    assert len(probe.input._trait_notifiers["value"]["change"]) == 1
    assert probe.lookup_count == 2


def test_probe_same_or_empty_value_does_nothing(models):
    probe = NeighborProbe(models, k=2, default_term="bootcut")

    probe._on_value({"name": "value", "old": "", "new": "bootcut"})
    probe.input.value = "   "
    probe.input.value = ""

    assert probe.lookup_count == 1
    assert probe.term == "bootcut"


def test_probe_to_frame_is_current_table(models):
    probe = NeighborProbe(models, k=2)
    probe.input.value = "midi"

    frame = probe.to_frame()

    assert frame["fashion"].tolist() == ["mini", "tea-length"]
    assert frame.attrs["term"] == "midi"


def test_probe_offers_shared_vocabulary(models):
    named = {model.name: model for model in models}

    assert shared_vocabulary(named) == ["bootcut", "flare", "skinny"]
    assert list(NeighborProbe(models).input.options) == ["bootcut", "flare", "skinny"]


def test_probe_mimebundle_has_widget_and_table(models):
    bundle = NeighborProbe(models, k=2)._repr_mimebundle_()

    assert set(bundle) == {"text/plain", "text/html", WIDGET_VIEW}
    assert "<table" in bundle["text/html"]
    assert "jeans" in bundle["text/html"]


def test_probe_static_mode_shows_only_table(models, monkeypatch):
    monkeypatch.setenv("FASHION_LAB_STATIC", "1")

    bundle = NeighborProbe(models, k=2)._repr_mimebundle_()

    assert set(bundle) == {"text/plain", "text/html"}
    assert "Nearest neighbours of &#x27;bootcut&#x27;" in bundle["text/html"]
    assert "<td>flare</td>" in bundle["text/html"]
    assert "<td>0.800</td>" in bundle["text/html"]
    assert not bundle["text/plain"].startswith(("VBox(", "Combobox(", "Output("))
    assert bundle["text/plain"].startswith(
        "NeighborProbe(term='bootcut', k=2, models=[fashion, generic])")


def test_probe_c20_static_tables_for_report_terms(models, monkeypatch):
    params = read_jsonl("C20_report_params.jsonl")[0]
    monkeypatch.setenv("FASHION_LAB_STATIC", "1")

    for term in params["probe_terms"]:
        bundle = NeighborProbe(models, k=params["topn"], default_term=term)._repr_mimebundle_()

        assert f"Nearest neighbours of &#x27;{term}&#x27;" in bundle["text/html"]
        assert bundle["text/html"].count("<tr>") == params["topn"] + 1
