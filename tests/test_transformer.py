from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fashion_lab.cache import EncodingCache
from fashion_lab.train.heldout import RetrievalTask
from fashion_lab.train.runtime import ChunkingEncoder, long_texts
from fashion_lab.train.transformer import TrainConfig, train_encoder

# Colour words linked to made-up product codes: the generic model cannot know the links, so
# the in-batch loss starts high and must fall as the pairs are learned.
COLOURS = ["crimson", "navy", "olive", "ivory", "mustard", "teal", "coral", "charcoal"]
PAIRS = pd.DataFrame({
    "query": [f"{c} jacket" for c in COLOURS],
    "product_id": [f"P{i}" for i in range(len(COLOURS))],
    "product_text": [f"article zx{i}{i}q" for i in range(len(COLOURS))],
    "label": 1, "pair_type": "title",
})
CONFIG = TrainConfig(epochs=6, batch_size=4, max_seq_length=8, learning_rate=2e-4,
                     evals_per_epoch=1, patience=10, warmup_ratio=0.0, freeze_embeddings=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    dev = RetrievalTask.from_pairs(PAIRS, n_queries=8, n_corpus=8, seed=0, name="dev")
    folder = tmp_path_factory.mktemp("encoders")
    return train_encoder(PAIRS, name="toy", dev_task=dev, output_dir=folder, config=CONFIG,
                         show_progress=False), dev, folder


def test_encoder_loss_falls(trained):
    model, _, _ = trained
    losses = model.history["train_loss"].dropna()
    assert len(losses) == 6
    assert losses.iloc[-1] < 0.5 * losses.iloc[0]
    assert model.history["dev_ndcg@10"].iloc[-1] > model.history["dev_ndcg@10"].iloc[0]


def test_encoder_card_fields(trained):
    model, _, _ = trained
    card = model.card
    # MiniLM has 22,713,216 parameters, 11,720,448 of them in the frozen word embeddings.
    assert card["trainable_params"] == 22713216 - 11720448
    assert card["n_pairs"] == 8
    assert card["artefact_mb"] > 50
    assert card["peak_rss_mb"] > 0
    assert (model.path / "README.md").read_text().startswith("# toy")


def test_encoder_save_load_same_vectors(trained, tmp_path):
    model, _, _ = trained
    texts = ["crimson jacket", "article zx11q"]
    first = model.load(device="cpu").encode(texts, normalize_embeddings=True)
    second = model.load(device="cpu").encode(texts, normalize_embeddings=True)
    cached = model.as_embedding_model(cache=EncodingCache(tmp_path)).encode(texts)
    assert np.array_equal(first, second)
    assert np.allclose(first, cached, atol=1e-6)
    assert model.model_id == f"toy-{model.card['weights_checksum']}"


def test_encoder_rerun_loads_cache(trained):
    model, dev, folder = trained
    again = train_encoder(PAIRS, name="toy", dev_task=dev, output_dir=folder, config=CONFIG)
    assert again.path == model.path
    assert again.card["training_seconds"] == model.card["training_seconds"]


def test_encoder_resumes_after_interrupt(tmp_path, monkeypatch):
    from fashion_lab.train import transformer

    dev = RetrievalTask.from_pairs(PAIRS, n_queries=8, n_corpus=8, seed=0, name="dev")
    config = TrainConfig(epochs=3, batch_size=4, max_seq_length=8, evals_per_epoch=1,
                         patience=10, freeze_embeddings=True)
    real = transformer._evaluate
    calls = {"n": 0}

    def interrupted(*args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(transformer, "_evaluate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_encoder(PAIRS, name="resume", dev_task=dev, output_dir=tmp_path, config=config,
                      show_progress=False, checkpoint_every_s=0)
    assert len(list(tmp_path.glob("resume-*.ckpt/state.pt"))) == 1
    monkeypatch.setattr(transformer, "_evaluate", real)
    resumed = train_encoder(PAIRS, name="resume", dev_task=dev, output_dir=tmp_path,
                            config=config, show_progress=False)
    assert resumed.history["step"].tolist() == [0, 2, 4, 6]
    assert resumed.card["steps"] == 6
    assert not list(tmp_path.glob("resume-*.ckpt"))


def test_long_texts_counted_and_chunked(trained):
    model, _, _ = trained
    encoder = model.load(device="cpu")
    assert encoder.max_seq_length == 256
    encoder.max_seq_length = 8
    texts = ["short text", "a much longer product description with many words in it"]
    report = long_texts(encoder, texts, ids=["s", "l"])
    assert report["id"].tolist() == ["l"]
    assert report["n_tokens"].iloc[0] > 8
    vectors = ChunkingEncoder(encoder).encode(texts)
    assert vectors.shape == (2, 384)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


HISTORIES = {
    "finetune": pd.DataFrame({"step": [0, 5, 10], "epoch": [0, 1, 1],
                              "train_loss": [np.nan, 1.2, 0.8],
                              "dev_ndcg@10": [0.50, 0.55, 0.57]}),
    "adapter": pd.DataFrame({"step": [0, 1], "epoch": [0, 1], "train_loss": [np.nan, 0.4],
                             "dev_ndcg@10": [0.50, 0.52]}),
}


def test_training_curves_figure():
    from fashion_lab.plot import plot_training_curves

    figure = plot_training_curves(HISTORIES, title="curves")
    fig = figure.to_dict()
    names = [(trace["name"], trace["xaxis"]) for trace in fig["data"]]
    assert names == [("finetune", "x"), ("adapter", "x"), ("finetune", "x2"), ("adapter", "x2")]
    # plotly 6+ stores arrays in to_dict() as typed buffers, so values are read from the traces.
    assert list(figure.data[0].y) == [1.2, 0.8]
    assert list(figure.data[2].x) == [0, 5, 10]
    assert fig["layout"]["title"]["text"] == "curves"
    assert fig["layout"]["xaxis"]["title"]["text"] == "step (adapter: epoch)"


def test_summarize_findings_values():
    from fashion_lab.train.routes import summarize_findings

    summary = pd.DataFrame({"route": ["generic", "finetune", "bm25"],
                            "ndcg@10": [0.5, 0.6, 0.4], "training_s": [0.0, 120.0, 0.0],
                            "trainable_params": [0, 22713216, 0]})
    text = summarize_findings(summary)
    lines = text.splitlines()
    assert lines[0].startswith("- Best route on the held-out queries: **finetune** with nDCG@10 "
                               "0.600, against 0.500")
    assert "(+0.100)" in lines[0]
    assert lines[1] == ("- finetune: nDCG@10 0.600 (+0.100 vs generic), 120 s of training, "
                        "22,713,216 trainable parameters.")
    assert lines[2] == "- bm25: nDCG@10 0.400 (-0.100 vs generic), no training."
    marked = summarize_findings(summary, cards={"finetune": {"best_step": 0}}).splitlines()
    assert marked[1].endswith("Early stopping kept the starting weights, because no evaluation "
                              "beat the starting dev score.")
    with pytest.raises(ValueError, match="no 'generic' row"):
        summarize_findings(summary.iloc[1:])


@pytest.mark.slow
def test_run_routes_sample_profile(tmp_path, monkeypatch):
    from fashion_lab.train.routes import ROUTES, run_routes

    monkeypatch.setenv("FASHION_LAB_ARTIFACTS", str(tmp_path))
    results = run_routes("sample", show_progress=False)
    assert results.summary["route"].tolist() == list(ROUTES)
    assert results.summary["ndcg@10"].between(0, 1).all()
    assert set(results.models) == {"generic", "keyword-concat", "adapter", "finetune", "simcse",
                                   "simcse+finetune"}
    assert not set(results.split.train["product_id"]) & set(results.split.test["product_id"])


def test_chunked_model_averages_windows(trained, tmp_path):
    model, _, _ = trained
    chunked = model.as_embedding_model(chunk_long_texts=True)
    plain = model.as_embedding_model()
    assert chunked.model_id == plain.model_id + "-chunked"
    short = ["crimson jacket"]
    assert np.allclose(chunked.encode(short), plain.encode(short), atol=1e-5)


def test_cache_key_covers_hard_negative_and_label():
    from fashion_lab.train.transformer import cache_key

    dev = RetrievalTask.from_pairs(PAIRS, n_queries=8, n_corpus=8, seed=0, name="dev")
    with_negatives = PAIRS.assign(hard_negative="article zz99q")
    other_negatives = PAIRS.assign(hard_negative="article yy88q")
    relabelled = PAIRS.assign(label=[0] + [1] * (len(PAIRS) - 1))
    key = cache_key(PAIRS, dev, CONFIG)
    assert cache_key(PAIRS.copy(), dev, CONFIG) == key
    assert cache_key(with_negatives, dev, CONFIG) != key
    assert cache_key(with_negatives, dev, CONFIG) != cache_key(other_negatives, dev, CONFIG)
    assert cache_key(relabelled, dev, CONFIG) != key


def test_encoder_truncated_texts_file(trained):
    model, _, _ = trained
    listed = pd.read_csv(model.path / model.card["truncated_texts_file"])
    assert list(listed.columns) == ["id", "n_tokens"]
    assert len(listed) == model.card["texts_truncated"]
    assert (listed["n_tokens"] > CONFIG.max_seq_length).all()


def test_task_long_texts_roles(trained):
    from fashion_lab.train.runtime import task_long_texts

    model, _, _ = trained
    encoder = model.load(device="cpu")
    queries = {"q0": "red dress", "q1": "a very long query about a red midi dress with pockets"}
    corpus = {"d0": "short text", "d1": "a much longer product description with many words"}
    report = task_long_texts(encoder, queries, corpus, limit=8)
    roles = dict(zip(report["id"], report["role"], strict=True))
    assert roles == {"d1": "corpus", "q1": "query"}
    assert report.set_index("id").loc["d1", "text"] == corpus["d1"]
    assert task_long_texts(encoder, queries, corpus).empty


def fake_catalogue(name: str, n_products: int = 40) -> pd.DataFrame:
    """A catalogue of distinct products, each with a title and a description."""
    colours = ["black", "red", "blue", "green"]
    return pd.DataFrame({
        "doc_id": [f"{name}-{i}" for i in range(n_products)],
        "product_id": [f"{name}-P{i}" for i in range(n_products)],
        "text": [f"{colours[i % 4]} cotton shirt number {i} from {name} with long sleeves"
                 for i in range(n_products)],
        "title": [f"Shirt model {i} {name}" for i in range(n_products)],
        "source": name, "kind": "description", "category": "Shirt",
        "colour": [colours[i % 4] for i in range(n_products)], "pattern": "Stripe",
        "gender": "Men",
    })


def test_run_routes_skips_simcse_without_text(tmp_path, monkeypatch):
    from fashion_lab import data
    from fashion_lab.train.heldout import UNLABELLED_DATASETS
    from fashion_lab.train.routes import run_routes

    def load_dataset(name, **kwargs):
        if name in UNLABELLED_DATASETS:
            raise data.DatasetNotFoundError(f"dataset {name} not found", dataset=name)
        return fake_catalogue(name)

    monkeypatch.setattr(data, "load_dataset", load_dataset)
    monkeypatch.setenv("FASHION_LAB_ARTIFACTS", str(tmp_path))
    results = run_routes("quick", routes=["bm25", "simcse+finetune"], show_progress=False)
    assert results.summary["route"].tolist() == ["bm25"]
    assert set(results.skipped_routes) == {"simcse", "simcse+finetune"}
    assert results.skipped_datasets["pairs"] == ["hm_articles"]
    assert results.skipped_datasets["unlabelled text"] == list(UNLABELLED_DATASETS)
    assert results.task.info["skipped_datasets"] == ["hm_articles"]
    assert results.long_texts.empty


def test_run_routes_counts_and_chunks_long_texts(tmp_path, monkeypatch):
    from fashion_lab import data
    from fashion_lab.train.routes import run_routes

    def load_dataset(name, **kwargs):
        catalogue = fake_catalogue(name)
        # Every fourth description is about 400 tokens, over MiniLM's limit of 256.
        long_rows = catalogue.index % 4 == 0
        catalogue.loc[long_rows, "text"] += " with a stitched seam" * 100
        return catalogue

    monkeypatch.setattr(data, "load_dataset", load_dataset)
    monkeypatch.setenv("FASHION_LAB_ARTIFACTS", str(tmp_path))
    results = run_routes("quick", routes=["generic"], show_progress=False,
                         chunk_long_texts=True)
    long_texts = results.long_texts
    assert results.chunk_long_texts
    assert len(long_texts) > 0
    assert (long_texts["n_tokens"] > 256).all()
    assert set(long_texts["role"]) == {"corpus"}
    assert set(long_texts["id"]) <= set(results.task.corpus)
    assert results.models["generic"].model_id == "all-MiniLM-L6-v2-chunked"
