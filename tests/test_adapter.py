from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fashion_lab.models import SentenceModel
from fashion_lab.train.adapter import AdapterConfig, AdapterModel, train_adapter
from fashion_lab.train.heldout import RetrievalTask


class TableEncoder:
    """Fake SentenceTransformer: fixed random unit vectors per text (no model load)."""

    def __init__(self, dim: int = 16) -> None:
        self.dim = dim

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts, **kwargs):
        out = []
        for text in texts:
            seed = sum(map(ord, text)) * 7919 % (2**31)
            vector = np.random.default_rng(seed).normal(size=self.dim)
            out.append(vector / np.linalg.norm(vector))
        return np.array(out, dtype=np.float32)


def toy_pairs(n: int = 32) -> pd.DataFrame:
    # Queries and products have unrelated random vectors: only training can link them.
    return pd.DataFrame({"query": [f"query number {i}" for i in range(n)],
                         "product_id": [f"P{i}" for i in range(n)],
                         "product_text": [f"product text {i} x" for i in range(n)], "label": 1,
                         "pair_type": "title"})


def base_model() -> SentenceModel:
    return SentenceModel(TableEncoder(), name="table", model_id="table")


def test_adapter_loss_falls_and_dev_improves(tmp_path):
    pairs = toy_pairs()
    dev = RetrievalTask.from_pairs(pairs, n_queries=32, n_corpus=32, seed=0)
    config = AdapterConfig(epochs=25, batch_size=8, learning_rate=5e-3, patience=25)
    trained = train_adapter(base_model(), pairs, dev_task=dev, output_dir=tmp_path,
                            config=config, show_progress=False)
    history = trained.history
    assert history["train_loss"].iloc[-1] < 0.5 * history["train_loss"].iloc[1]
    assert history["dev_ndcg@10"].max() > history["dev_ndcg@10"].iloc[0] + 0.3
    assert trained.card["trainable_params"] == 16 * 16 + 16


def test_adapter_starts_as_identity():
    import torch

    from fashion_lab.train.adapter import _build_module

    model = AdapterModel(base_model(), _build_module(16, 8), name="a", model_id="a")
    texts = ["midi dress", "bootcut jeans"]
    assert np.allclose(model.encode(texts), base_model().encode(texts), atol=1e-6)
    assert isinstance(model.module[-1], torch.nn.Linear)


def test_adapter_cached_and_reloaded(tmp_path):
    pairs = toy_pairs(16)
    dev = RetrievalTask.from_pairs(pairs, n_queries=16, n_corpus=16, seed=0)
    config = AdapterConfig(epochs=3, batch_size=4)
    first = train_adapter(base_model(), pairs, dev_task=dev, output_dir=tmp_path, config=config,
                          show_progress=False)
    second = train_adapter(base_model(), pairs, dev_task=dev, output_dir=tmp_path, config=config,
                           show_progress=False)
    assert second.path == first.path
    assert second.card["training_seconds"] == first.card["training_seconds"]
    texts = ["query number 1", "product text 1 x"]
    a = first.as_embedding_model(base_model()).encode(texts)
    b = second.as_embedding_model(base_model()).encode(texts)
    assert np.array_equal(a, b)
    assert (first.path / "README.md").is_file()


def test_adapter_resumes_from_checkpoint(tmp_path, monkeypatch):
    from fashion_lab.train import adapter

    pairs = toy_pairs(16)
    dev = RetrievalTask.from_pairs(pairs, n_queries=16, n_corpus=16, seed=0)
    config = AdapterConfig(epochs=6, batch_size=4, patience=10)
    calls = {"n": 0}
    real = adapter._dev_row

    def interrupted(*args):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(adapter, "_dev_row", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_adapter(base_model(), pairs, dev_task=dev, output_dir=tmp_path, config=config,
                      show_progress=False)
    monkeypatch.setattr(adapter, "_dev_row", real)
    resumed = train_adapter(base_model(), pairs, dev_task=dev, output_dir=tmp_path,
                            config=config, show_progress=False)
    assert resumed.history["epoch"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    fresh = train_adapter(base_model(), pairs, dev_task=dev, output_dir=tmp_path / "fresh",
                          config=config, show_progress=False)
    assert np.allclose(resumed.history["train_loss"].iloc[3:], fresh.history["train_loss"].iloc[3:],
                       atol=1e-5)


def test_adapter_leaves_out_label_zero(tmp_path):
    pairs = toy_pairs(16)
    dev = RetrievalTask.from_pairs(pairs, n_queries=16, n_corpus=16, seed=0)
    config = AdapterConfig(epochs=2, batch_size=4)
    labelled = pairs.assign(label=[0] * 4 + [1] * 12)
    trained = train_adapter(base_model(), labelled, dev_task=dev, output_dir=tmp_path,
                            config=config, show_progress=False)
    all_positive = train_adapter(base_model(), pairs, dev_task=dev, output_dir=tmp_path,
                                 config=config, show_progress=False)
    assert trained.card["n_pairs"] == 12
    assert all_positive.card["n_pairs"] == 16
    assert trained.path != all_positive.path
