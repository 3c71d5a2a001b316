"""Training: word vectors from scratch and transformer adaptation routes."""

from fashion_lab.train.word2vec import (
    ModelCard,
    TrainedWordModel,
    check_vocabulary,
    corpus_checksum,
    train_fasttext,
    train_word2vec,
    train_word_model,
)

__all__ = [
    "ModelCard",
    "TrainedWordModel",
    "check_vocabulary",
    "corpus_checksum",
    "train_fasttext",
    "train_word2vec",
    "train_word_model",
]
