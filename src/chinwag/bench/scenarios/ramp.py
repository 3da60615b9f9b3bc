"""Steps at rising offered rates, and the figures a ramp is summed up by."""

from __future__ import annotations

from typing import Any

from chinwag.bench.scenarios.options import SUSTAINED_SHARE
from chinwag.bench.scenarios.run import Run


def best(steps: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [s for s in steps if s.get("ok")]
    valid = [s for s in steps if s.get("valid")]
    return {
        "max_sustained_deliveries_per_s": max(
            (s["offered_deliveries_per_s"] for s in ok), default=0
        ),
        "max_sustained_msgs_per_s": max((s["offered_msgs_per_s"] for s in ok), default=0),
        "peak_delivered_per_s": max((s["delivered_per_s"] for s in valid), default=0),
        # Counting the steps where the generator saturated too (a fairer ceiling for a
        # server that saturates at the same time as the generator).
        "peak_delivered_any_per_s": max((s["delivered_per_s"] for s in steps), default=0),
        "invalid_steps": sum(1 for s in steps if not s.get("valid")),
        # The ramp ended on the generator, not the server: the server's ceiling is higher.
        "generator_bound": bool(
            steps and steps[-1].get("saturated") and steps[-1]["server_cpu"] < 0.9
        ),
    }


def _invalid(step: dict[str, Any]) -> str:
    if step["valid"]:
        return ""
    if step["saturated"]:
        return " [INVALID: generator saturated]"
    return f" [INVALID: generator {step['generator_lag_s'] * 1000:.0f} ms late (busy machine?)]"


def _overloaded(step: dict[str, Any]) -> bool:
    """Not keeping up: delivering less than offered, losing some, or p99 over 1 s."""
    short = step["delivered_per_s"] < SUSTAINED_SHARE * step["offered_deliveries_per_s"]
    lost = step["missing_deliveries"] > 0 or step["connections_lost"] > 0
    return bool(short or lost or step["latency"]["p99_ms"] > 1000)


def ramp(
    run: Run,
    slots: list[tuple[int, str]],
    rates: list[float],
    label: str,
    profile_at: float | None = None,
) -> list[dict[str, Any]]:
    """Steps at rising offered rates until two in a row are overloaded (or the
    generator saturates)."""
    steps: list[dict[str, Any]] = []
    bad = 0
    for rate in rates:
        profile = None
        if run.opts.profile_dir is not None and profile_at is not None and rate == profile_at:
            profile = run.opts.profile_dir / f"{label}-{int(rate)}.txt"
        step = run.open_loop(slots, rate, label=label, profile=profile)
        if profile is not None:
            step["profile"] = str(profile)
        steps.append(step)
        lat = step["latency"]
        run.opts.log(
            f"  {label} {rate:>8.1f} msg/s -> {step['delivered_per_s']:>8} deliveries/s "
            f"(offered {step['offered_deliveries_per_s']}), p50 {lat['p50_ms']} ms "
            f"p99 {lat['p99_ms']} ms max {lat['max_ms']} ms, server cpu {step['server_cpu']} "
            f"(loop {step['server_loop_cpu']}), "
            f"generator cpu {step['generator_cpu']}, missing {step['missing_deliveries']}, "
            f"errors {step['errors']}, lost {step['connections_lost']}"
            f"{_invalid(step)}"
        )
        if step["saturated"]:
            break
        bad = bad + 1 if _overloaded(step) else 0
        if bad >= 2:
            break
        run.settle()
    return steps
