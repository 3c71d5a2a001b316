from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fashion_lab.config import SAMPLE_DIR
from fashion_lab.train.batching import (
    DuplicateFreeBatchSampler,
    feasible_batch_size,
    find_duplicate_texts,
    max_duplicate_free_batch,
)
from fashion_lab.train.heldout import RetrievalTask, rank_corpus, split_pairs
from fashion_lab.train.pairs import (
    build_pairs,
    derive_query,
    is_copied_query,
    load_pairs,
    positive_pairs,
)

CASES = Path(__file__).parents[2] / "shared" / "cases" / "inputs"


def c09_pairs() -> tuple[list[str], list[str]]:
    path = CASES / "C09_pairs_duplicates.jsonl"
    if not path.is_file():
        pytest.skip(f"case input missing: {path}")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r["anchor"] for r in rows], [r["positive"] for r in rows]


def docs() -> pd.DataFrame:
    return pd.DataFrame({
        "doc_id": ["a1", "a2", "b1", "q1:question", "q1:answer", "q2:question", "q2:answer"],
        "product_id": ["A", "A", "B", "Q", "Q", "Q", "Q"],
        "text": ["Jersey dress with narrow straps and a flared skirt.",
                 "Jersey dress with narrow straps and a flared skirt.",
                 "Straight-cut jeans in washed denim with five pockets.",
                 "Does it run small?", "Yes, order one size up.",
                 "Is it see-through?", "No, the fabric is opaque."],
        "title": ["Strap dress", "Strap dress", "Slim jeans", "", "", "", ""],
        "source": ["hm"] * 3 + ["qa"] * 4,
        "kind": ["description"] * 3 + ["question", "answer", "question", "answer"],
        "category": ["Dress", "Dress", "Trousers", None, None, None, None],
        "colour": ["Black", "Red", "Blue", None, None, None, None],
        "pattern": ["Stripe", "Solid", "Denim", None, None, None, None],
    })


def test_copied_query_rejected():
    target = "Jersey top with narrow shoulder straps."
    assert is_copied_query("jersey top", target)
    assert is_copied_query("narrow straps top", target)
    assert is_copied_query("Strap top", "Other text entirely here", title="Strap top")
    assert is_copied_query("top", "anything")


def test_copied_query_plural_counts_as_copy():
    assert is_copied_query("women tunics", "Sepia Women Printed White Tunic")


def test_derived_query_kept_when_new_words():
    assert not is_copied_query("black striped dress", "Jersey dress with narrow straps.")


def test_derive_query_category_last():
    query = derive_query({"category": "Dress", "colour": "Black", "pattern": "Stripe",
                          "gender": "Women"}, rng=random.Random(3), drop_probability=0.0)
    words = query.split()
    assert words[-1] == "dress"
    assert sorted(words[:-1]) == ["black", "stripe", "women"]


def test_derive_query_skips_uninformative():
    query = derive_query({"category": "Top", "pattern": "Solid", "colour": None},
                         rng=random.Random(0), drop_probability=0.0)
    assert query == "top"


def test_derive_query_drops_catalogue_bucket_word():
    query = derive_query({"category": "T-shirt", "colour": "Other Green"},
                         rng=random.Random(0), drop_probability=0.0)
    assert query == "green t-shirt"


def test_build_pairs_types_and_qa_alignment():
    pairs = build_pairs(docs(), seed=1)
    questions = pairs[pairs["pair_type"] == "question"].set_index("query")["product_text"]
    assert questions["Does it run small?"] == "Yes, order one size up."
    assert questions["Is it see-through?"] == "No, the fabric is opaque."
    titles = pairs[pairs["pair_type"] == "title"]
    assert set(titles["query"]) == {"Strap dress", "Slim jeans"}
    derived = pairs[pairs["pair_type"] == "derived"]
    for query, target in zip(derived["query"], derived["product_text"], strict=True):
        assert not is_copied_query(query, target)


def test_load_pairs_example_file():
    corpus = pd.DataFrame({"product_id": ["P001"], "text": ["High-rise bootcut jeans."]})
    pairs = load_pairs(SAMPLE_DIR / "pairs_example.jsonl", corpus=corpus)
    assert len(pairs) == 4
    assert pairs.loc[0, "product_text"] == "High-rise bootcut jeans."
    assert pairs["label"].tolist() == [1, 1, 1, 0]
    assert pairs.loc[1, "hard_negative"].startswith("Skinny jeans")


