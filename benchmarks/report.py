"""Render ``results.json`` (see ``compare.py``) as ``report.md``, the terminal summary and the
generated blocks of the READMEs.

    python benchmarks/report.py benchmarks/out                      # re-render a run
    python benchmarks/report.py benchmarks/results --update-readme  # the committed run, into
                                                   # README.md and benchmarks/README.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import correctness
from fmt import change, mbps, megabytes, rate, ratio, size, span, spread, table
from summary import BASELINES, chunk_lines, summary_table, targets_table

HERE = Path(__file__).resolve().parent
METHOD = "../README.md#paired-ratios"  # from report.md, in benchmarks/out/ or benchmarks/results/


def _label(results: dict[str, Any], row: dict[str, Any]) -> str:
    version = results["versions"].get(row["impl"])
    return row["label"] if row["is_ssecodec"] or not version else f"{row['label']} {version}"


def corpus_table(results: dict[str, Any], kind: str, entry: dict[str, Any]) -> list[str]:
    """Every implementation on one corpus of ``kind`` (decode, encode): ssecodec's rows first,
    then the fastest first."""
    rows = []
    for r in sorted(entry["rows"], key=lambda r: (not r["is_ssecodec"], -(r["events_per_s"] or 0))):
        paired = r.get("paired_ratios")
        rows.append(
            [
                _label(results, r),
                rate(r.get("events_per_s")),
                mbps(r.get("mb_per_s")),
                spread(r["times_s"]),
                f"{ratio(r['vs_baseline_paired'])} ({span(paired, ratio)})" if paired else "",
                "error" if r.get("error") else "✓" if r["correct"] else "✗",
            ]
        )
    header = [
        "implementation",
        "events/s",
        "MB/s" if kind == "decode" else "MB/s out",
        "±",
        f"paired vs {BASELINES[kind]} (rounds)",
        "correct" if kind == "decode" else "round-trip",
    ]
    return table(header, rows, "lrrrrc")


def chunking_table(results: dict[str, Any]) -> list[str]:
    """Each implementation's change in events/s with smaller chunks, per re-chunked corpus."""
    entries = results.get("chunking", [])
    if not entries:
        return []
    labels = {r["label"]: r["impl"] for e in entries for r in e["rows"]}
    rows = []
    for label, impl in labels.items():
        cells = []
        for e in entries:
            r = next((r for r in e["rows"] if r["impl"] == impl), None)
            cells.append(f"{change(r['median_ratio'])} ({span(r['ratios'], change)})" if r else "-")
        row = {"impl": impl, "label": label, "is_ssecodec": impl.startswith("ssecodec")}
        rows.append([_label(results, row), *cells])
    header = [
        "implementation",
        *(
            f"`{e['corpus']}` vs `{e['base']}`: {size(e['chunk_size'])} vs "
            f"{size(e['base_chunk_size'])}"
            for e in entries
        ),
    ]
    return table(header, rows, "l" + "r" * len(entries))


def run_header(results: dict[str, Any]) -> str:
    meta = results["meta"]
    load = meta["loadavg_at_start"][0] if meta["loadavg_at_start"] else "?"
    return (
        f"{'Quick' if meta['quick'] else 'Full'} run of {meta['date']}: {meta['python']}, "
        f"{meta['cpu']}, {meta['cpus']} CPUs shared with other jobs (load average {load} at "
        f"the start), {meta['rounds']} rounds, ssecodec at commit `{meta['commit']}`; "
        f"{meta['duration_s']:.0f} s."
    )


