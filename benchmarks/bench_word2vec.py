"""Compare train_word2vec (checks, callbacks, card) with a bare gensim Word2Vec call."""

from __future__ import annotations

from functools import partial

from _common import benchmark_texts, peak_rss_mb, report, timed
from gensim.models import Word2Vec

from fashion_lab.text import FashionTokenizer
from fashion_lab.train import train_word2vec

PARAMS = {"vector_size": 64, "window": 5, "min_count": 3, "epochs": 3, "sg": 1, "seed": 42}


def main() -> None:
    tokenizer = FashionTokenizer()
    sentences = tokenizer.tokenize_many(benchmark_texts())
    n_tokens = sum(len(s) for s in sentences) * PARAMS["epochs"]
    for mode, workers in (("reproducible", 1), ("fast", 2)):
        lab_seconds, _ = timed(partial(train_word2vec, sentences, tokenizer=tokenizer, mode=mode,
                                       workers=workers, **PARAMS), repeat=1)
        bare_seconds, _ = timed(partial(Word2Vec, sentences, workers=workers, **PARAMS), repeat=1)
        report(f"word2vec {mode}", lab_seconds, bare_seconds, n_tokens, "tokens")
    print(f"peak memory: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
