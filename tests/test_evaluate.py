"""Tests for fashion_lab.evaluate: the term benchmark files, term scoring and retrieval metrics."""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from fashion_lab.config import BENCHMARK_DIR
from fashion_lab.evaluate import (
    TermBenchmark,
    bootstrap_accuracy,
    category_accuracy,
    compare_models,
    evaluate_rankings,
    evaluate_retrieval,
    evaluate_terms,
    load_term_benchmark,
    missing_terms,
    mrr_at_k,
    ndcg_at_k,
    per_query_metrics,
    recall_at_k,
    top_k_cosine,
)
from fashion_lab.models import WordVectorModel
from fashion_lab.text import FashionTokenizer

V1_DIR = BENCHMARK_DIR / "fashion_terms_v1"

# --- toy word vectors and a toy benchmark whose scores are computed by hand ---------------

# 2-D vectors chosen so that every cosine is exact: cos(bootcut, flare) = 0.8,
# cos(bootcut, skinny) = 0, cos(midi, tea-length) = 0.936, cos(midi, mini) = 0.96.
# wide-leg is not a key: it is composed from wide and leg, mean (0.5, 0.5), so
# cos(wide-leg, palazzo) = 0.99 and cos(wide-leg, skinny) = 0.707. jeggings is missing.
TOY_VECTORS = {
    "bootcut": [1.0, 0.0],
    "flare": [0.8, 0.6],
    "skinny": [0.0, 1.0],
    "midi": [0.6, 0.8],
    "tea-length": [0.28, 0.96],
    "mini": [0.8, 0.6],
    "palazzo": [0.6, 0.8],
    "wide": [1.0, 0.0],
    "leg": [0.0, 1.0],
}

TOY_PAIRS = """term_a,term_b,score,category
bootcut,flare,3,leg-shape
bootcut,skinny,0,leg-shape
midi,tea-length,3,length
midi,mini,1,length
flare,jeggings,0,leg-shape
"""

# Expected: correct, wrong (0.936 < 0.96), correct, skipped (jeggings).
TOY_TRIPLETS = """anchor,positive,negative,category
bootcut,flare,skinny,leg-shape
midi,tea-length,mini,length
wide-leg,palazzo,skinny,leg-shape
bootcut,flare,jeggings,leg-shape
"""

# Spearman on the 4 covered pairs, (score, cosine): (3, 0.8), (0, 0), (3, 0.936), (1, 0.96).
# Score ranks 3.5, 1, 3.5, 2 and cosine ranks 2, 1, 3, 4 (means 2.5); centred products sum
# to 1.5, squared deviations to 4.5 and 5, so rho = 1.5 / sqrt(4.5 * 5) = 1 / sqrt(10).
TOY_SPEARMAN = 1 / math.sqrt(10)


def make_word_model(vectors: dict[str, list[float]], name: str = "toy") -> WordVectorModel:
    wv = KeyedVectors(len(next(iter(vectors.values()))))
    wv.add_vectors(list(vectors), np.array(list(vectors.values()), dtype=np.float32))
    return WordVectorModel(wv, name=name)