def test_load_pairs_product_id_needs_corpus():
    with pytest.raises(ValueError, match="pass corpus="):
        load_pairs(SAMPLE_DIR / "pairs_example.jsonl")


def test_load_pairs_unknown_product_id(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("query,product_id\nmidi dress,X9\n")
    corpus = pd.DataFrame({"product_id": ["P001"], "text": ["jeans"]})
    with pytest.raises(ValueError, match=r"not in the corpus \(first: \['X9'\]\)"):
        load_pairs(path, corpus=corpus)


def test_load_pairs_missing_query_column(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("text,product_text\na,b\n")
    with pytest.raises(ValueError, match="no 'query' column"):
        load_pairs(path)


def test_load_pairs_bad_label(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("query,product_text,label\na,b,2\n")
    with pytest.raises(ValueError, match="label must be 1 or 0"):
        load_pairs(path)


def test_load_pairs_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="pair file not found"):
        load_pairs(tmp_path / "nope.jsonl")


def test_c09_duplicates_reported():
    anchors, positives = c09_pairs()
    report = find_duplicate_texts(anchors, positives).set_index("text")
    assert set(report.index) == {"bootcut jeans", "dress that ends mid calf"}
    assert report.loc["bootcut jeans", "as_anchor"] == 2
    assert report.loc["dress that ends mid calf", "as_positive"] == 2


def test_c09_batches_have_no_repeats():
    anchors, positives = c09_pairs()
    sampler = DuplicateFreeBatchSampler(anchors, positives, batch_size=4, seed=0)
    for epoch in range(5):
        sampler.set_epoch(epoch)
        batches = sampler.batches()
        for batch in batches:
            texts = [anchors[i] for i in batch] + [positives[i] for i in batch]
            assert len(texts) == len(set(texts))
        placed = sum(len(b) for b in batches)
        assert placed + sampler.dropped + sampler.collapsed == 6


def test_c09_batch_size_too_large_rejected():
    anchors, positives = c09_pairs()
    assert max_duplicate_free_batch(anchors, positives) == 4
    with pytest.raises(ValueError, match="batch_size 5 cannot be filled.*at most 4 of the 6"):
        DuplicateFreeBatchSampler(anchors, positives, batch_size=5)
    assert feasible_batch_size(anchors, positives, 32) == 4


@pytest.mark.parametrize("seed", range(20))
def test_sampler_random_data_no_repeats(seed):
    rng = random.Random(seed)
    vocabulary = [f"text {i}" for i in range(rng.randint(15, 40))]
    anchors = [rng.choice(vocabulary) for _ in range(60)]
    positives = [rng.choice(vocabulary) for _ in range(60)]
    batch_size = min(4, max_duplicate_free_batch(anchors, positives))
    sampler = DuplicateFreeBatchSampler(anchors, positives, batch_size=batch_size, seed=seed)
    batches = sampler.batches()
    for batch in batches:
        texts = [t for i in batch for t in {anchors[i], positives[i]}]
        assert len(texts) == len(set(texts))
        assert 2 <= len(batch) <= batch_size
    assert sum(len(b) for b in batches) + sampler.dropped + sampler.collapsed == 60
    assert len({i for b in batches for i in b}) == sum(len(b) for b in batches)


def test_split_pairs_keeps_products_apart():
    pairs = pd.DataFrame({"query": [f"q{i}" for i in range(40)],
                          "product_id": [f"P{i // 2}" for i in range(40)],
                          "product_text": [f"text {i // 2}" for i in range(40)], "label": 1})
    split = split_pairs(pairs, seed=0)
    train, test = set(split.train["product_id"]), set(split.test["product_id"])
    assert not train & test
    assert not train & set(split.dev["product_id"])
    assert not set(split.train["query"]) & set(split.test["query"])


def test_retrieval_task_qrels_and_metrics():
    pairs = pd.DataFrame({"query": ["red dress", "red dress", "jeans"],
                          "product_id": ["A", "B", "C"],
                          "product_text": ["dress a", "dress b", "jeans c"], "label": 1,
                          "pair_type": "title"})
    task = RetrievalTask.from_pairs(pairs, n_queries=5, n_corpus=10, seed=0)
    by_text = {text: doc for doc, text in task.corpus.items()}
    qid = next(q for q, text in task.queries.items() if text == "red dress")
    assert task.qrels[qid] == {by_text["dress a"], by_text["dress b"]}
    perfect = {q: sorted(task.qrels[q]) for q in task.queries}
    assert task.evaluate(perfect)["ndcg@10"] == pytest.approx(1.0)


def test_task_evaluate_exact_values():
    task = RetrievalTask(queries={"q1": "bootcut jeans", "q2": "midi dress"},
                         corpus={k: k for k in "abcxy"}, qrels={"q1": {"a"}, "q2": {"b", "c"}})
    rankings = {"q1": ["x", "a"], "q2": ["b", "y", "c"]}
    scores = task.evaluate(rankings, k=10)
    assert set(scores) == {"ndcg@10", "mrr@10", "recall@10"}
    ndcg_q1 = 1 / 1.5849625007211562
    ndcg_q2 = (1 + 1 / 2) / (1 + 1 / 1.5849625007211562)
    assert scores["ndcg@10"] == pytest.approx((ndcg_q1 + ndcg_q2) / 2)
    assert scores["mrr@10"] == pytest.approx((0.5 + 1.0) / 2)
    assert scores["recall@10"] == pytest.approx(1.0)


def test_load_pairs_csv_without_label(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("query,product_text,label\nmidi dress,Dress that ends mid calf,\n"
                    "mini dress,Short dress,0\n")
    pairs = load_pairs(path)
    assert pairs["label"].tolist() == [1, 0]
    assert pairs["product_id"].str.startswith("text-").all()
    assert pairs["product_id"].nunique() == 2


def anchor_heavy_pairs() -> tuple[list[str], list[str]]:
    # 30 pairs share the anchor "black dress", so each batch can hold only one of them.
    anchors = ["black dress"] * 30 + [f"query {i}" for i in range(10)]
    positives = [f"dress text {i}" for i in range(30)] + [f"product {i}" for i in range(10)]
    return anchors, positives


def test_sampler_len_equals_batches_yielded():
    anchors, positives = anchor_heavy_pairs()
    with pytest.warns(UserWarning, match=r"26 of 40 distinct pairs \(65%\) are dropped"):
        sampler = DuplicateFreeBatchSampler(anchors, positives, batch_size=4, seed=0)
        length = len(sampler)
    batches = list(sampler)
    assert length == len(batches)
    assert length == 4
    assert sampler.dropped == 26
    assert sum(len(b) for b in batches) == 14


def test_sampler_len_follows_epoch():
    anchors, positives = anchor_heavy_pairs()
    with pytest.warns(UserWarning):
        sampler = DuplicateFreeBatchSampler(anchors, positives, batch_size=4, seed=0)
        for epoch in range(3):
            sampler.set_epoch(epoch)
            assert len(sampler) == len(list(sampler))


def test_sampler_collapses_identical_pairs():
    anchors = ["midi dress", "Midi  dress", "bootcut jeans", "wide leg trousers"]
    positives = ["dress that ends mid calf", "dress that ends mid calf", "kick flare denim",
                 "palazzo pants"]
    sampler = DuplicateFreeBatchSampler(anchors, positives, batch_size=3, seed=0)
    placed = [i for batch in sampler for i in batch]
    assert sampler.collapsed == 1
    assert sorted(placed) == [0, 2, 3]
    assert sampler.dropped == 0


def test_sampler_few_drops_no_warning():
    anchors = [f"query {i}" for i in range(9)] + ["query 0"]
    positives = [f"product {i}" for i in range(10)]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sampler = DuplicateFreeBatchSampler(anchors, positives, batch_size=5, seed=0)
        batches = sampler.batches()
    assert sum(len(b) for b in batches) + sampler.dropped == 10
    assert sampler.dropped <= 1


def test_label_zero_pairs_not_trained_or_relevant():
    pairs = pd.DataFrame({"query": [f"q{i}" for i in range(40)],
                          "product_id": [f"P{i // 2}" for i in range(40)],
                          "product_text": [f"text {i}" for i in range(40)],
                          "label": [0 if i % 4 == 0 else 1 for i in range(40)],
                          "pair_type": "user"})
    split = split_pairs(pairs, seed=0)
    assert (split.train["label"] == 1).all()
    task = RetrievalTask.from_pairs(split.test, n_queries=50, n_corpus=50, seed=0)
    negatives = set(split.test.loc[split.test["label"] == 0, "query"])
    assert negatives
    assert not negatives & set(task.queries.values())


def test_positive_pairs_drops_label_zero():
    pairs = pd.DataFrame({"query": ["a", "b", "c"], "product_text": ["x", "y", "z"],
                          "label": [1, 0, None]})
    kept = positive_pairs(pairs)
    assert kept["query"].tolist() == ["a", "c"]
    no_label = pairs.drop(columns="label")
    assert positive_pairs(no_label) is no_label


def test_rank_corpus_cosine_order():
    queries = np.array([[1.0, 0.0], [0.0, 2.0]])
    corpus = np.array([[0.5, 0.5], [3.0, 0.0], [0.0, 0.1], [0.0, 0.1]])
    ranking = rank_corpus(queries, corpus, ["qa", "qb"], ["d0", "d1", "d2", "d3"], k=3)
    assert ranking == {"qa": ["d1", "d0", "d2"], "qb": ["d2", "d3", "d0"]}


def fake_dataset(name: str) -> pd.DataFrame:
    """Two H&M colour variants that repeat one description, and one other product."""
    return pd.DataFrame({
        "doc_id": [f"{name}-1", f"{name}-2", f"{name}-3"],
        "product_id": [f"{name}-A", f"{name}-A", f"{name}-B"],
        "text": [f"Jersey dress from {name} with narrow straps."] * 2
        + [f"Straight-cut jeans from {name} in washed denim."],
        "title": ["Strap dress", "Strap dress", "Slim jeans"],
        "source": name, "kind": "description",
        "category": ["Dress", "Dress", "Trousers"], "colour": ["Black", "Red", "Blue"],
        "pattern": ["Stripe", "Stripe", "Denim"], "gender": "Women",
    })


@pytest.fixture
def one_dataset_missing(monkeypatch):
    from fashion_lab import data

    def load_dataset(name, **kwargs):
        if name == "hm_articles":
            raise data.DatasetNotFoundError(f"dataset {name} not found in /nowhere",
                                            dataset=name)
        return fake_dataset(name)

    monkeypatch.setattr(data, "load_dataset", load_dataset)


def test_profile_documents_skip_missing_dataset(one_dataset_missing, caplog):
    from fashion_lab.config import get_profile
    from fashion_lab.train.heldout import PAIR_DATASETS, load_profile_documents

    with caplog.at_level("WARNING", logger="fashion_lab.train.heldout"):
        source = load_profile_documents(get_profile("quick"))
    assert source.skipped == ["hm_articles"]
    assert "skipping dataset hm_articles" in caplog.text
    loaded = [name for name in PAIR_DATASETS if name != "hm_articles"]
    assert sorted(source.documents["source"].unique()) == sorted(loaded)


def test_profile_pairs_colour_variants_one_pair(one_dataset_missing):
    from fashion_lab.config import get_profile
    from fashion_lab.train.heldout import profile_pairs

    pairs, skipped = profile_pairs(get_profile("quick"))
    titles = pairs[pairs["pair_type"] == "title"]
    assert skipped == ["hm_articles"]
    assert titles["query"].value_counts().to_dict() == {"Strap dress": 3, "Slim jeans": 3}
    assert not pairs.duplicated(["query", "product_text"]).any()


def test_unlabelled_texts_skip_missing_dataset(one_dataset_missing):
    from fashion_lab.config import get_profile
    from fashion_lab.train.heldout import unlabelled_texts

    texts, skipped = unlabelled_texts(get_profile("quick"))
    assert skipped == ["hm_articles"]
    assert len(texts) == 4
    assert len(set(texts)) == 4


def test_profile_pairs_no_dataset_raises(monkeypatch):
    from fashion_lab import data
    from fashion_lab.config import get_profile
    from fashion_lab.train.heldout import profile_pairs

    def load_dataset(name, **kwargs):
        raise data.DatasetNotFoundError(f"dataset {name} not found", dataset=name)

    monkeypatch.setattr(data, "load_dataset", load_dataset)
    with pytest.raises(data.DatasetNotFoundError,
                       match=r"pairs: none of the datasets \['myntra_products_catalog'"):
        profile_pairs(get_profile("quick"))
