"""Tests for the common model interface: lookups, key schemes, unknown terms."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from fashion_lab import TermNotFoundError
from fashion_lab.models import KeyScheme, WordVectorModel, detect_key_scheme
from fashion_lab.pretrained import load_word_vectors
from fashion_lab.text import FashionTokenizer
from fashion_lab.train import train_fasttext, train_word2vec

CASES = Path(__file__).resolve().parents[2] / "shared" / "cases" / "inputs"


def case_path(name: str) -> Path:
    path = CASES / name
    if not path.is_file():
        pytest.skip(f"shared case input {name} not available")
    return path


@pytest.fixture
def toy() -> WordVectorModel:
    wv = KeyedVectors(2)
    wv.add_vectors(["bootcut", "flare", "skinny", "tea-length"],
                   np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.0, 0.0]]))
    return WordVectorModel(wv, name="toy")


def test_similarity_uses_normalised_term(toy):
    assert toy.similarity("Boot cut", "flare") == pytest.approx(0.8)
    assert toy.similarity("tea length", "bootcut") == pytest.approx(-1.0)


def test_neighbors_exact_order_and_scores(toy):
    table = toy.neighbors("bootcut", k=3)
    assert table["neighbor"].tolist() == ["flare", "skinny", "tea-length"]
    assert table["score"].tolist() == pytest.approx([0.8, 0.0, -1.0])


def test_missing_term_raises_with_context(toy):
    with pytest.raises(TermNotFoundError, match=r"'jeggings' is not in the vocabulary of model "
                                                r"'toy' \(4 keys\)"):
        toy.similarity("bootcut", "jeggings")


def test_missing_term_is_a_key_error(toy):
    with pytest.raises(KeyError):
        toy.term_vector("jeggings")


def test_similarities_batch_marks_unknown_not_zero(toy):
    table = toy.similarities([("bootcut", "flare"), ("bootcut", "jeggings")])
    assert table.loc[0, "score"] == pytest.approx(0.8)
    assert table.loc[0, "status"] == "ok"
    assert math.isnan(table.loc[1, "score"])
    assert table.loc[1, "status"] == "not in vocabulary of toy (4 keys): jeggings"


def test_term_vectors_nan_rows_for_missing(toy):
    vectors, lookups = toy.term_vectors(["flare", "palazzo"])
    assert np.allclose(vectors[0], [0.8, 0.6])
    assert np.isnan(vectors[1]).all()
    assert [lookup.method for lookup in lookups] == ["exact", "missing"]


def test_composed_lookup_for_multiword_term():
    wv = KeyedVectors(2)
    wv.add_vectors(["tea", "length"], np.array([[1.0, 0.0], [0.0, 1.0]]))
    model = WordVectorModel(wv, name="parts")
    lookup = model.lookup("tea-length")
    assert lookup.method == "composed"
    assert lookup.key == "tea + length"
    assert np.allclose(model.term_vector("tea-length"), [math.sqrt(0.5), math.sqrt(0.5)])


def test_composed_lookup_can_be_disabled():
    wv = KeyedVectors(2)
    wv.add_vectors(["tea", "length"], np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert not WordVectorModel(wv, name="parts", compose=False).lookup("tea length").found


# C01: out-of-vocabulary lookups in a model trained on three descriptions.
@pytest.fixture(scope="module")
def c01_model():
    tokenizer = FashionTokenizer()
    lines = case_path("C01_corpus.txt").read_text().splitlines()
    sentences = tokenizer.tokenize_many(line for line in lines if line.strip())
    return sentences, train_word2vec(sentences, tokenizer=tokenizer, min_count=1, vector_size=8,
                                     epochs=5, seed=1).as_embedding_model()


def test_c01_every_query_gets_a_result(c01_model):
    _, model = c01_model
    queries = pd.read_csv(case_path("C01_queries.csv"), keep_default_na=False)
    pairs = queries[queries["op"] == "similarity"][["term_a", "term_b"]].itertuples(index=False)
    scored = model.similarities(list(pairs))
    assert scored.loc[0, "status"] == "ok"
    expected = model.wv.similarity("bootcut", "flare")
    assert scored.loc[0, "score"] == pytest.approx(expected, abs=1e-6)
    expected_status = f"not in vocabulary of {model.name} ({model.vocab_size} keys): jeggings"
    assert scored.loc[1, "status"] == expected_status
    assert math.isnan(scored.loc[1, "score"])


def test_missing_term_message_states_case_folding(toy):
    with pytest.raises(TermNotFoundError) as info:
        toy.term_vector("Jeggings")
    message = str(info.value)
    assert "keys tried: jeggings, jegging, jeggins" in message
    assert "after case folding and the lexicon as 'jeggings'" in message


@pytest.mark.parametrize("bad", [float("nan"), None, 32])
def test_encode_rejects_non_string_text(toy, bad):
    with pytest.raises(TypeError, match=r"1 of 2 are not, at positions 1 .*clean_documents"):
        toy.encode(["bootcut jeans", bad])


def test_encode_uses_key_scheme():
    model = load_word_vectors(case_path("C06_pretrained_prefixed.txt"))
    vectors = model.encode(["midi and flare", "palazzo"])
    expected = model.term_vector("midi") + model.term_vector("flare")
    assert np.allclose(vectors[0], expected / np.linalg.norm(expected), atol=1e-6)
    assert not vectors[1].any()


def test_c01_unknown_neighbor_query_names_model_and_size(c01_model):
    _, model = c01_model
    size = model.vocab_size
    with pytest.raises(TermNotFoundError, match=rf"'culottes' .* \({size} keys\).*FastText"):
        model.neighbors("culottes")


def test_c01_capitalised_term_is_case_folded(c01_model):
    _, model = c01_model
    lookup = model.lookup("Bootcut")
    assert lookup.key == "bootcut"
    assert lookup.method == "normalized"
    assert "case-folded" in lookup.note
    assert len(model.neighbors("Bootcut", k=3)) == 3


def test_c01_fasttext_subword_fallback(c01_model):
    sentences, _ = c01_model
    model = train_fasttext(sentences, tokenizer=FashionTokenizer(), min_count=1, vector_size=8,
                           epochs=5, seed=1).as_embedding_model()
    lookup = model.lookup("jeggings")
    assert lookup.method == "subword"
    assert np.isfinite(model.similarity("jeggings", "flare"))


# C06: keys with a namespace prefix and underscores.
def test_c06_key_scheme_detected():
    model = load_word_vectors(case_path("C06_pretrained_prefixed.txt"))
    assert model.scheme == KeyScheme(prefix="/c/en/", lowercase=True, joiner="_")


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("tea-length", "/c/en/tea_length"),
        ("tea length", "/c/en/tea_length"),
        ("Tea Length", "/c/en/tea_length"),
        ("boot cut", "/c/en/bootcut"),
        ("midi", "/c/en/midi"),
    ],
)
def test_c06_queries_resolve_to_prefixed_keys(query, key):
    model = load_word_vectors(case_path("C06_pretrained_prefixed.txt"))
    assert model.lookup(query).key == key


def test_c06_miss_lists_keys_tried():
    model = load_word_vectors(case_path("C06_pretrained_prefixed.txt"))
    lookup = model.lookup("palazzo")
    assert lookup.method == "missing"
    assert "/c/en/palazzo" in lookup.note


def test_c06_neighbors_show_keys_without_prefix():
    model = load_word_vectors(case_path("C06_pretrained_prefixed.txt"))
    assert model.neighbors("tea length", k=1)["neighbor"].tolist() == ["midi"]


def test_detect_key_scheme_plain_vocabulary():
    assert detect_key_scheme(["the", "tea-length", "a-line", "dress"]) == KeyScheme("", True, "-")


def test_gzipped_text_vectors_load_as_text(tmp_path):
    import gzip

    path = tmp_path / "vectors.vec.gz"
    with gzip.open(path, "wt") as f:
        f.write("2 2\nbootcut 0.1 0.2\nflare 0.3 0.4\n")
    model = load_word_vectors(path)
    assert np.allclose(model.wv.get_vector("flare"), [0.3, 0.4])


def test_headerless_glove_text_loads(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("bootcut 0.1 0.2\nflare 0.3 0.4\n")
    model = load_word_vectors(path)
    assert model.vocab_size == 2
    assert np.allclose(model.wv.get_vector("bootcut"), [0.1, 0.2])


def test_malformed_vector_file_names_file(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("2 2\nbootcut 0.1 x\nflare 0.3 0.4\n")
    with pytest.raises(ValueError, match=r"could not read .*bad.txt as word2vec text"):
        load_word_vectors(path)


def test_encode_rejects_single_string(toy):
    with pytest.raises(TypeError, match="not one string"):
        toy.encode("midi dress")