def write_benchmark(folder: Path, pairs: str, triplets: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pairs.csv").write_text(pairs, encoding="utf-8")
    (folder / "triplets.csv").write_text(triplets, encoding="utf-8")
    return folder


@pytest.fixture
def toy_benchmark(tmp_path: Path) -> TermBenchmark:
    return load_term_benchmark(write_benchmark(tmp_path / "toy", TOY_PAIRS, TOY_TRIPLETS))


@pytest.fixture
def toy_model() -> WordVectorModel:
    return make_word_model(TOY_VECTORS)


@pytest.fixture(scope="module")
def v1() -> TermBenchmark:
    return load_term_benchmark("v1")


# --- the shipped benchmark files -----------------------------------------------------------


def test_v1_counts(v1: TermBenchmark) -> None:
    assert len(v1.pairs) == 167
    assert len(v1.triplets) == 140
    assert v1.version == "v1"
    assert v1.path == V1_DIR


def test_v1_terms_are_canonical(v1: TermBenchmark) -> None:
    tokenizer = FashionTokenizer()
    changed = {t: tokenizer.normalize_term(t) for t in v1.terms if tokenizer.normalize_term(t) != t}
    assert changed == {}


def test_v1_pair_scores_are_whole_grades(v1: TermBenchmark) -> None:
    assert set(v1.pairs["score"]) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    assert v1.pairs["score"].min() == 0
    assert v1.pairs["score"].max() == 4


def test_v1_has_no_duplicate_items(v1: TermBenchmark) -> None:
    pair_keys = v1.pairs[["term_a", "term_b"]].apply(lambda r: frozenset(r), axis=1)
    triplet_keys = v1.triplets[["anchor", "positive", "negative"]].apply(tuple, axis=1)
    assert not pair_keys.duplicated().any()
    assert not triplet_keys.duplicated().any()


def test_v1_every_item_has_category_and_rationale(v1: TermBenchmark) -> None:
    for frame in (v1.pairs, v1.triplets):
        assert (frame["category"] != "all").all()
        assert (frame["rationale"].str.len() > 10).all()


def test_v1_categories_have_five_triplets(v1: TermBenchmark) -> None:
    counts = v1.triplets["category"].value_counts()
    assert set(counts.index) == set(v1.pairs["category"])
    assert counts.min() >= 5


@pytest.mark.parametrize(
    "anchor, positive, negative",
    [
        ("bootcut", "flare", "boots"),
        ("tea-length", "midi", "tea"),
        ("mule", "slide", "donkey"),
        ("shift", "sheath", "shirt"),
        ("slip", "camisole", "slippers"),
        ("pump", "stiletto", "pumpkin"),
        ("flare", "bootcut", "flair"),
        ("crew-neck", "scoop-neck", "crew"),
    ],
)
def test_v1_spelling_trap_present(v1: TermBenchmark, anchor, positive, negative) -> None:
    rows = v1.triplets[(v1.triplets["anchor"] == anchor) & (v1.triplets["positive"] == positive)
                       & (v1.triplets["negative"] == negative)]
    assert len(rows) == 1
    assert rows["category"].iloc[0] == "spelling-trap"


def test_v1_brief_examples_present(v1: TermBenchmark) -> None:
    items = set(v1.triplets[["anchor", "positive", "negative"]].apply(tuple, axis=1))
    assert ("bootcut", "flare", "skinny") in items
    assert ("midi", "tea-length", "mini") in items


def test_v1_readme_counts_match_files(v1: TermBenchmark) -> None:
    readme = (V1_DIR / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| ([a-z-]+) \| (\d+ \| \d+) \|", readme, flags=re.MULTILINE))
    pairs = v1.pairs["category"].value_counts()
    triplets = v1.triplets["category"].value_counts()
    expected = {c: f"{pairs[c]} | {triplets[c]}" for c in v1.categories}
    assert table == expected
    assert f"**{len(v1.pairs)}** | **{len(v1.triplets)}**" in readme


# --- load_term_benchmark errors ------------------------------------------------------------


def test_load_unknown_version_raises() -> None:
    with pytest.raises(FileNotFoundError, match=r"'v99' not found.*known: 'v1'"):
        load_term_benchmark("v99")


def test_load_missing_file_raises(tmp_path: Path) -> None:
    (tmp_path / "pairs.csv").write_text(TOY_PAIRS, encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="triplets.csv"):
        load_term_benchmark(tmp_path)


def test_load_missing_column_raises(tmp_path: Path) -> None:
    write_benchmark(tmp_path, "term_a,term_b,grade\nmidi,maxi,2\n", TOY_TRIPLETS)
    with pytest.raises(ValueError, match=r"pairs.csv is missing column\(s\) score"):
        load_term_benchmark(tmp_path)


@pytest.mark.parametrize("score", ["5", "-1", "high"])
def test_load_bad_score_raises(tmp_path: Path, score: str) -> None:
    write_benchmark(tmp_path, f"term_a,term_b,score\nmidi,maxi,2\nmini,maxi,{score}\n",
                    TOY_TRIPLETS)
    with pytest.raises(ValueError, match=r"score must be a number from 0 to 4; got .* line\(s\) 3"):
        load_term_benchmark(tmp_path)


def test_load_custom_score_range(tmp_path: Path) -> None:
    write_benchmark(tmp_path, "term_a,term_b,score\nmidi,maxi,7.5\n", TOY_TRIPLETS)
    benchmark = load_term_benchmark(tmp_path, score_range=(0, 10))
    assert benchmark.pairs["score"].tolist() == [7.5]


def test_load_reversed_duplicate_pair_raises(tmp_path: Path) -> None:
    write_benchmark(tmp_path, "term_a,term_b,score\nmidi,maxi,2\nmaxi,midi,2\n", TOY_TRIPLETS)
    expected = r"same item \(in either order\) appears on line\(s\) 2, 3"
    with pytest.raises(ValueError, match=expected):
        load_term_benchmark(tmp_path)


def test_load_blank_term_raises(tmp_path: Path) -> None:
    write_benchmark(tmp_path, TOY_PAIRS, "anchor,positive,negative\nmidi, ,mini\n")
    with pytest.raises(ValueError, match=r"triplets.csv: blank term on line\(s\) 2"):
        load_term_benchmark(tmp_path)


def test_load_repeated_term_in_item_raises(tmp_path: Path) -> None:
    write_benchmark(tmp_path, TOY_PAIRS, "anchor,positive,negative\nmidi,mini,mini\n")
    with pytest.raises(ValueError, match="repeats one term"):
        load_term_benchmark(tmp_path)


def test_load_keeps_na_term_and_defaults_category(tmp_path: Path) -> None:
    write_benchmark(tmp_path, "term_a,term_b,score\nNA,midi,0\n", "anchor,positive,negative\n")
    benchmark = load_term_benchmark(tmp_path)
    assert benchmark.pairs["term_a"].tolist() == ["NA"]
    assert benchmark.pairs["category"].tolist() == ["all"]
    assert len(benchmark.triplets) == 0
    assert benchmark.version == tmp_path.name


# --- evaluate_terms -----------------------------------------------------------------------


def test_evaluate_terms_summary(toy_model, toy_benchmark) -> None:
    summary = evaluate_terms(toy_model, toy_benchmark).summary
    assert summary["triplet_accuracy"] == pytest.approx(2 / 3)
    assert summary["triplets_covered"] == 3
    assert summary["triplets_skipped"] == 1
    assert summary["spearman"] == pytest.approx(TOY_SPEARMAN)
    assert summary["pairs_covered"] == 4
    assert summary["pairs_skipped"] == 1
    assert summary["oov_terms"] == 1
    assert summary["exact_terms"] == 7
    assert summary["composed_terms"] == 1
    assert summary["normalized_terms"] == 0
    assert summary["model"] == "toy"
    assert summary["kind"] == "word"
    assert summary["vocab_size"] == 9


def test_evaluate_terms_triplet_detail(toy_model, toy_benchmark) -> None:
    triplets = evaluate_terms(toy_model, toy_benchmark).triplets
    assert triplets["correct"].tolist() == [True, False, True, pd.NA]
    assert triplets["sim_positive"].iloc[:3].round(4).tolist() == [0.8, 0.936, 0.9899]
    assert triplets["sim_negative"].iloc[:3].round(4).tolist() == [0.0, 0.96, 0.7071]
    assert triplets["missing"].tolist() == ["", "", "", "jeggings"]


def test_evaluate_terms_missing_pair_not_scored(toy_model, toy_benchmark) -> None:
    pairs = evaluate_terms(toy_model, toy_benchmark).pairs
    skipped = pairs[pairs["term_b"] == "jeggings"].iloc[0]
    assert skipped["covered"] == False  # noqa: E712  (numpy bool)
    assert math.isnan(skipped["similarity"])
    assert skipped["missing"] == "jeggings"


def test_evaluate_terms_lists_missing_term(toy_model, toy_benchmark) -> None:
    result = evaluate_terms(toy_model, toy_benchmark)
    assert result.missing_terms == ["jeggings"]
    composed = result.terms.set_index("term").loc["wide-leg"]
    assert composed["method"] == "composed"
    assert composed["key"] == "wide + leg"


def test_evaluate_terms_warns_about_missing(toy_model, toy_benchmark, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="fashion_lab.evaluate"):
        evaluate_terms(toy_model, toy_benchmark)
    assert "could not resolve 1 benchmark term(s) (jeggings)" in caplog.text
    assert "1 triplet(s) and 1 pair(s) were skipped" in caplog.text


def test_evaluate_terms_by_category(toy_model, toy_benchmark) -> None:
    table = evaluate_terms(toy_model, toy_benchmark).by_category.set_index("category")
    assert table.loc["leg-shape", "triplets"] == 3
    assert table.loc["leg-shape", "triplets_covered"] == 2
    assert table.loc["leg-shape", "triplet_accuracy"] == 1.0
    assert table.loc["length", "triplet_accuracy"] == 0.0
    # Two covered pairs per category: too few for a rank correlation.
    assert math.isnan(table.loc["length", "spearman"])


def test_evaluate_terms_tie_counts_as_wrong(tmp_path) -> None:
    model = make_word_model({"midi": [1.0, 0.0], "tea-length": [0.0, 1.0], "mini": [0.0, 1.0]})
    folder = write_benchmark(tmp_path, "term_a,term_b,score\n",
                             "anchor,positive,negative\nmidi,tea-length,mini\n")
    result = evaluate_terms(model, folder)
    assert result.summary["triplet_accuracy"] == 0.0
    assert math.isnan(result.summary["spearman"])


def test_evaluate_terms_rejects_raw_vectors(toy_benchmark) -> None:
    wv = KeyedVectors(2)
    expected = "Wrap gensim vectors with fashion_lab.models.WordVectorModel"
    with pytest.raises(TypeError, match=expected):
        evaluate_terms(wv, toy_benchmark)


def test_evaluate_terms_on_v1_counts_oov(toy_model, v1) -> None:
    result = evaluate_terms(toy_model, v1)
    # The toy model resolves 8 terms (wide-leg composed), which complete 4 v1 triplets:
    # bootcut/flare/skinny, midi/tea-length/mini, tea-length/midi/mini, wide-leg/palazzo/skinny.
    assert result.summary["triplets_covered"] == 4
    assert result.summary["oov_terms"] == len(v1.terms) - 8
    assert "jeggings" in result.missing_terms
    assert result.summary["triplets_covered"] + result.summary["triplets_skipped"] == 140


# --- compare_models, category_accuracy, missing_terms ----------------------------------------


def test_compare_models_rows_in_input_order(toy_model, toy_benchmark) -> None:
    without_palazzo = {k: v for k, v in TOY_VECTORS.items() if k != "palazzo"}
    other = make_word_model(without_palazzo, name="no palazzo")
    table = compare_models([other, toy_model], toy_benchmark)
    assert table.columns.tolist() == ["model", "kind", "vocab_size", "triplet_accuracy",
                                      "triplets_covered", "spearman", "pairs_covered",
                                      "oov_terms", "composed_terms"]
    assert table["model"].tolist() == ["no palazzo", "toy"]
    assert table["triplet_accuracy"].tolist() == pytest.approx([0.5, 2 / 3])
    assert table["triplets_covered"].tolist() == [2, 3]
    assert table["oov_terms"].tolist() == [2, 1]
    assert table["composed_terms"].tolist() == [1, 1]


def test_compare_models_shared_items_only(toy_model, toy_benchmark) -> None:
    without_palazzo = {k: v for k, v in TOY_VECTORS.items() if k != "palazzo"}
    other = make_word_model(without_palazzo, name="no palazzo")
    table = compare_models([toy_model, other], toy_benchmark, shared_items_only=True)
    # Both cover bootcut/flare/skinny (right) and midi/tea-length/mini (wrong).
    assert table["triplet_accuracy"].tolist() == [0.5, 0.5]
    assert table["triplets_covered"].tolist() == [2, 2]
    assert table["spearman"].tolist() == pytest.approx([TOY_SPEARMAN, TOY_SPEARMAN])


def test_compare_models_interval_columns(toy_model, toy_benchmark) -> None:
    table = compare_models([toy_model], toy_benchmark, n_resamples=200)
    row = table.iloc[0]
    assert row["triplet_accuracy_low"] <= row["triplet_accuracy"] <= row["triplet_accuracy_high"]
    assert row["triplet_accuracy_low"] >= 0.0
    assert row["triplet_accuracy_high"] <= 1.0


def test_compare_models_empty_raises(toy_benchmark) -> None:
    with pytest.raises(ValueError, match="models is empty"):
        compare_models([], toy_benchmark)


def test_category_accuracy_long_format(toy_model, toy_benchmark) -> None:
    table = category_accuracy([toy_model], toy_benchmark)
    assert table["model"].tolist() == ["toy", "toy"]
    assert table["category"].tolist() == ["leg-shape", "length"]
    assert table["triplet_accuracy"].tolist() == [1.0, 0.0]


def test_missing_terms_table(toy_model, toy_benchmark) -> None:
    table = missing_terms([toy_model], toy_benchmark)
    assert table[["model", "term", "triplets", "pairs"]].to_dict("records") == [
        {"model": "toy", "term": "jeggings", "triplets": 1, "pairs": 1}
    ]


# --- bootstrap_accuracy --------------------------------------------------------------------


def test_bootstrap_all_correct_is_a_point() -> None:
    interval = bootstrap_accuracy([True] * 12)
    assert (interval.accuracy, interval.low, interval.high) == (1.0, 1.0, 1.0)
    assert interval.n_items == 12


def test_bootstrap_is_reproducible() -> None:
    flags = [True] * 30 + [False] * 10
    first = bootstrap_accuracy(flags, n_resamples=500, seed=3)
    second = bootstrap_accuracy(flags, n_resamples=500, seed=3)
    assert first == second
    assert first.accuracy == 0.75
    assert first.low < 0.75 < first.high


def test_bootstrap_interval_width_shrinks_with_items() -> None:
    small = bootstrap_accuracy([True, False] * 10, n_resamples=1000)
    large = bootstrap_accuracy([True, False] * 250, n_resamples=1000)
    # Standard error of a 0.5 accuracy: 0.112 on 20 items and 0.022 on 500.
    assert small.high - small.low == pytest.approx(2 * 1.96 * 0.112, abs=0.08)
    assert large.high - large.low == pytest.approx(2 * 1.96 * 0.0224, abs=0.02)


def test_bootstrap_from_evaluation(toy_model, toy_benchmark) -> None:
    interval = bootstrap_accuracy(evaluate_terms(toy_model, toy_benchmark), n_resamples=300)
    assert interval.n_items == 3
    assert interval.accuracy == pytest.approx(2 / 3)


def test_bootstrap_empty_raises() -> None:
    with pytest.raises(ValueError, match="non-empty 1-D list"):
        bootstrap_accuracy([])


def test_bootstrap_bad_level_raises() -> None:
    with pytest.raises(ValueError, match="confidence_level must be between 0 and 1; got 95"):
        bootstrap_accuracy([True, False], confidence_level=95)


# --- ranking metrics -----------------------------------------------------------------------


def test_ndcg_two_relevant_at_ranks_one_and_three() -> None:
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1/log2(2) + 1/log2(3) = 1.6309 -> 0.9197.
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "x", "b", "y"], {"a", "b"}, k=3) == pytest.approx(expected)
    assert expected == pytest.approx(0.919720, abs=1e-6)


