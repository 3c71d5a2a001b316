"""Tests for Word2Vec/FastText training: vocabulary checks, reproducibility, cards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fashion_lab.text import FashionTokenizer
from fashion_lab.train import TrainedWordModel, check_vocabulary, train_fasttext, train_word2vec

CASES = Path(__file__).resolve().parents[2] / "shared" / "cases" / "inputs"


def case_lines(name: str) -> list[str]:
    path = CASES / name
    if not path.is_file():
        pytest.skip(f"shared case input {name} not available")
    return [line for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def tokenizer() -> FashionTokenizer:
    return FashionTokenizer()


# C02: every token occurs once, so min_count drops the whole vocabulary.
def test_c02_min_count_error_names_the_fix(tokenizer):
    sentences = tokenizer.tokenize_many(case_lines("C02_rare_tokens.txt"))
    with pytest.raises(ValueError, match=r"min_count=5 keeps only 0 of 17 distinct tokens") as info:
        train_word2vec(sentences, tokenizer=tokenizer, min_count=5)
    message = str(info.value)
    assert "occurs 1 times" in message
    assert "17 tokens were dropped" in message
    assert "Lower min_count (e.g. min_count=1)" in message


def test_c02_min_count_one_trains(tokenizer):
    sentences = tokenizer.tokenize_many(case_lines("C02_rare_tokens.txt"))
    model = train_word2vec(sentences, tokenizer=tokenizer, min_count=1, vector_size=8, epochs=2)
    assert model.card.vocab_size == 17


def test_check_vocabulary_empty_corpus():
    with pytest.raises(ValueError, match="the corpus has no tokens"):
        check_vocabulary([[], []], min_count=1)


def test_invalid_mode_raises(tokenizer):
    with pytest.raises(ValueError, match="mode must be one of 'reproducible', 'fast'; got 'quick'"):
        train_word2vec([["a", "b"]] * 5, tokenizer=tokenizer, mode="quick")


# C04: the same seed in two fresh processes must give identical vectors.
_TRAIN_SCRIPT = """
import hashlib, sys
from fashion_lab.text import FashionTokenizer
from fashion_lab.train import train_word2vec, train_fasttext
tokenizer = FashionTokenizer()
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
sentences = tokenizer.tokenize_many(lines) * 10
for train in (train_word2vec, train_fasttext):
    model = train(sentences, tokenizer=tokenizer, min_count=1, vector_size=16, epochs=5, seed=7)
    digest = hashlib.sha256(model.model.wv.vectors.tobytes()).hexdigest()
    neighbours = [k for k, _ in model.model.wv.most_similar("bootcut", topn=3)]
    print(train.__name__, digest, ",".join(neighbours))
"""


def test_c04_reproducible_across_fresh_processes():
    corpus = CASES / "C04_seed_corpus.txt"
    if not corpus.is_file():
        pytest.skip("shared cases not available")
    outputs = []
    for hash_seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run([sys.executable, "-c", _TRAIN_SCRIPT, str(corpus)], env=env,
                                capture_output=True, text=True, check=True, timeout=120)
        outputs.append(result.stdout.strip().splitlines())
    assert len(outputs[0]) == 2
    assert outputs[0] == outputs[1]


def test_fast_mode_card_says_not_reproducible(tokenizer):
    sentences = tokenizer.tokenize_many(case_lines("C04_seed_corpus.txt")) * 5
    model = train_word2vec(sentences, tokenizer=tokenizer, min_count=1, vector_size=8, epochs=2,
                           mode="fast", workers=2)
    assert model.card.reproducible is False
    assert model.card.workers == 2
    assert model.card.seed == 42
    assert set(model.card.versions) == {"python", "gensim", "numpy"}


def test_card_records_loss_for_word2vec_only(tokenizer):
    sentences = tokenizer.tokenize_many(case_lines("C04_seed_corpus.txt")) * 5
    w2v = train_word2vec(sentences, tokenizer=tokenizer, min_count=1, vector_size=8, epochs=3)
    ft = train_fasttext(sentences, tokenizer=tokenizer, min_count=1, vector_size=8, epochs=3)
    assert len(w2v.card.loss_per_epoch) == 3
    assert all(loss > 0 for loss in w2v.card.loss_per_epoch)
    assert ft.card.loss_per_epoch is None
    assert "does not report a loss" in ft.card.loss_note


def test_save_load_roundtrip(tokenizer, tmp_path):
    sentences = tokenizer.tokenize_many(case_lines("C04_seed_corpus.txt")) * 5
    model = train_word2vec(sentences, tokenizer=tokenizer, min_count=1, vector_size=8, epochs=2)
    folder = model.save(tmp_path / "w2v")
    loaded = TrainedWordModel.load(folder)
    assert np.array_equal(loaded.model.wv.vectors, model.model.wv.vectors)
    assert loaded.card == model.card
    assert json.loads((folder / "card.json").read_text())["corpus_checksum"] == (
        model.card.corpus_checksum
    )
    assert loaded.tokenizer.tokenize("boot cut") == ["bootcut"]
    assert not (tmp_path / "w2v.tmp").exists()


def test_load_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="card.json missing"):
        TrainedWordModel.load(tmp_path)


def test_train_rejects_untokenised_strings(tokenizer):
    with pytest.raises(TypeError, match="lists of tokens, not strings"):
        train_word2vec(["boot cut jeans", "midi dress"] * 5, tokenizer=tokenizer, min_count=1)
