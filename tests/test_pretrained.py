"""Tests for offline loading of pretrained models (GloVe, MiniLM, local folders)."""

from __future__ import annotations

import shutil
import socket

import numpy as np
import pytest

from fashion_lab.pretrained import load_encoder, load_glove, minilm_path


@pytest.fixture
def no_network(monkeypatch):
    """Make any socket connection fail loudly, as on a machine with the network off."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def glove():
    return load_glove()


def test_glove_has_400k_lowercase_keys(glove):
    assert glove.vocab_size == 400000
    assert glove.dim == 50
    assert glove.scheme.lowercase is True


def test_glove_bootcut_is_composed_from_words(glove):
    lookup = glove.lookup("boot cut")
    assert lookup.method == "composed"
    assert lookup.key == "boot + cut"


def test_glove_similarity_matches_raw_vectors(glove):
    a = glove.wv.get_vector("midi")
    b = glove.wv.get_vector("mini")
    expected = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    assert glove.similarity("Midi", "mini") == pytest.approx(expected, abs=1e-6)


# C10: loading models with the network off.
def test_c10_packaged_hub_id_loads_offline(no_network):
    encoder = load_encoder("sentence-transformers/all-MiniLM-L6-v2", device="cpu")
    assert encoder.encode(["midi dress"]).shape == (1, 384)


def test_c10_prefilled_cache_loads_offline(no_network, tmp_path):
    repo = tmp_path / "hub" / "models--fashion-lab--tiny-encoder"
    snapshot = repo / "snapshots" / "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(minilm_path(), snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(snapshot.name)
    encoder = load_encoder("fashion-lab/tiny-encoder", cache_folder=tmp_path / "hub", device="cpu")
    vector = encoder.encode(["midi dress"])
    assert vector.shape == (1, 384)


def test_c10_empty_cache_fails_fast_with_paths(no_network, tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_encoder("fashion-lab/not-downloaded", cache_folder=tmp_path / "empty", device="cpu")
    message = str(info.value)
    assert "'fashion-lab/not-downloaded' is not available offline" in message
    assert str((tmp_path / "empty").resolve()) in message
    assert "huggingface-cli download fashion-lab/not-downloaded" in message


def test_c10_local_folder_saved_by_the_lab(no_network, tmp_path):
    encoder = load_encoder("all-MiniLM-L6-v2", device="cpu")
    encoder.save(str(tmp_path / "fashion-minilm"))
    reloaded = load_encoder(tmp_path / "fashion-minilm", device="cpu")
    texts = ["high rise bootcut jeans", "tea-length dress"]
    assert np.allclose(reloaded.encode(texts), encoder.encode(texts), atol=1e-6)


def test_c10_missing_local_folder_names_path(no_network, tmp_path):
    with pytest.raises(FileNotFoundError, match="searched: .*models/fashion-minilm-finetuned"):
        load_encoder(tmp_path / "models" / "fashion-minilm-finetuned", device="cpu")
