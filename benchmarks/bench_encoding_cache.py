"""Compare SentenceModel.encode (cold and warm cache) with bare SentenceTransformer.encode."""

from __future__ import annotations

import tempfile
from pathlib import Path

from _common import benchmark_texts, peak_rss_mb, report, timed

from fashion_lab.cache import EncodingCache
from fashion_lab.pretrained import load_minilm


def main() -> None:
    texts = benchmark_texts(limit=2000)
    with tempfile.TemporaryDirectory() as folder:
        model = load_minilm(cache=EncodingCache(Path(folder)))
        bare_seconds, _ = timed(lambda: model.encoder.encode(texts, batch_size=128,
                                                             normalize_embeddings=True), repeat=1)
        cold_seconds, _ = timed(lambda: model.encode(texts), repeat=1)
        warm_seconds, _ = timed(lambda: model.encode(texts), repeat=3)
    report("encode, cold cache", cold_seconds, bare_seconds, len(texts), "texts")
    report("encode, warm cache", warm_seconds, bare_seconds, len(texts), "texts")
    print(f"peak memory: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
