"""``benchmarks/compare.py``: timed samples, paired ratios, chunk-size pairs, targets, a run."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))

compare = importlib.import_module("compare")
corpora = importlib.import_module("corpora")
report = importlib.import_module("report")
summary = importlib.import_module("summary")
timing = importlib.import_module("timing")


def _corpus(name: str, data: bytes, chunk_size: int, mode: str = "consume") -> Any:
    return corpora.Corpus(name, name, name, data, chunk_size, mode=mode)


def _row(impl: str, times: list[float], correct: bool = True) -> dict[str, Any]:
    return {
        "impl": impl,
        "label": impl,
        "is_ssecodec": impl == "ssecodec-c",
        "correct": correct,
        "times_s": times,
    }


def test_same_bytes_groups_rechunked_streams() -> None:
    stream = b"data: x\n\n" * 100
    found = [
        _corpus("a", stream, 64),
        _corpus("b", b"data: y\n\n", 64),
        _corpus("a-small", stream, 5),
        _corpus("a-tiny", stream, 1),
    ]
    assert compare.same_bytes(found) == [[0, 2, 3], [1]]
    kept = _corpus("a-kept", stream, 64, mode="collect")
    assert compare.same_bytes([*found, kept]) == [[0, 2, 3], [1], [4]]


def test_every_peer_consumes_what_it_collects() -> None:
    """consume() (the timed path) sees exactly the events run() returns, for every peer here."""
    peers = importlib.import_module("peers")
    stream = b"data: a\n\nid: 2\ndata: b\r\n\r\n: c\n\ndata: tail"
    chunks = [stream[i : i + 5] for i in range(0, len(stream), 5)]
    found, _ = peers.decoders()
    assert len(next(p for p in found if p.key == "ssecodec-py").run(chunks)) == 2
    for peer in found:
        assert peer.consume(chunks) == len(peer.run(chunks)), peer.key


def test_chunking_pairs_the_rounds() -> None:
    stream = b"data: x\n\n" * 100
    found = [_corpus("a", stream, 64), _corpus("a-small", stream, 5)]
    decode = [
        {"corpus": "a", "rows": [_row("ssecodec-c", [1.0, 2.0, 1.0]), _row("peer", [1.0] * 3)]},
        {
            "corpus": "a-small",
            "rows": [_row("ssecodec-c", [1.25, 2.0, 2.0]), _row("peer", [2.0] * 3, correct=False)],
        },  # not compared
    ]
    (entry,) = compare.chunking(found, decode, compare.same_bytes(found))
    assert (entry["corpus"], entry["base"], entry["chunk_size"], entry["base_chunk_size"]) == (
        "a-small",
        "a",
        5,
        64,
    )
    (row,) = entry["rows"]
    assert (row["impl"], row["ratios"], row["median_ratio"]) == ("ssecodec-c", [0.8, 1.0, 0.5], 0.8)

    results = {"chunking": [entry], "versions": {}, "decoders": [{"key": "ssecodec-c"}]}
    (line,) = summary.chunk_lines(results)
    assert line.startswith("- Chunk size, `a-small` (5 B chunks) against `a` (64 B)")
    assert "**−20.0%** events/s (rounds −50.0% … +0.0%)" in line
    assert report.chunking_table(results)[-1] == "| ssecodec-c | −20.0% (−50.0% … +0.0%) |"


def test_repeats_make_a_sample_last_min_time() -> None:
    assert timing.repeats_for(0.012, 0.2) == 17  # ceil(0.2 / 0.012)
    assert timing.repeats_for(0.5, 0.2) == timing.repeats_for(0.2, 0.2) == 1
    assert timing.repeats_for(0.0, 0.2) == timing.repeats_for(1e-9, 0.2) == timing.MAX_REPEAT
    assert timing.repeats_for(0.012, 0.0) == 1


def test_timed_calls_alternate_and_time_each_call(monkeypatch: Any) -> None:
    clock = [0]
    monkeypatch.setattr(timing.time, "perf_counter_ns", lambda: clock[0])
    calls: list[tuple[str, int]] = []
    alive: list[int] = []

    class Result:
        """Counts the results alive: each must be dropped before the next call."""

        def __init__(self) -> None:
            alive.append(1)

        def __del__(self) -> None:
            alive.pop()

    def call(name: str, ns: int) -> Result:
        calls.append((name, len(alive)))
        clock[0] += ns
        return Result()

    a = lambda: call("a", 3_000_000)  # noqa: E731 - 3 ms per call on the fake clock
    b = lambda: call("b", 5_000_000)  # noqa: E731
    assert timing.timed_calls([a, b], repeat=3) == [0.003, 0.005]
    assert calls == [("a", 0), ("b", 0)] * 3  # in turn, each result gone before the next call
    assert alive == []
    assert timing.timed(a, repeat=4) == 0.003


def test_paired_sample_alternates_one_base_call_with_as_long_lead_calls(monkeypatch: Any) -> None:
    clock = [0]
    monkeypatch.setattr(timing.time, "perf_counter_ns", lambda: clock[0])
    calls: list[str] = []

    def call(name: str, ns: int) -> None:
        calls.append(name)
        clock[0] += ns

    lead = lambda: call("lead", 2_000_000)  # noqa: E731 - 2 ms per call on the fake clock
    base = lambda: call("base", 20_000_000)  # noqa: E731
    assert timing.paired_sample(lead, 0.002, base, 0.020, min_time=0.1) == 10.0
    # 10 lead calls take as long as one base call; 0.1 s needs 3 such turns (0.04 s each)
    assert calls == (["base"] + ["lead"] * 10) * 3


def test_add_paired_samples_skips_failed_rows(monkeypatch: Any) -> None:
    monkeypatch.setattr(compare, "paired_sample", lambda lead, ls, base, bs, t: bs / ls)
    rows: list[dict[str, Any]] = [
        {"impl": "lead", "error": None, "call_s": 0.01},
        {"impl": "broken", "error": "TypeError: no", "call_s": 0.0},
        {"impl": "base", "error": None, "call_s": 0.2},
    ]
    calls = {key: (lambda: None) for key in ("lead", "broken", "base")}
    for _ in range(3):
        compare.add_paired_samples(rows, calls, ["lead", "broken", "missing"], "base", 0.1)
    compare._finish_paired(rows)
    assert (rows[0]["paired_ratios"], rows[0]["vs_baseline_paired"]) == ([20.0] * 3, 20.0)
    assert "paired_ratios" not in rows[1]
    rows[2]["error"] = "RuntimeError: baseline failed"  # no baseline: nothing is paired
    compare.add_paired_samples(rows, calls, ["lead"], "base", 0.1)
    assert len(rows[0]["paired_ratios"]) == 3


def test_targets_are_judged_on_the_paired_ratios() -> None:
    def entry(corpus: str, key: str, **fields: Any) -> dict[str, Any]:
        return {"corpus": corpus, "rows": [{"impl": key, **fields}]}

    results: dict[str, Any] = {
        "decoders": [{"key": "ssecodec-c"}, {"key": "httpx-sse"}],
        "decode": [
            entry("openai", "ssecodec-c", vs_baseline_paired=9.5, paired_ratios=[9.0, 9.5]),
            entry("tiny", "ssecodec-c", vs_baseline_paired=15.0, paired_ratios=[15.0]),
        ],
        "chunking": [
            entry("openai-1500", "ssecodec-c", median_ratio=0.81, ratios=[0.8, 0.81]),
            entry("openai-cjk-1500", "ssecodec-c", median_ratio=0.79, ratios=[0.79]),
        ],
        "encode": [],
    }
    verdicts = {what: (shown, verdict) for what, shown, verdict in summary.target_rows(results)}
    assert len(verdicts) == len(summary.TARGETS)
    assert verdicts["OpenAI chunks, >= 10x httpx-sse"] == ("9.50× (9.00× … 9.50×)", "not met")
    assert verdicts["tiny `data: x`, >= 15x httpx-sse"][1] == "met"  # the threshold itself
    assert verdicts["OpenAI, 1,500 B chunks within 20%"][1] == "met"
    assert verdicts["CJK/emoji, 1,500 B chunks within 20%"][1] == "not met"
    assert verdicts["`encode()`, >= 10x sse-starlette"] == ("-", "-")  # not measured
    assert summary.target_rows({**results, "decoders": [{"key": "ssecodec-py"}]}) == []


def test_a_small_run_writes_the_report(tmp_path: Path) -> None:
    args = [
        "--scale",
        "0.0005",
        "--rounds",
        "2",
        "--min-time",
        "0",
        "--no-chart",
        "--no-progress",
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(
        [sys.executable, str(BENCH / "compare.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    lead = results["decode"][0]["rows"][0]
    assert lead["is_ssecodec"] and lead["correct"] and len(lead["times_s"]) == 2
    assert {c["corpus"] for c in results["chunking"]} == {
        "openai-1500",
        "openai-cjk-1500",
        "openai-1500-kept",
    }
    text = (tmp_path / "report.md").read_text()
    assert "## Summary" in text and "## Correctness" in text and "`bom` (R2)" in text
    assert "decode: OpenAI chunks" in done.stdout
