"""Train all-MiniLM-L6-v2 on fashion text with an in-batch-negative loss.

One training loop serves two routes:

- supervised fine-tuning: MultipleNegativesRankingLoss (sentence-transformers) on
  (query, product text) pairs;
- continued pretraining with unsupervised SimCSE: the same loss on (text, text) pairs of
  unlabelled fashion text, where dropout makes the two encodings of a text differ.

The loop records the training loss and the dev nDCG@10 to a history frame
``evals_per_epoch`` times per epoch and stops early when the dev score stops improving. It
keeps the best weights, writes a checkpoint at evaluations (at most one per
``checkpoint_every_s``) and resumes from the last checkpoint after an interruption.
Finished models are saved in the sentence-transformers format with a model card, in a folder
named by a checksum of the data and parameters, so an unchanged re-run loads instead of
training.
"""

from __future__ import annotations

import copy
import logging
import math
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from fashion_lab.cache import weights_checksum
from fashion_lab.models import SentenceModel
from fashion_lab.train.batching import DuplicateFreeBatchSampler, find_duplicate_texts
from fashion_lab.train.heldout import RetrievalTask
from fashion_lab.train.pairs import positive_pairs
from fashion_lab.train.runtime import (
    ChunkingEncoder,
    PeakMemory,
    Stopwatch,
    checksum,
    folder_size_mb,
    frame_checksum,
    load_best_weights,
    long_texts,
    progress_enabled,
    read_card,
    resume_checkpoint,
    save_checkpoint,
    set_seed,
    versions,
    write_card,
)

logger = logging.getLogger(__name__)

BASE_MODEL = "all-MiniLM-L6-v2"
#: Part of every cache key; raise it when a code change alters what training produces.
TRAINING_CODE_VERSION = 3
#: Pair columns that enter the cache key, where the pairs have them.
KEY_COLUMNS = ("query", "product_text", "hard_negative", "label")
#: File beside ``card.json`` that lists every training text longer than ``max_seq_length``.
TRUNCATED_FILE = "truncated_texts.csv"


@dataclass(frozen=True)
class TrainConfig:
    """Parameters of one training run (all of them enter the cache checksum).

    Attributes:
        epochs: passes over the pairs.
        batch_size: pairs per batch; every other positive in a batch is a negative.
        max_seq_length: tokens kept per training text (longer texts are truncated and
            counted). The saved model encodes with the base model's own limit (256 tokens for
            MiniLM), like the generic baseline it is compared with.
        learning_rate: AdamW learning rate, with linear warm-up and decay.
        warmup_ratio: share of steps used for warm-up.
        evals_per_epoch: dev evaluations per epoch (history rows, early-stopping checks).
        patience: evaluations without improvement before stopping.
        scale: inverse temperature of the in-batch softmax.
        freeze_embeddings: keep the word-piece embedding table (11.7 M of MiniLM's 22.7 M
            parameters) fixed. This halves the parameters AdamW updates but saved only about
            7% per step (batch 32, 64 tokens, 2 CPU cores), because the encoder layers dominate.
        seed: seed of torch, NumPy, random and the batch order.
    """

    epochs: int = 1
    batch_size: int = 32
    max_seq_length: int = 64
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    evals_per_epoch: int = 4
    patience: int = 2
    scale: float = 20.0
    freeze_embeddings: bool = False
    seed: int = 42


@dataclass
class TrainedEncoder:
    """A saved encoder with its training history and model card."""

    name: str
    path: Path
    history: pd.DataFrame
    card: dict

    @property
    def model_id(self) -> str:
        """Cache id of the weights: the route name and a checksum of the weight files."""
        return f"{self.name}-{self.card['weights_checksum']}"

    def load(self, device: str | None = None):
        """Load the saved SentenceTransformer."""
        from fashion_lab.pretrained import load_encoder

        return load_encoder(self.path, device=device)

    def as_embedding_model(self, *, vocabulary=(), cache=None,
                           chunk_long_texts: bool = False) -> SentenceModel:
        """Wrap the encoder in the lab's common model interface.

        With `chunk_long_texts`, a text longer than the encoder's window is split into windows
        whose vectors are averaged (:class:`~fashion_lab.train.runtime.ChunkingEncoder`)
        instead of being truncated.
        """
        encoder = self.load()
        model_id = self.model_id
        if chunk_long_texts:
            encoder = ChunkingEncoder(encoder)
            model_id += "-chunked"
        return SentenceModel(encoder, name=self.name, vocabulary=vocabulary, cache=cache,
                             model_id=model_id)


