"""pytest-benchmark suite: ssecodec's twins on the benchmark corpora, side by side.

Run with ``make bench-pytest``. Each benchmark group holds one corpus and one API with the
Cython (``c``) and pure-Python (``py``) twins in it, timed through the same calls as
``compare.py`` (which also measures the peers). ``SSECODEC_BENCH_SCALE`` scales the corpora
(default 0.02: a benchmark here is many short runs). Without the Cython twin its half is skipped.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

import corpora
import peers

SCALE = float(os.environ.get("SSECODEC_BENCH_SCALE", "0.02"))
TWINS = peers.twins()
DECODE = corpora.decode_corpora(SCALE)
ENCODE = corpora.encode_corpora(SCALE)
ORACLE = peers.ssecodec_decoder(TWINS["py"], "py")
twin_params = [
    pytest.param("c", marks=pytest.mark.skipif("c" not in TWINS, reason="no ssecodec._codec_c")),
    "py",
]


@pytest.mark.parametrize("twin", twin_params)
@pytest.mark.parametrize("corpus", DECODE, ids=lambda c: c.name)
def test_decode(benchmark: Any, corpus: corpora.Corpus, twin: str) -> None:
    peer = peers.ssecodec_decoder(TWINS[twin], twin)
    benchmark.group = f"decode {corpus.name}"
    benchmark.extra_info.update(bytes=len(corpus.data), chunk_size=corpus.chunk_size)
    assert len(benchmark(peer.run, corpus.chunks)) == len(ORACLE.run(corpus.chunks))


@pytest.mark.parametrize("twin", twin_params)
@pytest.mark.parametrize("api", range(3), ids=["encode", "Event.encode", "encode_many"])
@pytest.mark.parametrize("corpus", ENCODE, ids=lambda c: c.name)
def test_encode(benchmark: Any, corpus: corpora.EncodeCorpus, api: int, twin: str) -> None:
    peer = peers.ssecodec_encoders(TWINS[twin], twin)[api]
    benchmark.group = f"encode {corpus.name} {peer.label.split(') ')[1]}"
    benchmark.extra_info.update(events=len(corpus.items))
    out = benchmark(peer.prepare(corpus.items))
    events = ORACLE.run([out if isinstance(out, bytes) else b"".join(out)])
    assert [(e.data, e.event) for e in events] == [(d, e or "message") for d, e, _ in corpus.items]
