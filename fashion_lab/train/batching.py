"""Batches for in-batch-negative losses that never repeat a text inside one batch.

MultipleNegativesRankingLoss treats every other positive in a batch as a negative. When one
anchor has two positives, or two anchors share a positive, a batch containing both pairs trains
the model to push a text away from itself. :func:`find_duplicate_texts` reports such texts
before training and :class:`DuplicateFreeBatchSampler` keeps them apart.
"""

from __future__ import annotations

import logging
import random
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence

import pandas as pd

logger = logging.getLogger(__name__)


def _key(text: str) -> str:
    return " ".join(str(text).lower().split())


def _pair_texts(anchor: str, positive: str) -> set[str]:
    # A pair whose two sides are the same text (SimCSE) counts that text once.
    return {_key(anchor), _key(positive)}


def find_duplicate_texts(anchors: Sequence[str], positives: Sequence[str]) -> pd.DataFrame:
    """Return texts that occur in more than one pair, across the anchor and positive columns.

    Texts are compared after case folding and whitespace collapsing.

    Returns:
        Frame (text, as_anchor, as_positive, pairs), most repeated first; empty when no text
        repeats.
    """
    as_anchor = Counter(_key(a) for a in anchors)
    as_positive = Counter(_key(p) for p in positives)
    in_pairs = Counter(t for a, p in zip(anchors, positives, strict=True)
                       for t in _pair_texts(a, p))
    rows = [(text, as_anchor[text], as_positive[text], n) for text, n in in_pairs.items() if n > 1]
    frame = pd.DataFrame(rows, columns=["text", "as_anchor", "as_positive", "pairs"])
    return frame.sort_values(["pairs", "text"], ascending=[False, True], ignore_index=True)


def max_duplicate_free_batch(anchors: Sequence[str], positives: Sequence[str]) -> int:
    """Return the largest number of pairs that can share a batch without repeating a text.

    This is a maximum matching in the graph whose nodes are texts and whose edges are pairs,
    computed with networkx (cubic time: meant for small pair sets). The sampler calls the
    private variant with a limit, which first tries a linear greedy pass and stops when that
    already reaches the batch size.
    """
    return _max_batch(anchors, positives, limit=None)


def _max_batch(anchors: Sequence[str], positives: Sequence[str], limit: int | None) -> int:
    seen: set[str] = set()
    greedy = 0
    for anchor, positive in zip(anchors, positives, strict=True):
        texts = _pair_texts(anchor, positive)
        if not texts & seen:
            seen |= texts
            greedy += 1
    if limit is not None and greedy >= limit:
        return greedy
    import networkx as nx

    graph = nx.Graph()
    for anchor, positive in zip(anchors, positives, strict=True):
        a, p = _key(anchor), _key(positive)
        # A pair with one text uses one node: match it to a private dummy node.
        graph.add_edge(("text", a), ("text", p) if a != p else ("self", a))
    return len(nx.max_weight_matching(graph, maxcardinality=True))


def feasible_batch_size(anchors: Sequence[str], positives: Sequence[str], batch_size: int) -> int:
    """Return `batch_size`, lowered (with a warning) to the largest duplicate-free batch."""
    largest = _max_batch(anchors, positives, limit=batch_size)
    if largest < batch_size:
        logger.warning("batch size lowered from %d to %d: only %d of the %d pairs share no text; "
                       "add more distinct pairs to train with larger batches", batch_size,
                       largest, largest, len(anchors))
    return min(batch_size, largest)