def train_encoder(pairs: pd.DataFrame, *, name: str, dev_task: RetrievalTask, output_dir: Path,
                  config: TrainConfig = TrainConfig(), base: str | Path = BASE_MODEL,
                  show_progress: bool | None = None,
                  checkpoint_every_s: float = 120.0) -> TrainedEncoder:
    """Fine-tune `base` on `pairs` (columns query, product_text), or load the cached result.

    Args:
        pairs: training pairs; use ``query == product_text`` rows for SimCSE. Rows whose
            ``label`` is 0 are left out (:func:`~fashion_lab.train.pairs.positive_pairs`).
        name: route name, used for the folder and the model id.
        dev_task: retrieval task scored during training for early stopping.
        output_dir: parent folder of saved models and checkpoints.
        config: training parameters.
        base: model to start from (a hub id of the packaged MiniLM or a saved folder).
        show_progress: progress bars; default on unless ``FASHION_LAB_STATIC=1``.
        checkpoint_every_s: minimum seconds between checkpoints, which are written at
            evaluations. A checkpoint contains weights and optimizer state (about 360 MB for
            MiniLM), so writing one at every evaluation would dominate short runs.

    Returns:
        The trained encoder; its folder is ``output_dir / f"{name}-{key}"``. Training texts
        longer than ``config.max_seq_length`` are listed in :data:`TRUNCATED_FILE` there.
    """
    key = cache_key(pairs, dev_task, config, base)
    folder = Path(output_dir) / f"{name}-{key}"
    if (folder / "card.json").is_file():
        logger.info("%s: loading cached model from %s", name, folder)
        return TrainedEncoder(name, folder, pd.read_csv(folder / "history.csv"), read_card(folder))
    pairs = positive_pairs(pairs, name)
    with Stopwatch() as clock, PeakMemory() as memory:
        encoder, history, info, truncated = _train(pairs, name, dev_task,
                                                   folder.with_suffix(".ckpt"), config, base,
                                                   progress_enabled(show_progress),
                                                   checkpoint_every_s)
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        encoder.save(str(tmp))
    history.to_csv(tmp / "history.csv", index=False)
    truncated.to_csv(tmp / TRUNCATED_FILE, index=False)
    card = {"name": name, "summary": f"{BASE_MODEL} adapted to fashion ({name}).",
            "base": str(base), "config": asdict(config), "n_pairs": len(pairs),
            "training_seconds": round(clock.seconds, 1),
            "peak_rss_mb": round(memory.peak_mb, 1),
            "rss_increase_mb": round(memory.peak_mb - memory.start_mb, 1),
            "artefact_mb": round(folder_size_mb(tmp), 1),
            "weights_checksum": weights_checksum(tmp), "versions": versions(), **info}
    write_card(tmp, card)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    shutil.rmtree(folder.with_suffix(".ckpt"), ignore_errors=True)
    logger.info("%s: trained in %.0f s, dev nDCG@10 %.3f, saved to %s", name, clock.seconds,
                info["best_dev_ndcg@10"], folder)
    return TrainedEncoder(name, folder, history, card)


def cache_key(pairs: pd.DataFrame, dev_task: RetrievalTask, config: TrainConfig = TrainConfig(),
              base: str | Path = BASE_MODEL) -> str:
    """Return the checksum that names a training run's folder.

    It covers the code version, `config`, the base weights, the :data:`KEY_COLUMNS` of
    `pairs` that are present (row order included) and the dev task.
    """
    base_id = str(base) if str(base) == BASE_MODEL else weights_checksum(base)
    columns = [column for column in KEY_COLUMNS if column in pairs]
    return checksum(TRAINING_CODE_VERSION, asdict(config), base_id, columns,
                    frame_checksum(pairs, columns), sorted(dev_task.queries.items()),
                    sorted(dev_task.corpus))


