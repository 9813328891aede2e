"""pytest-benchmark suite: ssecodec's twins on the benchmark corpora, side by side.

Run with ``make bench-pytest`` (or ``python -m pytest benchmarks/test_bench_codec.py``). Each
benchmark group holds one corpus and one API, with the Cython (``c``) and pure-Python (``py``)
twins in it, so pytest-benchmark's table compares them directly. The peers are measured by
``compare.py`` (``make bench``), not here.

``SSECODEC_BENCH_SCALE`` scales the corpora (default 0.02, i.e. 2,000 OpenAI chunks): a
benchmark here is many short runs, not one long one. If the Cython twin does not import, its
benchmarks are skipped with the reason.
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

twin_params = [
    pytest.param(
        "c",
        marks=pytest.mark.skipif("c" not in TWINS, reason="ssecodec._codec_c does not import"),
    ),
    pytest.param("py"),
]


def _expected_count(corpus: corpora.Corpus) -> int:
    decoder = TWINS["py"].Decoder()
    return sum(len(decoder.feed(chunk)) for chunk in corpus.chunks)


EXPECTED = {corpus.name: _expected_count(corpus) for corpus in DECODE}


@pytest.mark.parametrize("twin", twin_params)
@pytest.mark.parametrize("corpus", DECODE, ids=lambda c: c.name)
def test_decode(benchmark: Any, corpus: corpora.Corpus, twin: str) -> None:
    decoder_cls = TWINS[twin].Decoder
    chunks = corpus.chunks

    def run() -> list[Any]:
        decoder = decoder_cls()
        out: list[Any] = []
        for chunk in chunks:
            out += decoder.feed(chunk)
        out += decoder.close()
        return out

    benchmark.group = f"decode {corpus.name}"
    benchmark.extra_info.update(
        events=EXPECTED[corpus.name], bytes=len(corpus.data), chunk_size=corpus.chunk_size
    )
    events = benchmark(run)
    assert len(events) == EXPECTED[corpus.name]


@pytest.mark.parametrize("twin", twin_params)
@pytest.mark.parametrize("api", ["encode", "Event.encode", "encode_many"])
@pytest.mark.parametrize("corpus", ENCODE, ids=lambda c: c.name)
def test_encode(benchmark: Any, corpus: corpora.EncodeCorpus, api: str, twin: str) -> None:
    mod = TWINS[twin]
    items = corpus.items
    if api == "encode":
        encode = mod.encode

        def run() -> Any:
            return [encode(d, event=e, id=i) for d, e, i in items]

    else:
        events = [mod.Event(d, event=e or "message", id=i) for d, e, i in items]
        if api == "Event.encode":

            def run() -> Any:
                return [ev.encode() for ev in events]

        else:
            encode_many = mod.encode_many

            def run() -> Any:
                return encode_many(events)

    benchmark.group = f"encode {corpus.name} {api}"
    benchmark.extra_info.update(events=len(items))
    out = benchmark(run)
    blob = out if isinstance(out, bytes) else b"".join(out)
    decoded = TWINS["py"].Decoder().feed(blob)
    assert [(e.data, e.event) for e in decoded] == [(d, e or "message") for d, e, _ in items]
