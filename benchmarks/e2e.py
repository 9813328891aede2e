"""End to end: what users get from ssecodec's clients and servers on real HTTP stacks.

    python benchmarks/e2e.py [--quick] [--rounds N] [--events N] [--part clients|servers]
                             [--out DIR]

Runs the two loopback benchmarks, each client and each server in a process of its own, and
writes one ``e2e.json``, ``e2e.md`` and ``e2e.png`` to ``benchmarks/results/e2e/``
(``benchmarks/out/e2e/`` with ``--quick``):

* clients (``e2e_clients.py``): client CPU per event reading OpenAI chat-completion chunks
  from a pre-built body, in three runs: one event per HTTP chunk; the same with every client
  parsing with ``json.loads`` (ssecodec's clients only, beside the baselines and the floor);
  the stream in 16 KiB HTTP chunks;
* servers (``servers.py``): server CPU per event delivered, shapes trickle, one and burst.

Ratios are medians of per-round ratios (the rounds are interleaved, so both sides of a ratio
are measured close together); the targets at the end are judged on them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import e2e_clients as ec
import servers as sv

HERE = Path(__file__).resolve().parent
# ssecodec's clients whose JSON parser is Event.json()'s (orjson when installed)
EVENT_JSON = [
    n
    for n in ec.CLIENTS
    if n.startswith(("EventSource", "AsyncEventSource", "ssecodec.aiohttp", "ssecodec.requests"))
]
RUNS = {  # key -> (title, e2e_clients.py arguments)
    "chunk": ("one event per HTTP chunk", ["--write", "0"]),
    "stdlib": (
        "one event per HTTP chunk, json.loads everywhere",
        ["--write", "0", "--stdlib-json", "--only", *EVENT_JSON],
    ),
    "16k": ("16 KiB HTTP chunks", ["--write", "16384"]),
}
AEV, SEV = "AsyncEventSource, aiohttp (default)", "EventSource, urllib3 (default)"
FLOORS = {
    **dict.fromkeys(sv.UVICORN_SERVERS, "raw-asgi"),
    **dict.fromkeys(sv.AIOHTTP_SERVERS, "raw-aiohttp"),
}


def paired(a: list[float], b: list[float]) -> float:
    """Median of the per-round ratios a/b."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def run_clients(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    out = {}
    for key, (title, extra) in RUNS.items():
        print(f"\n== clients: {title}", flush=True)
        path = tmp / f"clients-{key}.json"
        subprocess.run(
            [
                sys.executable,
                str(HERE / "e2e_clients.py"),
                "--events",
                str(args.events),
                "--rounds",
                str(args.rounds or (1 if args.quick else 5)),
                "--json",
                str(path),
                *extra,
            ],
            check=True,
        )
        result = json.loads(path.read_text())
        s = result["samples"]
        result["vs_baseline"] = {
            n: paired(v, s[ec.BASELINE[ec.CLIENTS[n][0]]]) for n, v in s.items()
        }
        result["floor_over"] = {n: paired(s[ec.FLOOR], v) for n, v in s.items()}
        out[key] = {"title": title, **result}
    return out


