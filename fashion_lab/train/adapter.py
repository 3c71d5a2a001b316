"""A light trained layer on top of the frozen generic encoder.

The adapter maps a unit MiniLM vector x to ``normalize(x + f(x))``, where f is a linear layer
or a one-hidden-layer MLP whose last layer starts at zero, so training starts from the generic
model exactly. Only f is trained, on cached embeddings of the training queries and products,
with the in-batch contrastive loss of MultipleNegativesRankingLoss (cross-entropy over scaled
cosine similarities). Queries and products share the adapter, so the result is still one
embedding space and joins the term benchmark.
"""

from __future__ import annotations

import copy
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fashion_lab.models import SentenceModel
from fashion_lab.train.batching import DuplicateFreeBatchSampler
from fashion_lab.train.heldout import RetrievalTask, rank_corpus
from fashion_lab.train.pairs import positive_pairs
from fashion_lab.train.runtime import (
    PeakMemory,
    Stopwatch,
    checksum,
    folder_size_mb,
    frame_checksum,
    load_best_weights,
    progress_enabled,
    read_card,
    resume_checkpoint,
    save_checkpoint,
    set_seed,
    write_card,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdapterConfig:
    """Parameters of adapter training (all of them enter the cache checksum).

    Attributes:
        hidden: hidden width of the MLP; 0 for a single linear layer.
        epochs: maximum passes over the pairs.
        batch_size: pairs per batch.
        learning_rate: AdamW learning rate.
        weight_decay: AdamW weight decay.
        patience: epochs without dev improvement before stopping.
        scale: inverse temperature of the in-batch softmax.
        seed: seed of the initialisation and batch order.
    """

    hidden: int = 0
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    patience: int = 4
    scale: float = 20.0
    seed: int = 42


def _build_module(dim: int, hidden: int):
    import torch

    if hidden:
        layers = torch.nn.Sequential(torch.nn.Linear(dim, hidden), torch.nn.GELU(),
                                     torch.nn.Linear(hidden, dim))
    else:
        layers = torch.nn.Sequential(torch.nn.Linear(dim, dim))
    torch.nn.init.zeros_(layers[-1].weight)
    torch.nn.init.zeros_(layers[-1].bias)
    return layers


def _apply(module, vectors):
    import torch

    return torch.nn.functional.normalize(vectors + module(vectors), dim=-1)


class AdapterModel(SentenceModel):
    """The generic encoder followed by a trained residual adapter (inference only)."""

    def __init__(self, base: SentenceModel, module, *, name: str, model_id: str) -> None:
        super().__init__(base.encoder, name=name, vocabulary=base.vocabulary,
                         tokenizer=base.tokenizer, cache=base.cache, model_id=model_id)
        self.base = base
        self.module = module.eval()

    def encode(self, texts, *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        import torch

        vectors = self.base.encode(texts, batch_size=batch_size, show_progress=show_progress)
        with torch.no_grad():
            return _apply(self.module, torch.from_numpy(vectors)).numpy()


@dataclass
class TrainedAdapter:
    """A saved adapter with its history and card."""

    name: str
    path: Path
    history: pd.DataFrame
    card: dict

    def as_embedding_model(self, base: SentenceModel) -> AdapterModel:
        """Load the adapter weights and wrap them with `base` in the common interface."""
        import torch

        module = _build_module(base.dim, self.card["config"]["hidden"])
        module.load_state_dict(torch.load(self.path / "adapter.pt", weights_only=True))
        return AdapterModel(base, module, name=self.name,
                            model_id=f"{base.model_id}-{self.name}-{self.card['key']}")


def train_adapter(base: SentenceModel, pairs: pd.DataFrame, *, dev_task: RetrievalTask,
                  output_dir: Path, name: str = "adapter", config: AdapterConfig = AdapterConfig(),
                  show_progress: bool | None = None) -> TrainedAdapter:
    """Train a residual adapter on `base`'s embeddings of `pairs`, or load the cached one.

    Args:
        base: the frozen generic encoder (its cache avoids re-encoding on re-runs).
        pairs: training pairs with columns query and product_text; rows whose ``label`` is
            0 are left out.
        dev_task: scored after every epoch for early stopping.
        output_dir: parent folder of saved adapters.
        name: route name.
        config: training parameters.
        show_progress: progress bar over epochs; default on unless ``FASHION_LAB_STATIC=1``.
    """
    # Hard negatives are not in the key, because adapter training does not use them.
    columns = [c for c in ("query", "product_text", "label") if c in pairs]
    key = checksum(asdict(config), base.model_id, columns, frame_checksum(pairs, columns),
                   sorted(dev_task.queries.items()), sorted(dev_task.corpus))
    folder = Path(output_dir) / f"{name}-{key}"
    if (folder / "card.json").is_file():
        logger.info("%s: loading cached adapter from %s", name, folder)
        return TrainedAdapter(name, folder, pd.read_csv(folder / "history.csv"), read_card(folder))
    pairs = positive_pairs(pairs, name)
    with Stopwatch() as clock, PeakMemory() as memory:
        module, history, info = _train(base, pairs, dev_task, config, folder.with_suffix(".ckpt"),
                                       progress_enabled(show_progress), name)
    import torch

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save(module.state_dict(), tmp / "adapter.pt")
    history.to_csv(tmp / "history.csv", index=False)
    card = {"name": name, "summary": "Residual adapter on frozen all-MiniLM-L6-v2 embeddings.",
            "base": base.model_id, "config": asdict(config), "key": key, "n_pairs": len(pairs),
            "training_seconds": round(clock.seconds, 1), "peak_rss_mb": round(memory.peak_mb, 1),
            "rss_increase_mb": round(memory.peak_mb - memory.start_mb, 1),
            "artefact_mb": round(folder_size_mb(tmp), 3), **info}
    write_card(tmp, card)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    shutil.rmtree(folder.with_suffix(".ckpt"), ignore_errors=True)
    return TrainedAdapter(name, folder, history, card)


def _train(base, pairs, dev_task, config, checkpoint, show_progress, name):
    import torch
    from tqdm.auto import tqdm

    set_seed(config.seed)
    anchors = pairs["query"].astype(str).tolist()
    positives = pairs["product_text"].astype(str).tolist()
    query_vectors = torch.from_numpy(base.encode(anchors))
    product_vectors = torch.from_numpy(base.encode(positives))
    dev_queries = torch.from_numpy(base.encode(list(dev_task.queries.values())))
    dev_corpus = torch.from_numpy(base.encode(list(dev_task.corpus.values())))
    module = _build_module(base.dim, config.hidden)
    optimizer = torch.optim.AdamW(module.parameters(), lr=config.learning_rate,
                                  weight_decay=config.weight_decay)
    sampler = DuplicateFreeBatchSampler(anchors, positives, config.batch_size, seed=config.seed)
    # Steps are epochs here: best_step is the epoch whose weights are kept.
    fresh = {"epoch": 0, "history": [], "best": -1.0, "best_step": 0, "bad": 0}
    state = resume_checkpoint(checkpoint, module, optimizer, fresh)
    best = copy.deepcopy(module.state_dict())
    if not state["history"]:
        state["history"].append(_dev_row(module, dev_task, dev_queries, dev_corpus, 0, np.nan))
        state["best"] = state["history"][0]["dev_ndcg@10"]
    else:
        best = load_best_weights(checkpoint)
    labels_cache: dict[int, torch.Tensor] = {}
    for epoch in tqdm(range(state["epoch"], config.epochs), desc=name, disable=not show_progress):
        sampler.set_epoch(epoch)
        module.train()
        losses = []
        for batch in sampler.batches():
            q = _apply(module, query_vectors[batch])
            p = _apply(module, product_vectors[batch])
            labels = labels_cache.setdefault(len(batch), torch.arange(len(batch)))
            loss = torch.nn.functional.cross_entropy(config.scale * q @ p.T, labels)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
        row = _dev_row(module, dev_task, dev_queries, dev_corpus, epoch + 1, float(np.mean(losses)))
        state["history"].append(row)
        state["epoch"] = epoch + 1
        # Ties count as progress, so a saturated dev metric keeps the trained weights.
        if row["dev_ndcg@10"] >= state["best"]:
            state.update(best=row["dev_ndcg@10"], best_step=epoch + 1, bad=0)
            best = copy.deepcopy(module.state_dict())
        else:
            state["bad"] += 1
        save_checkpoint(checkpoint, module, optimizer, state, best)
        if state["bad"] >= config.patience:
            logger.info("%s: early stop after epoch %d", name, epoch + 1)
            break
    module.load_state_dict(best)
    info = {"best_dev_ndcg@10": state["best"], "best_epoch": state["best_step"],
            "epochs_run": state["epoch"], "pairs_collapsed": sampler.collapsed,
            "pairs_deferred": sampler.deferred, "pairs_dropped": sampler.dropped,
            "trainable_params": sum(p.numel() for p in module.parameters())}
    return module.eval(), pd.DataFrame(state["history"]), info


def _dev_row(module, task, queries, corpus, epoch, loss) -> dict:
    import torch

    module.eval()
    with torch.no_grad():
        query_vectors = _apply(module, queries).numpy()
        corpus_vectors = _apply(module, corpus).numpy()
    rankings = rank_corpus(query_vectors, corpus_vectors, list(task.queries), list(task.corpus))
    metrics = task.evaluate(rankings)
    return {"step": epoch, "epoch": epoch, "train_loss": loss,
            **{f"dev_{k}": v for k, v in metrics.items()}}
