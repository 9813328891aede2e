"""Number formats and the one table renderer (Markdown, or aligned text for the terminal)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence


def rate(x: float | None) -> str:
    """Events per second: 3 significant digits with k, M, G."""
    if not x:
        return "-"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.3g}{unit}" if x / div < 100 else f"{x / div:.0f}{unit}"
    return f"{x:.3g}"


def mbps(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def ratio(x: float | None) -> str:
    return "-" if not x else f"{x:.2f}×" if x < 10 else f"{x:.1f}×"


def change(x: float) -> str:
    """A ratio of events/s as a change: 0.8 is −20.0%."""
    return f"{x - 1:+.1%}".replace("-", "−")


def span(values: Sequence[float], show: Callable[[float], str]) -> str:
    """The range of the rounds' values, e.g. ``13.3× … 18.2×``."""
    return f"{show(min(values))} … {show(max(values))}"


def spread(times: Sequence[float]) -> str:
    """Half the spread of the rounds around their median."""
    if len(times) < 2:
        return "-"
    return f"±{(max(times) - min(times)) / 2 / statistics.median(times):.0%}"


def size(n: int) -> str:
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n:,} B"


def megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], align: str, md: bool = True
) -> list[str]:
    """``align``: one of ``l``, ``r``, ``c`` per column. ``md=False``: plain aligned text,
    Markdown emphasis and code marks dropped."""
    if md:
        sep = ["---:" if a == "r" else ":---:" if a == "c" else "---" for a in align]
        return [f"| {' | '.join(cells)} |" for cells in (header, sep, *rows)]
    plain = [[c.replace("**", "").replace("`", "") for c in r] for r in (header, *rows)]
    widths = [max(len(r[i]) for r in plain) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        cols = zip(cells, widths, align, strict=True)
        return "  ".join(c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in cols).rstrip()

    return [line(plain[0]), line(["-" * w for w in widths]), *map(line, plain[1:])]