def test_ndcg_cutoff_drops_lower_ranks() -> None:
    # Only "a" is in the top 2, but the ideal top 2 contains both relevant items.
    expected = 1 / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}, k=2) == pytest.approx(expected)


def test_ndcg_graded_gains() -> None:
    # DCG = 1/log2(2) + 2/log2(3) = 2.2619; IDCG = 2/log2(2) + 1/log2(3) = 2.6309 -> 0.8597.
    expected = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(["b", "a"], {"a": 2, "b": 1}, k=2) == pytest.approx(expected)
    assert expected == pytest.approx(0.859719, abs=1e-6)


def test_ndcg_counts_repeated_id_once() -> None:
    assert ndcg_at_k(["a", "a", "b"], {"a", "b"}, k=2) == 1.0


def test_ndcg_no_relevant_raises() -> None:
    with pytest.raises(ValueError, match="no relevant item"):
        ndcg_at_k(["a"], {"a": 0}, k=1)


def test_ndcg_string_relevant_raises() -> None:
    with pytest.raises(TypeError, match=r"Wrap a single id in a set: \{'ab'\}"):
        ndcg_at_k(["a"], "ab", k=1)


@pytest.mark.parametrize("k, expected", [(1, 1 / 3), (2, 1 / 3), (3, 2 / 3), (10, 2 / 3)])
def test_recall_at_k(k: int, expected: float) -> None:
    assert recall_at_k(["a", "x", "b", "y"], {"a", "b", "c"}, k=k) == pytest.approx(expected)


