"""Write the seed corpus (``fuzz/corpus/``): tricky SSE streams, each under a few headers.

Byte 0 of a seed picks the target and chunking, byte 1 the limits (see ``fuzz_codec.py``).
The streams are the benchmark's tricky cases (``benchmarks/tricky.py``) plus the ones below;
each is written fed whole, byte by byte and in random chunks, with and without limits.
Run it again after adding a stream: ``python fuzz/make_corpus.py``. The ``f-*`` files beside
the seeds are inputs a 1M-execution ``make fuzz`` run found new coverage with, kept after
``fuzz_codec.py -merge=1`` (``PATH=.venv/bin:$PATH MODE=fast fuzz/run_asan.sh
fuzz/fuzz_codec.py -merge=1 NEW_DIR fuzz/corpus fuzz/work``).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "benchmarks"))

from tricky import CASES  # noqa: E402

STREAMS = [
    b"",
    b"data: hello\n\n",
    b"\xef\xbb\xbf\xef\xbb\xbfdata: second bom is kept\n\n",
    b"\xef\xbbdata: partial bom\n\n",
    b"data: a\r\ndata: b\r\rdata: c\n\r\n",
    b"event: \x00nul\ndata: \x00\nid: a\x00b\nid: ok\n\n",
    b"retry: 12345678901234567890123456789\nretry: 007\nretry: -1\nretry: 1e3\nretry:  5\n\n",
    b"retry: " + b"9" * 5000 + b"\ndata: big retry\n\n",
    b"retry: " + b"0" * 3000 + b"1\n\n",
    b"data: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80\xff\x80\n\n",
    b"data: " + "ü".encode() * 40 + b"\xe2\x82\n\n",
    b"data: " + b"a" * 300 + "€".encode() * 30 + b"\n\n",
    b"data: " + b"x" * 2000 + b"\n\ndata: after a long line\n\n",
    b"data\ndata\ndata:\n\n",
    b"id\n\nid:\n\nid: \n\ndata: x\n\n",
    b":\n::\n: data: x\n\n",
    b"Data: x\n data: y\ndata : z\n\n",
    b"data: one\n" * 50 + b"\n",
    b"event: a\nevent: a\nevent: b\ndata: cached type\n\n" * 3,
    b"data: unterminated",
    b"data: x\n\ndata: y\r",
    b"\r\n\r\n\n\n\r\r",
    b"data:\xe2\x80\xa8\xc2\x85\x0b\x0c\x1c\n\n",
]

ENCODER_PAYLOADS = [
    b"\x01\x04event\x01\x02id\x02\x05: a\nb\x01\x05hello\nworld\r\n!",
    b"\x02\x04ev\rx\x02\x02i\x00\x01\x00\x00\x01\x08data\xed\xa0\x80",
    b"\x04\x03abc\x04\x02\xff\xfe\x03\x00\x03\x01\x04\x03\xff\xfe\xfd",
    b"\x01\x00\x01\x00\x01\x00\x03\x40\x00\x00\x02\x00",
]


def main() -> None:
    out = HERE / "corpus"
    out.mkdir(exist_ok=True)
    streams = [case.data for case in CASES] + STREAMS
    seeds = []
    for stream in streams:
        for b0, b1 in ((0, 0), (1 << 2, 0), (2 << 2, 1 + 5 * 2), (3 << 2, 4 + 5 * 3 + 25 * 9)):
            seeds.append(bytes([b0, b1]) + stream)
    for payload in ENCODER_PAYLOADS:
        seeds.append(bytes([3, 0]) + payload)
    for seed in seeds:
        (out / hashlib.sha1(seed).hexdigest()[:16]).write_bytes(seed)
    print(f"{len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main()
