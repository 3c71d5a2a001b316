from __future__ import annotations

import numpy as np
import pytest

from fashion_lab.train.keyword import (
    BM25Ranker,
    FusionRanker,
    KeywordConcatModel,
    reciprocal_rank_fusion,
)

CORPUS = {
    "d1": "Slim jeans in washed denim with five pockets.",
    "d2": "Boot cut jeans with a gentle flare from the knee.",
    "d3": "Midi dress in viscose with a flared skirt.",
    "d4": "Sheer blouse in chiffon with long sleeves.",
}


class FixedRanker:
    def __init__(self, ranking):
        self.ranking = ranking
        self.name = "fixed"

    def rank(self, queries, k=10):
        return {q: self.ranking[:k] for q in queries}


def test_bm25_exact_keyword_first():
    ranker = BM25Ranker(CORPUS)
    assert ranker.rank({"q": "chiffon"}, k=2)["q"][0] == "d4"


def test_bm25_matches_lexicon_variant():
    ranker = BM25Ranker(CORPUS)
    # "bootcut" only matches "Boot cut" through the fashion lexicon.
    assert ranker.rank({"q": "bootcut"}, k=1)["q"] == ["d2"]
    assert ranker.scores("bootcut")[1] > 0
    assert ranker.scores("bootcut")[0] == 0


def test_rrf_exact_values():
    fused = reciprocal_rank_fusion([{"q": ["a", "b", "c"]}, {"q": ["c", "a"]}], k=60)
    scores = dict(fused["q"])
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)
    assert [d for d, _ in fused["q"]] == ["a", "c", "b"]


def test_rrf_k_zero_and_top():
    fused = reciprocal_rank_fusion([{"q": ["a", "b"]}, {"q": ["b", "a"]}], k=0, top=1)
    assert fused["q"] == [("a", 1.5)]


def test_rrf_negative_k_rejected():
    with pytest.raises(ValueError, match="k must be >= 0"):
        reciprocal_rank_fusion([], k=-1)


def test_fusion_ranker_combines():
    fusion = FusionRanker([FixedRanker(["d1", "d2", "d3"]), FixedRanker(["d3", "d2", "d1"])])
    # d1 and d3: 1/61 + 1/63 = 0.032266 (tie, first seen wins); d2: 2/62 = 0.032258.
    assert fusion.rank({"q": "x"}, k=3)["q"] == ["d1", "d3", "d2"]


class OneHotBase:
    """Minimal stand-in for SentenceModel: a keyword one-hot encoder (no model load)."""

    from fashion_lab.text import FashionTokenizer

    tokenizer = FashionTokenizer()
    encoder = None
    vocabulary = ["jeans", "dress"]
    cache = None
    model_id = "one-hot"
    dim = 2

    def encode(self, texts, batch_size=None, show_progress=False):
        out = np.array([[("jeans" in t.lower()) * 1.0, ("dress" in t.lower()) * 1.0 + 1e-3]
                        for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_keyword_concat_cosine_is_weighted_sum():
    texts = list(CORPUS.values()) * 2
    model = KeywordConcatModel(OneHotBase(), texts, n_components=3, weight=0.25)
    vectors = model.encode([CORPUS["d1"], CORPUS["d2"]])
    dense = OneHotBase().encode([CORPUS["d1"], CORPUS["d2"]])
    keyword = vectors[:, 2:] / np.sqrt(0.25)
    expected = 0.75 * dense[0] @ dense[1] + 0.25 * keyword[0] @ keyword[1]
    assert vectors.shape == (2, 5)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(float(expected), abs=1e-6)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


def test_keyword_concat_bad_weight():
    with pytest.raises(ValueError, match="weight must be between 0 and 1"):
        KeywordConcatModel(OneHotBase(), list(CORPUS.values()), weight=1.5)