@pytest.mark.parametrize("k, expected", [(2, 0.0), (3, 1 / 3), (10, 1 / 3)])
def test_mrr_at_k(k: int, expected: float) -> None:
    assert mrr_at_k(["x", "y", "a", "b"], {"a", "b"}, k=k) == pytest.approx(expected)


def test_mrr_rejects_zero_k() -> None:
    with pytest.raises(ValueError, match="k must be at least 1; got 0"):
        mrr_at_k(["a"], {"a"}, k=0)


# --- evaluate_retrieval on a 3 x 4 toy -------------------------------------------------------

# Cosines (rows: queries, columns: d1..d4):
#   q1 (1, 0, 0):    1.0  0.8  0.0  0.0   -> ranking d1 d2 d3 d4 (tie at 0 kept in row order)
#   q2 (0, .8, .6):  0.0  0.48 0.96 0.6   -> ranking d3 d4 d2 d1
#   q3 (0, 0, 1):    0.0  0.0  0.8  1.0   -> ranking d4 d3 d1 d2
QUERIES = np.array([[1.0, 0.0, 0.0], [0.0, 0.8, 0.6], [0.0, 0.0, 1.0]])
CORPUS = np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 0.6, 0.8], [0.0, 0.0, 1.0]])
QUERY_IDS = ["q1", "q2", "q3"]
CORPUS_IDS = ["d1", "d2", "d3", "d4"]
QRELS = {"q1": {"d2"}, "q2": {"d4", "d1"}, "q3": {"d4": 2, "d3": 1}}