def markdown(results: dict[str, Any], chart_name: str | None = "chart.png") -> str:
    meta = results["meta"]
    lines = [
        "# ssecodec benchmark report",
        "",
        f"**Quick run** (`--quick`: event counts x{meta['scale']}): for checking the setup, not "
        "for quoting."
        if meta["quick"]
        else "Full run (`make bench`).",
        "",
        "## Setup",
        "",
        f"- **Machine:** {meta['cpu']}, {meta['cpus']} CPUs; {meta['platform']}; load average "
        f"at start {meta['loadavg_at_start']}",
        f"- **Python:** {meta['python']} ({meta['python_build']}), GIL {meta['gil']}",
        f"- **ssecodec:** {meta['ssecodec']} at commit `{meta['commit']}`; default "
        f"implementation `{meta['ssecodec_default_implementation']}`",
        f"- **Method:** [benchmarks/README.md](../README.md#method): {meta['rounds']} timed "
        f"rounds after an untimed warm-up, samples of at least {meta['min_time_s']:g} s, GC off "
        f"while timing; corpora from a fixed seed, scale {meta['scale']}, "
        f"{meta['chunk_size']:,}-byte chunks unless the corpus says otherwise.",
        f"- **Run time:** {meta['duration_s']:.0f} s, {meta['date']}.",
        "",
    ]
    rows = [
        [d["label"], results["versions"].get(d["key"]) or "-", f"`{d['how']}`"]
        for d in results["decoders"]
    ]
    rows += [
        [f"{e['label']} (encoder)", results["versions"].get(e["key"]) or "-", f"`{e['how']}`"]
        for e in results["encoders"]
        if not e["key"].startswith("ssecodec")
    ]
    lines += table(["implementation", "version", "driven through"], rows, "lll")
    if results["missing"]:
        lines += ["", "Not measured (not importable here): " + ", ".join(results["missing"]) + "."]
    lines += ["", "## Summary", "", *summary_table(results, METHOD), "", *chunk_lines(results)]
    if targets := targets_table(results):
        lines += ["", "## Targets", "", *targets]
    if chart_name:
        lines += ["", f"![events per second per corpus, log scale]({chart_name})"]
    for kind, title in (("decode", "Decoders"), ("encode", "Encoders")):
        lines += ["", f"## {title}"]
        for entry in results[kind]:
            about = entry["description"]
            if kind == "decode":
                about += (
                    f": {entry['events']:,} events, {megabytes(entry['bytes'])}, "
                    f"{entry['chunks']:,} chunks"
                )
            lines += ["", f"### {entry['title']} (`{entry['corpus']}`)", "", about + ".", ""]
            lines += corpus_table(results, kind, entry)
        if kind == "decode" and (chunks := chunking_table(results)):
            lines += [
                "",
                "## Chunk size",
                "",
                "Events/s with the smaller chunks against the "
                "larger, the two called in turn in each round: median (rounds).",
                "",
                *chunks,
            ]
    lines += ["", *correctness.markdown(results)]
    lines += ["## Caveats", "", "See [benchmarks/README.md](../README.md#caveats).", ""]
    return "\n".join(lines)


def terminal(results: dict[str, Any]) -> str:
    out = [f"ssecodec benchmark. {run_header(results)}", ""]
    if results["missing"]:
        out += [f"not measured (not importable): {', '.join(results['missing'])}", ""]
    out += [*summary_table(results, METHOD, md=False), "", *chunk_lines(results)]
    if targets := targets_table(results, md=False):
        out += ["", *targets]
    if bugs := correctness.disagreements(results):
        out += ["", "disagreements with the SSE spec (inputs and outputs in report.md):"]
        out += [f"  {peer}: {', '.join(names)}" for peer, names in bugs.items()]
    return "\n".join(line.replace("**", "").replace("`", "") for line in out)


def write(results: dict[str, Any], out: Path, chart: bool = True) -> list[Path]:
    """``report.md`` and (unless ``chart`` is false) ``chart.png`` in ``out``."""
    written = [out / "results.json", out / "report.md"]
    if chart:
        from chart import chart as draw

        draw(results, out / "chart.png")
        written.append(out / "chart.png")
    written[1].write_text(markdown(results, "chart.png" if chart else None))
    return written


def _replace_block(path: Path, name: str, body: list[str]) -> None:
    text = path.read_text()
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    if start not in text or end not in text:
        raise SystemExit(f"{path}: markers {start} ... {end} not found")
    head, rest = text.split(start, 1)
    path.write_text(head + start + "\n" + "\n".join(body) + "\n" + end + rest.split(end, 1)[1])


def update_readme(results: dict[str, Any]) -> None:
    """The generated blocks: the results in benchmarks/README.md, the snippet in README.md."""
    chunks = chunk_lines(results)
    _replace_block(
        HERE / "README.md",
        "RESULTS-TABLE",
        [
            run_header(results),
            "",
            *summary_table(results, "#paired-ratios"),
            "",
            *chunks,
            "",
            *targets_table(results),
        ],
    )
    meta = results["meta"]
    _replace_block(
        HERE.parent / "README.md",
        "README-SNIPPET",
        [
            *summary_table(results, "benchmarks/README.md#paired-ratios"),
            "",
            *chunks,
            "",
            f"{meta['python']} on {meta['cpus']} shared CPUs ({meta['cpu']}), median of "
            f"{meta['rounds']} rounds. Method, every peer, correctness and caveats: "
            "[benchmarks/README.md](benchmarks/README.md); reproduce with `make bench`.",
            "",
            "![ssecodec vs peers, events per second, log scale](benchmarks/results/chart.png)",
        ],
    )


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    out = Path(args[0]) if args else HERE / "out"
    results = json.loads((out / "results.json").read_text())
    if "--update-readme" in argv:
        update_readme(results)
    else:
        write(results, out)
        print(terminal(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
