"""Compare FashionTokenizer with gensim's simple_preprocess on the same texts."""

from __future__ import annotations

from _common import benchmark_texts, report, timed
from gensim.utils import simple_preprocess

from fashion_lab.text import FashionTokenizer


def main() -> None:
    texts = benchmark_texts()
    tokenizer = FashionTokenizer()
    lab_seconds, tokens = timed(lambda: tokenizer.tokenize_many(texts))
    bare_seconds, _ = timed(lambda: [simple_preprocess(t) for t in texts])
    report("tokenize", lab_seconds, bare_seconds, len(texts), "texts")
    print(f"tokens: {sum(len(t) for t in tokens):,} from {len(texts):,} texts")


if __name__ == "__main__":
    main()