# q1: relevant d2 at rank 2: nDCG = (1/log2 3) / 1, RR = 1/2, recall@1 = 0.
# q2: relevant at ranks 2 and 4: nDCG = (1/log2 3 + 1/log2 5) / (1 + 1/log2 3), RR = 1/2.
# q3: ideal order, nDCG = 1, RR = 1, recall@1 = 1/2 (one of two relevant items).
EXPECTED_NDCG = np.mean([
    1 / math.log2(3),
    (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3)),
    1.0,
])


def test_top_k_cosine_order() -> None:
    indices, scores = top_k_cosine(QUERIES, CORPUS, k=4)
    assert indices.tolist() == [[0, 1, 2, 3], [2, 3, 1, 0], [3, 2, 0, 1]]
    assert scores[1].tolist() == pytest.approx([0.96, 0.6, 0.48, 0.0], abs=1e-6)


def test_top_k_cosine_partial_and_unnormalised() -> None:
    indices, scores = top_k_cosine(QUERIES * 5, CORPUS * 2, k=2, batch_size=1)
    assert indices.tolist() == [[0, 1], [2, 3], [3, 2]]
    assert scores[0].tolist() == pytest.approx([1.0, 0.8], abs=1e-6)


def test_evaluate_retrieval_toy() -> None:
    result = evaluate_retrieval(QUERIES, CORPUS, QRELS, QUERY_IDS, CORPUS_IDS, k=10)
    assert EXPECTED_NDCG == pytest.approx(0.760617, abs=1e-6)
    assert result["ndcg@10"] == pytest.approx(EXPECTED_NDCG)
    assert result["mrr@10"] == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert result["recall@1"] == pytest.approx(0.5 / 3)
    assert result["recall@5"] == 1.0
    assert result["recall@10"] == 1.0
    assert result["recall@100"] == 1.0
    assert result["queries"] == 3


