"""Correctness: every peer's events against ssecodec's pure-Python twin, and the report on it.

The pure-Python twin is the oracle: the test-suite checks it rule by rule against the WHATWG
algorithm (docs/spec.md). Compared: event type, data, last event ID and, where the peer reports
one per event, ``retry``; a field a peer does not report (``peers.NA``) is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import peers
import tricky
from fmt import table

Events = Sequence[peers.Normalized]


def same(got: Events, want: Events) -> bool:
    """Equal event lists, ignoring the fields a peer does not report."""
    return len(got) == len(want) and all(
        all(a is peers.NA or a == b for a, b in zip(g, w, strict=True))
        for g, w in zip(got, want, strict=True)
    )


def verdict(got: Events | None, want: Events) -> tuple[bool, dict[str, Any] | None]:
    """Whether ``got`` is right and, if it is not, its first difference (None if it raised)."""
    if got is None or same(got, want):
        return got is not None, None
    return False, first_difference(got, want)


def event_dict(ev: peers.Normalized) -> dict[str, Any]:
    """An event for the JSON results, long values clipped."""

    def clip(value: Any) -> Any:
        if isinstance(value, str) and len(value) > 120:
            return f"{value[:60]}...{value[-30:]} ({len(value)} chars)"
        return value

    event, data, id_, retry = ev
    return {
        "event": clip(event),
        "data": clip(data),
        "id": clip(id_),
        "retry": "n/a" if retry is peers.NA else retry,
    }


def first_difference(got: Events, want: Events) -> dict[str, Any]:
    """The first event where ``got`` and ``want`` differ (or where one of them ends)."""
    i = 0
    while i < min(len(got), len(want)) and same([got[i]], [want[i]]):
        i += 1
    return {
        "index": i,
        "got": event_dict(got[i]) if i < len(got) else None,
        "expected": event_dict(want[i]) if i < len(want) else None,
    }


def run_decoder(
    peer: peers.DecoderPeer, chunks: list[bytes]
) -> tuple[list[peers.Normalized] | None, str | None]:
    """The peer's events, normalized, or None and the exception it raised."""
    try:
        return [peer.normalize(e) for e in peer.run(chunks)], None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def expected_from_items(items: peers.Items) -> list[peers.Normalized]:
    """What decoding an encoder's output must give back for its ``(data, event, id)`` items."""
    out, last_id = [], ""
    for data, event, id_ in items:
        last_id = last_id if id_ is None else id_
        data = data.replace("\r\n", "\n").replace("\r", "\n")
        out.append((event or "message", data, last_id, None))
    return out


def check_tricky(
    decoders: list[peers.DecoderPeer], oracle: peers.DecoderPeer
) -> list[dict[str, Any]]:
    """Every decoder on every case of ``tricky.py``, against the oracle."""
    cases = []
    for case in tricky.CASES:
        want, _ = run_decoder(oracle, list(case.chunks))
        assert want is not None
        results = {}
        for peer in decoders:
            got, err = run_decoder(peer, list(case.chunks))
            results[peer.key] = {
                "events": None if got is None else [event_dict(e) for e in got],
                "error": err,
                "agrees": got is not None and same(got, want),
            }
        cases.append(
            {
                "case": case.name,
                "rule": case.rule,
                "why": case.why,
                "chunks": [repr(c) for c in case.chunks],
                "expected": [event_dict(e) for e in want],
                "results": results,
            }
        )
    return cases


# ----------------------------------------------------------------------------- the report


def disagreements(results: dict[str, Any]) -> dict[str, list[str]]:
    """``{peer label: [tricky case or corpus, ...]}`` for every disagreement with the oracle."""
    label = {d["key"]: d["label"] for d in results["decoders"]}
    out: dict[str, list[str]] = {}
    for case in results["tricky"]:
        for key, res in case["results"].items():
            if not res["agrees"]:
                out.setdefault(label[key], []).append(case["case"])
    for entry in results["decode"]:
        for row in entry["rows"]:
            if not row["correct"]:
                out.setdefault(row["label"], []).append(f"corpus {entry['corpus']}")
    return out


def _code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _events(events: list[dict[str, Any]] | None, error: str | None) -> str:
    if events is None:
        return f"raises `{error}`"
    parts = []
    for e in events:
        fields = [f"event={e['event']!r}"] if e["event"] != "message" else []
        fields.append(f"data={e['data']!r}")
        fields += [f"id={e['id']!r}"] if e["id"] else []
        fields += [f"retry={e['retry']!r}"] if e["retry"] not in (None, "n/a") else []
        parts.append(_code(", ".join(fields)))
    return "<br>".join(parts) or "(no event)"


def markdown(results: dict[str, Any]) -> list[str]:
    """The report's "Correctness" section: corpora, tricky inputs, every disagreement."""
    decoders, decode = results["decoders"], results["decode"]
    lines = [
        "## Correctness",
        "",
        "Each decoder's events compared with ssecodec's pure-Python "
        "twin (event type, data, last event ID, and per-event retry where the peer reports "
        "it).",
        "",
        "### On the benchmark corpora",
        "",
    ]
    rows = []
    for d in decoders:
        cells = [d["label"]]
        for entry in decode:
            row = next(r for r in entry["rows"] if r["impl"] == d["key"])
            cells.append(
                "error"
                if row["error"]
                else "✓"
                if row["correct"]
                else f"✗ {row['n_events']:,} events (want {entry['events']:,})"
            )
        rows.append(cells)
    lines += table(
        ["implementation", *(f"`{e['corpus']}`" for e in decode)], rows, "l" + "c" * len(decode)
    )
    for entry in decode:
        for row in (r for r in entry["rows"] if not r["correct"]):
            what = f"raises `{row['error']}`"
            if not row["error"]:
                fd = row["first_difference"]
                what = (
                    f"{row['n_events']:,} events instead of {entry['events']:,}; first "
                    f"difference at event #{fd['index']:,}: got {_events(_one(fd['got']), '')}"
                    f", expected {_events(_one(fd['expected']), '')}"
                )
            lines += ["", f"- **{row['label']}** on `{entry['corpus']}`: {what}"]

    peers_ = [d for d in decoders if d["key"] != "ssecodec-py"]
    rows = [
        [f"`{case['case']}` ({case['rule']})"]
        + [
            "✓" if res["agrees"] else "raises" if res["error"] else "✗"
            for res in (case["results"][d["key"]] for d in peers_)
        ]
        for case in results["tricky"]
    ]
    lines += ["", "### Tricky inputs", ""]
    lines += table(["case (rule)", *(d["label"] for d in peers_)], rows, "l" + "c" * len(peers_))
    lines += ["", "Every disagreement, with the input (chunks as fed) and both outputs:", ""]
    label = {d["key"]: d["label"] for d in decoders}
    for case in results["tricky"]:
        bad = [(k, r) for k, r in case["results"].items() if not r["agrees"]]
        if bad:
            lines += [
                f"#### `{case['case']}` ({case['rule']}): {case['why']}",
                "",
                "Input: " + " + ".join(_code(_clip(c)) for c in case["chunks"]),
                "",
            ]
            rows = [["ssecodec (spec)", _events(case["expected"], None)]]
            rows += [[label[k], _events(r["events"], r["error"])] for k, r in bad]
            lines += [*table(["decoder", "events"], rows, "ll"), ""]
    return lines


def _one(event: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [event] if event else []


def _clip(text: str) -> str:
    return text if len(text) <= 90 else text[:70] + "…" + text[-15:]