def _train(pairs, name, dev_task, checkpoint, config, base, show_progress, checkpoint_every_s):
    import time

    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    from fashion_lab.pretrained import load_encoder

    set_seed(config.seed)
    model = load_encoder(base)
    inference_length = model.max_seq_length
    model.max_seq_length = config.max_seq_length
    anchors = pairs["query"].astype(str).tolist()
    positives = pairs["product_text"].astype(str).tolist()
    negatives = _hard_negatives(pairs, name)
    duplicates = find_duplicate_texts(anchors, positives)
    if len(duplicates):
        logger.info("%s: %d texts occur in more than one pair (most: %r in %d pairs); they are "
                    "kept out of shared batches", name, len(duplicates), duplicates["text"][0],
                    duplicates["pairs"][0])
    ids = dict(zip(positives, "product " + pairs["product_id"].astype(str), strict=True))
    ids.update({a: f"query {i}" for i, a in enumerate(anchors) if a not in ids})
    truncated = long_texts(model, list(ids), ids=list(ids.values()))
    sampler = DuplicateFreeBatchSampler(anchors, positives, config.batch_size, seed=config.seed)
    loss_fn = MultipleNegativesRankingLoss(model, scale=config.scale)
    if config.freeze_embeddings:
        for parameter in model[0].auto_model.embeddings.word_embeddings.parameters():
            parameter.requires_grad = False
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, foreach=True)
    # The sampler can defer and drop pairs, so the schedule counts the batches it really yields.
    total = sum(len(sampler.batches(epoch)) for epoch in range(config.epochs))
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total), total)
    eval_every = max(1, math.ceil(len(sampler) / config.evals_per_epoch))
    fresh = {"step": 0, "epoch": 0, "batch": 0, "history": [], "best": -1.0, "best_step": 0,
             "bad": 0}
    state = resume_checkpoint(checkpoint, model, optimizer, fresh, scheduler=scheduler)
    best = copy.deepcopy(model.state_dict()) if state["best_step"] == state["step"] else None
    if not state["history"]:
        state["history"].append(_evaluate(model, dev_task, 0, 0, float("nan")))
        state["best"] = state["history"][0]["dev_ndcg@10"]
    bar = tqdm(total=total, initial=state["step"], desc=name, disable=not show_progress)
    losses: list[float] = []
    stopped = False
    last_checkpoint = time.monotonic()
    for epoch in range(state["epoch"], config.epochs):
        sampler.set_epoch(epoch)
        batches = sampler.batches()
        for index, batch in enumerate(batches):
            if epoch == state["epoch"] and index < state["batch"]:
                continue
            model.train()
            features = [_tokenize(model, [anchors[i] for i in batch]),
                        _tokenize(model, [positives[i] for i in batch])]
            if negatives:
                features.append(_tokenize(model, [negatives[i] for i in batch]))
            loss = loss_fn(features, None)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            state.update(step=state["step"] + 1, epoch=epoch, batch=index + 1)
            bar.update(1)
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
            if state["step"] % eval_every == 0 or index == len(batches) - 1:
                mean_loss = sum(losses) / len(losses)
                row = _evaluate(model, dev_task, state["step"], epoch + 1, mean_loss)
                state["history"].append(row)
                losses = []
                # Ties count as progress, so a saturated dev metric keeps the trained weights.
                if row["dev_ndcg@10"] >= state["best"]:
                    state.update(best=row["dev_ndcg@10"], best_step=state["step"], bad=0)
                    best = copy.deepcopy(model.state_dict())
                else:
                    state["bad"] += 1
                if time.monotonic() - last_checkpoint >= checkpoint_every_s:
                    save_checkpoint(checkpoint, model, optimizer, state, best,
                                    scheduler=scheduler)
                    last_checkpoint = time.monotonic()
                if state["bad"] >= config.patience:
                    logger.info("%s: early stop at step %d, dev nDCG@10 did not improve for %d "
                                "evaluations", name, state["step"], state["bad"])
                    stopped = True
                    break
        state.update(epoch=epoch + 1, batch=0)
        if stopped:
            break
    bar.close()
    if best is None:
        best = load_best_weights(checkpoint)
    model.load_state_dict(best)
    model.max_seq_length = inference_length
    info = {"inference_max_seq_length": inference_length, "best_dev_ndcg@10": state["best"],
            "best_step": state["best_step"], "steps": state["step"], "early_stopped": stopped,
            "device": str(model.device),
            "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "repeated_texts": len(duplicates), "pairs_collapsed": sampler.collapsed,
            "pairs_deferred": sampler.deferred, "pairs_dropped": sampler.dropped,
            "texts_truncated": len(truncated), "truncated_texts_file": TRUNCATED_FILE}
    return model, pd.DataFrame(state["history"]), info, truncated


def _hard_negatives(pairs: pd.DataFrame, name: str) -> list[str] | None:
    """Return the hard negatives when every pair has one, else None (with a log line)."""
    if "hard_negative" not in pairs:
        return None
    negatives = pairs["hard_negative"].fillna("").astype(str)
    given = int((negatives.str.strip() != "").sum())
    if given == len(pairs) and given:
        logger.info("%s: training with a hard negative for each of %d pairs", name, given)
        return negatives.tolist()
    if given:
        # The loss takes one negative column for the whole batch, so partial columns are unused.
        logger.warning("%s: %d of %d pairs have a hard_negative; they are ignored because "
                       "the loss needs one for every pair", name, given, len(pairs))
    return None


def _tokenize(model, texts: list[str]) -> dict:
    from sentence_transformers.util import batch_to_device

    method = getattr(model, "preprocess", None) or model.tokenize
    return batch_to_device(method(texts), model.device)


def _evaluate(model, task: RetrievalTask, step: int, epoch: int, loss: float) -> dict:
    # Dev scores use the training max_seq_length (cheaper), so they can differ from the
    # held-out scores of the saved model, which reads up to the base model's limit.
    model.eval()

    def encode(texts):
        return model.encode(texts, batch_size=64, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)

    scores = task.evaluate(task.rank_by_embeddings(encode))
    return {"step": step, "epoch": epoch, "train_loss": loss,
            **{f"dev_{k}": v for k, v in scores.items()}}