def test_evaluate_retrieval_batching_is_identical() -> None:
    whole = evaluate_retrieval(QUERIES, CORPUS, QRELS, QUERY_IDS, CORPUS_IDS, k=2,
                               recall_at=(1, 2))
    batched = evaluate_retrieval(QUERIES, CORPUS, QRELS, QUERY_IDS, CORPUS_IDS, k=2,
                                 recall_at=(1, 2), batch_size=1)
    assert whole == batched
    # At k=2 q2 finds d4 at rank 2 only: recall@2 = (1 + 1/2 + 1) / 3.
    assert whole["recall@2"] == pytest.approx(2.5 / 3)


def test_evaluate_retrieval_qrels_as_list() -> None:
    as_list = [QRELS[q] for q in QUERY_IDS]
    result = evaluate_retrieval(QUERIES, CORPUS, as_list, QUERY_IDS, CORPUS_IDS)
    assert result["ndcg@10"] == pytest.approx(EXPECTED_NDCG)


def test_evaluate_retrieval_ignores_unjudged_queries() -> None:
    qrels = {"q1": {"d2"}, "q2": set(), "q9": {"d1"}}
    result = evaluate_retrieval(QUERIES, CORPUS, qrels, QUERY_IDS, CORPUS_IDS)
    assert result["queries"] == 1
    assert result["mrr@10"] == 0.5


