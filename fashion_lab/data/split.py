"""Sampling and train/test splits that keep every row of one product together.

Colour variants, reviews, questions and answers of one product often repeat each other, so a
split by row would put near-copies on both sides and inflate test scores. Both functions here
work on whole ``product_id`` groups.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from fashion_lab._checks import check_positive_int

logger = logging.getLogger(__name__)


def _check_product_column(df: pd.DataFrame) -> None:
    if "product_id" not in df.columns:
        raise KeyError("a 'product_id' column is needed to group rows; "
                       f"columns: {list(df.columns)}")
    if df["product_id"].isna().any():
        raise ValueError(f"product_id is missing in {int(df['product_id'].isna().sum())} rows; "
                         "fill it (for example with doc_id) before sampling or splitting")


def sample_by_product(df: pd.DataFrame, max_docs: int, *, seed: int = 42) -> pd.DataFrame:
    """Draw whole product groups at random until `max_docs` rows are reached.

    Products are shuffled with `seed`, and groups are taken in that order while the running
    row count stays at or below `max_docs`. The result is reproducible for a given frame and
    seed.

    Limitations:
        The result can have fewer than `max_docs` rows, short by less than the size of the
        next group. When the first group alone has more than `max_docs` rows, that group is
        returned whole.

    Args:
        df: a frame with a ``product_id`` column.
        max_docs: the maximum number of rows.
        seed: seed of the shuffle.

    Returns:
        The sampled rows in their original order, with a fresh index. When `df` has no more
        than `max_docs` rows, `df` itself.
    """
    check_positive_int("max_docs", max_docs)
    _check_product_column(df)
    if len(df) <= max_docs:
        return df

    sizes = df.groupby("product_id", sort=True).size()
    order = np.random.default_rng(seed).permutation(len(sizes))
    shuffled = sizes.iloc[order]
    keep = shuffled.index[(shuffled.cumsum() <= max_docs).to_numpy()]
    if len(keep) == 0:
        keep = shuffled.index[:1]
    sampled = df[df["product_id"].isin(keep)].reset_index(drop=True)
    logger.info("sample_by_product: kept %d of %d products, %d of %d rows (seed %d)",
                len(keep), len(sizes), len(sampled), len(df), seed)
    return sampled


def split_by_product(
    df: pd.DataFrame, *, test_size: float = 0.2, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into train and test sets so that no product is on both sides.

    Uses scikit-learn's ``GroupShuffleSplit`` with ``product_id`` as the group, so
    `test_size` is the share of products, not of rows.

    Args:
        df: a frame with a ``product_id`` column.
        test_size: share of products in the test set, between 0 and 1 (exclusive).
        seed: random state of the split.

    Returns:
        ``(train, test)``, each in the original row order with a fresh index.

    Raises:
        ValueError: `df` has fewer than 2 products, or `test_size` is not between 0 and 1.
    """
    from sklearn.model_selection import GroupShuffleSplit

    _check_product_column(df)
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1 (exclusive); got {test_size!r}")
    n_products = df["product_id"].nunique()
    if n_products < 2:
        raise ValueError(f"split_by_product needs at least 2 distinct product_id values; got "
                         f"{n_products} in {len(df)} rows. Add documents of other products")

    splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    train_index, test_index = next(splitter.split(df, groups=df["product_id"].to_numpy()))
    train = df.iloc[np.sort(train_index)].reset_index(drop=True)
    test = df.iloc[np.sort(test_index)].reset_index(drop=True)
    logger.info("split_by_product: %d train rows, %d test rows from %d products",
                len(train), len(test), n_products)
    return train, test