def run_servers(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    print("\n== servers", flush=True)
    rounds = args.rounds or (1 if args.quick else None)
    extra = (["--quick"] if args.quick else []) + (["--rounds", str(rounds)] if rounds else [])
    subprocess.run(
        [sys.executable, str(HERE / "servers.py"), *extra, "--out", str(tmp)], check=True
    )
    result: dict[str, Any] = json.loads((tmp / "servers.json").read_text())
    for row in result["rows"]:
        runs = result["samples"][row["shape"]]
        floor = FLOORS.get(row["server"])
        if floor in runs and row["server"] != floor:
            us = [r["us_per_event"] for r in runs[row["server"]]]
            row["floor_share"] = paired([r["us_per_event"] for r in runs[floor]], us)
    return result


def targets(clients: dict[str, Any], servers: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(target, figure, met) for each target the run can judge."""
    found: list[tuple[str, str, bool]] = []
    for key, note in (("chunk", "Event.json()"), ("stdlib", "json.loads")):
        if key not in clients:
            continue
        vs = clients[key]["vs_baseline"]
        found.append(
            (
                f"AsyncEventSource (aiohttp) >= 5x async httpx-sse ({note})",
                f"{vs[AEV]:.3f}x",
                vs[AEV] >= 5,
            )
        )
        found.append(
            (
                f"EventSource (urllib3) >= 4x sync httpx-sse ({note})",
                f"{vs[SEV]:.3f}x",
                vs[SEV] >= 4,
            )
        )
    if "chunk" in clients:
        run = clients["chunk"]
        ours = {n: v for n, v in run["medians"].items() if "ssecodec" in n or "EventSource" in n}
        best = max(ours, key=ours.__getitem__)
        gap = run["floor_over"][best]
        found.append(
            (
                "fastest ssecodec path within 2.5x of the raw-socket floor",
                f"{gap:.3f}x ({best})",
                gap <= 2.5,
            )
        )
        for name in ("ssecodec.httpx (sync), httpx transport", "ssecodec.httpx, httpx transport"):
            value = run["vs_baseline"][name]
            found.append(
                (f"{name} >= 1.4x httpx-sse ({ec.CLIENTS[name][0]})", f"{value:.3f}x", value >= 1.4)
            )
    for row in servers.get("rows", []):
        if row["shape"] == "one" and row["server"].startswith("ssecodec") and "floor_share" in row:
            found.append(
                (
                    f"one at a time: {row['server']} >= 90% of {FLOORS[row['server']]}'s "
                    "events per CPU-second",
                    f"{row['floor_share']:.1%}",
                    row["floor_share"] >= 0.9,
                )
            )
        if row["shape"] == "trickle" and row["server"].startswith("ssecodec"):
            value = row["vs_sse_starlette"]
            found.append(
                (
                    f"trickle: {row['server']} <= 0.7x sse-starlette's CPU per event",
                    f"{value:.3f}x",
                    value <= 0.7,
                )
            )
    return found


def k(x: float) -> str:
    return f"{x / 1000:,.0f}k"


def markdown(report: dict[str, Any]) -> str:
    meta, clients, servers = report["meta"], report["clients"], report["servers"]
    lines = [
        "# End to end: client and server CPU per event",
        "",
        f"`benchmarks/e2e.py {meta['argv']}` at commit {meta['commit']}, {meta['date']}; "
        f"{meta['machine']}; load average {meta['load_start']} at the start, "
        f"{meta['load_end']} at the end; {meta['seconds']:.0f} s.",
        "",
    ]
    if clients:
        first = next(iter(clients.values()))
        lines += [
            "## Clients",
            "",
            (
                f"Client-process CPU per event reading {meta['events']:,} OpenAI chat-completion "
                "chunks from a loopback server that is never the bottleneck, each client in its "
                f"own process, after an untimed warm-up stream; median of {meta['client_rounds']} "
                "interleaved rounds. *vs* is the median of the per-round ratios to httpx + "
                "httpx-sse "
                "of the same kind (sync or async); *floor / client* is the raw socket's events per "
                "CPU-second over the client's. httpx-sse, httpx2 and `ssecodec.httpx` parse with "
                "`json.loads` (their `.json()`), the openai SDK builds its pydantic models, "
                "ssecodec's other clients parse with `Event.json()` (orjson "
                f"{first['versions'].get('orjson', 'missing')}) in the first run and with "
                "`json.loads` in the second."
            ),
        ]
        head = "| client |" + "".join(f" {clients[key]['title']} | vs |" for key in clients)
        lines += ["", head + " floor / client |", "|---|" + "---:|---:|" * len(clients) + "---:|"]
        for name in ec.CLIENTS:
            cells = []
            for run in clients.values():
                value = run["medians"].get(name)
                cells.append(
                    " - | - |"
                    if value is None
                    else f" {k(value)} | {run['vs_baseline'][name]:.2f}x |"
                )
            floor = clients.get("chunk", {}).get("floor_over", {}).get(name)
            lines.append(f"| {name} |" + "".join(cells) + (f" {floor:.2f} |" if floor else " - |"))
        lines += [
            "",
            "Versions: " + ", ".join(f"{a} {b}" for a, b in first["versions"].items()),
            "",
        ]
    if servers:
        m = servers["meta"]
        lines += [
            "## Servers",
            "",
            f"Server-process CPU per event delivered (µs), median of {m['rounds']} "
            f"interleaved rounds; trickle: {m['streams']:,} streams, one event every "
            f"{sv.TRICKLE_INTERVAL * 1000:g} ms each, {m['window']:g} s window; one: "
            f"{m['one_events']:,} events one at a time; burst: {m['burst_events']:,} events "
            "ready at once. *vs sse-starlette*: median of the per-round ratios of CPU per "
            "event (lower is better); *of floor*: the floor's CPU per event over the "
            "server's, i.e. the share of the floor's events per CPU-second it reaches "
            "(raw-asgi for the uvicorn servers, raw-aiohttp for aiohttp's).",
            "",
        ]
        shapes = list(servers["samples"])
        lines += [
            "| server |" + "".join(f" {s}: µs | vs sse-starlette | of floor |" for s in shapes),
            "|---|" + "---:|---:|---:|" * len(shapes),
        ]
        rows = {(r["shape"], r["server"]): r for r in servers["rows"]}
        for name in servers["samples"][shapes[0]]:
            cells = ""
            for shape in shapes:
                r = rows[shape, name]
                share = r.get("floor_share")
                cells += (
                    f" {r['us_per_event']:.1f} | {r.get('vs_sse_starlette', 0):.2f}x | "
                    f"{'-' if share is None else f'{share:.0%}'} |"
                )
            lines.append(f"| {name} |{cells}")
        lines += ["", "Versions: " + ", ".join(f"{a} {b}" for a, b in m["versions"].items()), ""]
    lines += ["## Targets", "", "| target | measured | verdict |", "|---|---:|---|"]
    lines += [f"| {t} | {v} | {'met' if ok else '**not met**'} |" for t, v, ok in report["targets"]]
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clients, servers = report["clients"], report["servers"]
    fig, axes = plt.subplots(1, 2, figsize=(15, 7), gridspec_kw={"width_ratios": [3, 2]})
    ax = axes[0]
    runs = [key for key in ("chunk", "16k") if key in clients]
    names = [n for n in ec.CLIENTS if all(n in clients[key]["medians"] for key in runs)]
    for i, key in enumerate(runs):
        values = [clients[key]["medians"][n] for n in names]
        ax.barh(
            [j + i * 0.4 for j in range(len(names))],
            values,
            height=0.4,
            label=clients[key]["title"],
            color=("#1565c0", "#90caf9")[i],
        )
    ax.set_yticks([j + 0.2 for j in range(len(names))], names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("events per client CPU-second (log)")
    ax.set_title("Clients: OpenAI chunks over loopback")
    ax.legend(fontsize=8, loc="upper right")
    ax = axes[1]
    if servers:
        shapes = list(servers["samples"])
        names = list(servers["samples"][shapes[0]])
        rows = {(r["shape"], r["server"]): r for r in servers["rows"]}
        for i, shape in enumerate(shapes):
            ax.barh(
                [j + i * 0.27 for j in range(len(names))],
                [rows[shape, n]["us_per_event"] for n in names],
                height=0.27,
                label=shape,
                color=("#2e7d32", "#66bb6a", "#c8e6c9")[i % 3],
            )
        ax.set_yticks([j + 0.27 for j in range(len(names))], names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("server CPU µs per event (log; lower is better)")
        ax.set_title("Servers: CPU per event delivered")
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"ssecodec end to end, {report['meta']['machine']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    parser.add_argument("--rounds", type=int, help="rounds (clients 5, servers 7; quick 1)")
    parser.add_argument("--events", type=int, help="client events (50,000; quick 5,000)")
    parser.add_argument("--part", choices=["clients", "servers"], help="run only this side")
    parser.add_argument("--out", help="where to write e2e.json, e2e.md and e2e.png")
    args = parser.parse_args()
    args.events = args.events or (5000 if args.quick else 50_000)
    began, load_start = time.monotonic(), ", ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        clients = run_clients(args, Path(tmp)) if args.part != "servers" else {}
        servers = run_servers(args, Path(tmp)) if args.part != "clients" else {}
    versions = sv.versions()
    report = {
        "meta": {
            "argv": " ".join(sys.argv[1:]) or "(defaults)",
            "commit": versions["commit"],
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": sv.machine(),
            "load_start": load_start,
            "load_end": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
            "seconds": time.monotonic() - began,
            "events": args.events,
            "client_rounds": args.rounds or (1 if args.quick else 5),
        },
        "clients": clients,
        "servers": servers,
        "targets": targets(clients, servers),
    }
    out = Path(args.out) if args.out else HERE / ("out" if args.quick else "results") / "e2e"
    out.mkdir(parents=True, exist_ok=True)
    (out / "e2e.json").write_text(json.dumps(report, indent=1) + "\n")
    text = markdown(report)
    (out / "e2e.md").write_text(text)
    chart(report, out / "e2e.png")
    print("\n" + text)
    print(f"written: {out / 'e2e.json'}, {out / 'e2e.md'}, {out / 'e2e.png'}")


if __name__ == "__main__":
    main()