def test_evaluate_retrieval_unknown_relevant_warns(caplog) -> None:
    qrels = {"q1": {"d2", "d99"}}
    with caplog.at_level(logging.WARNING, logger="fashion_lab.evaluate"):
        result = evaluate_retrieval(QUERIES, CORPUS, qrels, QUERY_IDS, CORPUS_IDS)
    assert "1 relevant id(s) are not in corpus_ids (e.g. 'd99')" in caplog.text
    assert result["recall@100"] == 0.5


def test_evaluate_retrieval_id_count_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="corpus_ids has 3 ids but corpus_embeddings has 4 rows"):
        evaluate_retrieval(QUERIES, CORPUS, QRELS, QUERY_IDS, CORPUS_IDS[:3])


def test_evaluate_retrieval_duplicate_ids_raise() -> None:
    with pytest.raises(ValueError, match="corpus_ids must be unique; 'd1' appears more than once"):
        evaluate_retrieval(QUERIES, CORPUS, QRELS, QUERY_IDS, ["d1", "d1", "d3", "d4"])


def test_evaluate_retrieval_dimension_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="same dimension; got 3 and 2"):
        evaluate_retrieval(QUERIES, CORPUS[:, :2], QRELS, QUERY_IDS, CORPUS_IDS)


def test_evaluate_retrieval_nan_rows_raise() -> None:
    corpus = CORPUS.copy()
    corpus[2, 0] = np.nan
    with pytest.raises(ValueError, match=r"corpus_embeddings has 1 row\(s\) with NaN or inf "
                                         r"\(first: row 2\)"):
        evaluate_retrieval(QUERIES, corpus, QRELS, QUERY_IDS, CORPUS_IDS)


# --- evaluate_rankings ----------------------------------------------------------------------


def test_evaluate_rankings_matches_embeddings() -> None:
    rankings = {"q1": ["d1", "d2", "d3", "d4"], "q2": ["d3", "d4", "d2", "d1"],
                "q3": ["d4", "d3", "d1", "d2"]}
    result = evaluate_rankings(rankings, QRELS, k=10, recall_at=(1, 4))
    assert result["ndcg@10"] == pytest.approx(EXPECTED_NDCG)
    assert result["recall@4"] == 1.0
    assert result["queries"] == 3


def test_evaluate_rankings_missing_query_scores_zero(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="fashion_lab.evaluate"):
        result = evaluate_rankings({"q1": ["d2"]}, {"q1": {"d2"}, "q2": {"d1"}}, k=5,
                                   recall_at=(1,))
    assert result["mrr@5"] == 0.5
    assert result["recall@1"] == 0.5
    assert "1 of 2 judged queries have no ranking" in caplog.text


def test_evaluate_rankings_shallow_rankings_warn(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="fashion_lab.evaluate"):
        evaluate_rankings({"q1": ["d2", "d1"]}, {"q1": {"d2"}}, k=2)
    assert "rankings hold at most 2 ids, so recall@100 only counts those" in caplog.text


def test_per_query_metrics_columns() -> None:
    table = per_query_metrics({"q1": ["x", "a"]}, {"q1": {"a"}}, k=3, recall_at=(1, 2))
    assert table.columns.tolist() == ["query_id", "ndcg@3", "mrr@3", "recall@1", "recall@2"]
    assert table.iloc[0]["mrr@3"] == 0.5
    assert table.iloc[0]["recall@2"] == 1.0


def test_per_query_metrics_no_judged_query_raises() -> None:
    with pytest.raises(ValueError, match="none of the 1 queries in qrels has a relevant item"):
        per_query_metrics({"q1": ["a"]}, {"q1": set()})


# --- real baselines (slow) ----------------------------------------------------------------


@pytest.mark.slow
def test_glove_on_v1_runs_end_to_end(v1) -> None:
    from fashion_lab.pretrained import load_glove

    result = evaluate_terms(load_glove(), v1)
    summary = result.summary
    assert summary["vocab_size"] == 400_000
    assert summary["triplets_covered"] + summary["triplets_skipped"] == 140
    assert summary["oov_terms"] == len(result.missing_terms)
    assert 0.0 <= summary["triplet_accuracy"] <= 1.0
    assert -1.0 <= summary["spearman"] <= 1.0
