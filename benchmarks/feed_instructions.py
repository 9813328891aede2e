"""Instructions per event and per ``feed()`` call, counted by callgrind (repeatable, unlike time).

Runs itself under ``valgrind --tool=callgrind`` once per (chunking, passes) pair: 20,000 OpenAI
events decoded by compare.py's streaming consumer for the compiled twin (``peers``'
``consume``: ``for event in decoder.feed(chunk): n += 1``) in 64 KiB chunks, in 1,500-byte
chunks, and in chunks of exactly one event each, with 1 pass and 0 passes over the chunks, so
that everything but the decoding (start-up, building the corpus) cancels.
It prints instructions per event for each chunking and the extra instructions per extra chunk
against 64 KiB, split by function into three parts: the decoder (``_codec_c``), glibc's
``mem*`` functions the decoder calls, and the interpreter (the loop, the call, the returned
list and its iterator).

Run: ``python benchmarks/feed_instructions.py`` (needs valgrind; takes about a minute).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVENTS = 20_000
CHUNKINGS = ("65536", "1500", "event")


def _child(chunking: str, passes: int) -> None:
    sys.path.insert(0, str(HERE))
    import corpora
    import peers

    # What compare.py times for the compiled twin: its streaming consumer's loop.
    consume = peers.ssecodec_decoder(peers.twins()["c"], "c").consume
    data = corpora.openai_stream(corpora.openai_payloads(EVENTS))
    if chunking == "event":
        chunks = [part + b"\n\n" for part in data.split(b"\n\n")[:-1]]
    else:
        chunks = corpora.split(data, int(chunking))
    for _ in range(passes):
        assert consume(chunks) == EVENTS + 1
    print(len(chunks))


def _count(chunking: str, passes: int, out_dir: str) -> tuple[int, Counter[str], int]:
    out = os.path.join(out_dir, f"cg.{chunking}.{passes}")
    proc = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            chunking,
            str(passes),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    total = int(re.search(r"Collected : (\d+)", proc.stderr).group(1))
    annotated = subprocess.run(
        ["callgrind_annotate", "--auto=no", "--threshold=100", out],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    per_fn: Counter[str] = Counter()
    for line in annotated.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(\S.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            per_fn[m.group(2).split(" [")[0]] += int(m.group(1).replace(",", ""))
    return total, per_fn, int(proc.stdout.split()[-1])


def _part(fn: str) -> str:
    if "_codec_c" in fn:
        return "decoder"
    if re.search(r"mem(chr|cpy|move|set)", fn):
        return "mem*"
    return "interpreter"


def main() -> int:
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for chunking in CHUNKINGS:
            (t1, f1, n_chunks), (t0, f0, _) = (_count(chunking, p, tmp) for p in (1, 0))
            parts: Counter[str] = Counter()
            for fn in f1.keys() | f0.keys():
                parts[_part(fn)] += f1[fn] - f0[fn]
            runs[chunking] = (t1 - t0, parts, n_chunks)
    events = EVENTS + 1
    base_total, base_parts, base_chunks = runs["65536"]
    print(f"{events:,} OpenAI events, one pass, callgrind instructions (PYTHONHASHSEED=0)")
    print(
        f"{'chunks':>8} {'count':>6} {'per event':>10} {'per extra chunk':>16}  "
        f"{'decoder':>8} {'mem*':>6} {'interpreter':>12}"
    )
    for chunking, (total, parts, n_chunks) in runs.items():
        line = f"{chunking:>8} {n_chunks:>6} {total / events:>10,.0f}"
        extra = n_chunks - base_chunks
        if extra > 0:
            line += f" {(total - base_total) / extra:>16,.0f}  " + " ".join(
                f"{(parts[k] - base_parts[k]) / extra:>{w},.0f}"
                for k, w in (("decoder", 8), ("mem*", 6), ("interpreter", 12))
            )
        print(line)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(main())
