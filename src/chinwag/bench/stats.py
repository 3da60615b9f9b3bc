"""Summaries of latency samples."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(ordered: list[int], q: float) -> float:
    """The q-th percentile (nearest rank) of sorted samples."""
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return float(ordered[rank])


def latency_summary(samples_ns: Iterable[int]) -> dict[str, float | int]:
    """Count, p50, p95, p99 and max, in milliseconds."""
    ordered = sorted(samples_ns)
    ms = 1e6
    return {
        "samples": len(ordered),
        "p50_ms": round(percentile(ordered, 50) / ms, 3),
        "p95_ms": round(percentile(ordered, 95) / ms, 3),
        "p99_ms": round(percentile(ordered, 99) / ms, 3),
        "max_ms": round((ordered[-1] if ordered else float("nan")) / ms, 3),
    }
