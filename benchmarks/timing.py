"""Timed samples: calls taken in turn with the collector off, and the paired ratio.

A shared machine has slow spells of a second or more, so two implementations timed seconds
apart can move by ±20% against each other. Calls that alternate meet the same spells: their
ratio is what ``make bench`` judges (see README.md, "Paired ratios").
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

MIN_TIME = 0.2  # seconds: the shortest timed sample (faster calls are repeated within it)
MAX_REPEAT = 1000
T = TypeVar("T")


def timed_calls(
    fns: Sequence[Callable[[], Any]], repeat: int = 1, counts: Sequence[int] | None = None
) -> list[float]:
    """Seconds per call of each of ``fns``, called in turn ``repeat`` times (f0, f1, f0, f1,
    ...; ``counts[k]`` calls of ``fns[k]`` at each turn, 1 by default), with the collector
    collected first and off throughout. Each call is timed on its own and what it returns is
    dropped untimed, as after a single call."""
    counts = [1] * len(fns) if counts is None else list(counts)
    totals = [0] * len(fns)
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for k, fn in enumerate(fns):
                for _ in range(counts[k]):
                    start = time.perf_counter_ns()
                    result = fn()
                    totals[k] += time.perf_counter_ns() - start
                    del result
    finally:
        gc.enable()
    return [total / (repeat * count) / 1e9 for total, count in zip(totals, counts, strict=True)]


def timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    """Seconds per call of ``fn`` over ``repeat`` calls (see :func:`timed_calls`)."""
    return timed_calls([fn], repeat)[0]


def repeats_for(seconds_per_call: float, min_time: float) -> int:
    """How many calls make one timed sample last at least ``min_time`` seconds."""
    if seconds_per_call <= 0:
        return MAX_REPEAT
    return max(1, min(MAX_REPEAT, math.ceil(min_time / seconds_per_call)))


def paired_sample(
    lead: Callable[[], Any], lead_s: float, base: Callable[[], Any], base_s: float, min_time: float
) -> float:
    """How many times faster ``lead`` runs than ``base``, from calls that alternate: one call
    of ``base``, then as many of ``lead`` as take about as long, repeated until the sample
    lasts ``min_time``. ``lead_s`` and ``base_s`` are their measured seconds per call."""
    per_base = max(1, round(base_s / lead_s)) if lead_s > 0 else 1
    turns = repeats_for(base_s + per_base * lead_s, min_time)
    base_t, lead_t = timed_calls([base, lead], turns, [1, per_base])
    return base_t / lead_t


def seconds(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and the seconds it took: an untimed call that sizes the timed samples."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def rotate(items: Sequence[T], k: int) -> list[T]:
    """``items`` started at position ``k``: the order of each round, so none is always first."""
    k = k % len(items) if items else 0
    return [*items[k:], *items[:k]]
