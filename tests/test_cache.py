from __future__ import annotations

import numpy as np
import pytest

from fashion_lab.cache import EncodingCache, weights_checksum


class CountingEncoder:
    """Deterministic fake encoder that records how many texts it was asked to encode."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        return np.array([[len(t), sum(map(ord, t)) % 97, 1.0] for t in texts], dtype=np.float32)


def test_cache_rerun_identical_and_skips(tmp_path):
    fn = CountingEncoder()
    texts = ["midi dress", "bootcut jeans", "midi dress", "sheer blouse"]
    first = EncodingCache(tmp_path).encode("toy", texts, fn, dim=3)
    second_cache = EncodingCache(tmp_path)
    second = second_cache.encode("toy", texts, fn, dim=3)
    assert np.array_equal(first, second)
    assert len(fn.calls) == 1
    assert fn.calls[0] == ["midi dress", "bootcut jeans", "sheer blouse"]
    assert second_cache.hits == 4
    assert second_cache.misses == 0


def test_cache_encodes_only_new_texts(tmp_path):
    fn = CountingEncoder()
    cache = EncodingCache(tmp_path)
    cache.encode("toy", ["a", "b"], fn, dim=3)
    out = cache.encode("toy", ["c", "a", "c"], fn, dim=3)
    assert fn.calls[-1] == ["c"]
    assert cache.misses == 3
    assert cache.hits == 1
    assert np.array_equal(out[0], out[2])
    assert out[1, 0] == 1.0


def test_cache_keeps_input_order(tmp_path):
    fn = CountingEncoder()
    cache = EncodingCache(tmp_path)
    cache.encode("toy", ["aaa", "b"], fn, dim=3)
    out = cache.encode("toy", ["b", "dd", "aaa"], fn, dim=3)
    assert out[:, 0].tolist() == [1.0, 2.0, 3.0]


def test_cache_separates_model_ids(tmp_path):
    fn = CountingEncoder()
    cache = EncodingCache(tmp_path)
    cache.encode("model-a", ["x"], fn, dim=3)
    cache.encode("model-b", ["x"], fn, dim=3)
    assert len(fn.calls) == 2
    assert cache.model_dir("model-a") != cache.model_dir("model-b")


def test_cache_wrong_shape_raises(tmp_path):
    cache = EncodingCache(tmp_path)
    with pytest.raises(ValueError, match=r"expected \(2, 4\)"):
        cache.encode("toy", ["a", "b"], CountingEncoder(), dim=4)


def test_cache_leaves_no_temp_files(tmp_path):
    cache = EncodingCache(tmp_path)
    cache.encode("toy", ["a", "b"], CountingEncoder(), dim=3)
    names = sorted(p.name for p in cache.model_dir("toy").iterdir())
    assert len(names) == 2
    assert names[0] == "index.json"
    assert names[1].startswith("shard-")
    assert names[1].endswith(".npy")


def test_cache_two_writers_keep_both(tmp_path):
    fn = CountingEncoder()
    first, second = EncodingCache(tmp_path), EncodingCache(tmp_path)
    first.encode("toy", ["a"], fn, dim=3)
    second.encode("toy", ["bb"], fn, dim=3)
    third = EncodingCache(tmp_path)
    out = third.encode("toy", ["a", "bb"], fn, dim=3)
    assert out[:, 0].tolist() == [1.0, 2.0]
    assert third.misses == 0


def test_weights_checksum_changes_with_weights(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"weights-1")
    first = weights_checksum(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"weights-2")
    assert weights_checksum(tmp_path) != first
    with pytest.raises(FileNotFoundError, match="no weight files"):
        weights_checksum(tmp_path / "missing")


def test_cache_other_dim_raises(tmp_path):
    cache = EncodingCache(tmp_path)
    cache.encode("toy", ["a"], CountingEncoder(), dim=3)
    with pytest.raises(ValueError, match="stores vectors of dim 3, expected 4"):
        EncodingCache(tmp_path).encode("toy", ["a"], CountingEncoder(), dim=4)


def test_encoding_cache_dir_shared_by_profiles(tmp_path, monkeypatch):
    from fashion_lab.cache import encoding_cache_dir

    monkeypatch.setenv("FASHION_LAB_ARTIFACTS", str(tmp_path))
    assert encoding_cache_dir() == tmp_path / "encodings"