class DuplicateFreeBatchSampler:
    """Yield batches of pair indices in which no text appears twice.

    Pairs with the same anchor and positive (after case folding and whitespace collapsing)
    are collapsed to the first of them before sampling. Each epoch shuffles the pairs with
    `seed` + epoch and fills batches greedily. A pair that would repeat a text in the open
    batch is deferred to a later batch. Batches left with a single pair at the end are
    dropped, because an in-batch-negative loss learns nothing from them. The batches of an
    epoch are computed once, so :meth:`__len__` is the number of batches that
    :meth:`__iter__` yields. When more than :attr:`DROP_WARNING_SHARE` of the distinct pairs
    are dropped, a UserWarning gives the counts (once per sampler).

    Args:
        anchors: anchor texts (queries).
        positives: positive texts (products), aligned with `anchors`.
        batch_size: pairs per batch.
        seed: shuffling seed.

    Attributes:
        collapsed: pairs left out because they repeat an earlier pair.
        deferred: pairs of the last computed epoch that were moved to a later batch.
        dropped: pairs of the last computed epoch that ended in a batch of one.

    Raises:
        ValueError: `batch_size` is below 2, or above the largest set of pairs that share no
            text (:func:`max_duplicate_free_batch`), so every full batch would repeat a text.
    """

    #: Share of dropped distinct pairs above which a UserWarning is issued.
    DROP_WARNING_SHARE = 0.1

    def __init__(self, anchors: Sequence[str], positives: Sequence[str], batch_size: int,
                 seed: int = 42) -> None:
        if len(anchors) != len(positives):
            raise ValueError(f"anchors and positives differ in length: {len(anchors)} vs "
                             f"{len(positives)}")
        if batch_size < 2:
            raise ValueError(f"batch_size must be at least 2 for in-batch negatives; got "
                             f"{batch_size}")
        largest = _max_batch(anchors, positives, limit=batch_size)
        if batch_size > largest:
            raise ValueError(
                f"batch_size {batch_size} cannot be filled without repeating a text: at most "
                f"{largest} of the {len(anchors)} pairs share no text; use batch_size <= "
                f"{largest} or add more distinct pairs"
            )
        self.texts = [_pair_texts(a, p) for a, p in zip(anchors, positives, strict=True)]
        first: dict[tuple[str, str], int] = {}
        for index, (anchor, positive) in enumerate(zip(anchors, positives, strict=True)):
            first.setdefault((_key(anchor), _key(positive)), index)
        self.distinct = sorted(first.values())
        self.collapsed = len(self.texts) - len(self.distinct)
        if self.collapsed:
            logger.info("batches: %d of %d pairs repeat an earlier pair and are left out",
                        self.collapsed, len(self.texts))
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0
        self.deferred = 0
        self.dropped = 0
        self._plans: dict[int, tuple[list[list[int]], int, int]] = {}
        self._warned = False

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch whose batches :meth:`__iter__` and :meth:`__len__` use."""
        self.epoch = epoch

    def batches(self, epoch: int | None = None) -> list[list[int]]:
        """Return the batches of `epoch` (default: the current one) and set its deferred and
        dropped counts."""
        epoch = self.epoch if epoch is None else epoch
        if epoch not in self._plans:
            self._plans[epoch] = self._plan(epoch)
        batches, self.deferred, self.dropped = self._plans[epoch]
        return batches

    def _plan(self, epoch: int) -> tuple[list[list[int]], int, int]:
        order = list(self.distinct)
        random.Random(self.seed + epoch).shuffle(order)
        deferred_once: set[int] = set()
        batches: list[list[int]] = []
        pending = order
        while pending:
            batch, seen, later = [], set(), []
            for index in pending:
                if len(batch) < self.batch_size and not (self.texts[index] & seen):
                    batch.append(index)
                    seen |= self.texts[index]
                else:
                    if len(batch) < self.batch_size:
                        deferred_once.add(index)
                    later.append(index)
            batches.append(batch)
            pending = later
        kept = [b for b in batches if len(b) >= 2]
        dropped = sum(len(b) for b in batches if len(b) < 2)
        if deferred_once or dropped:
            logger.info("batches: epoch %d: %d pairs deferred to a later batch, %d dropped "
                        "(a batch of one)", epoch, len(deferred_once), dropped)
        if dropped > self.DROP_WARNING_SHARE * len(order) and not self._warned:
            self._warned = True
            warnings.warn(
                f"{dropped} of {len(order)} distinct pairs ({dropped / len(order):.0%}) are "
                f"dropped in epoch {epoch}, because they share a text with every other pair "
                f"left; {len(kept)} batches of up to {self.batch_size} remain. Add pairs "
                "for the texts that repeat most (find_duplicate_texts)", UserWarning,
                stacklevel=3)
        return kept, len(deferred_once), dropped

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return len(self.batches())
