"""fanout: N connections in one room, S of them sending at rising offered rates (against
the bare aiohttp reference server too, with `compare`).
"""

from __future__ import annotations

import functools
from typing import Any

from chinwag.bench import seed
from chinwag.bench.harness import WorkerPool, loadavg
from chinwag.bench.scenarios.options import PROBES, Options, header
from chinwag.bench.scenarios.ramp import best, ramp
from chinwag.bench.scenarios.run import Run
from chinwag.bench.scenarios.target import cheap_hash, running
from chinwag.core.validation import GENERAL

FANOUT_DELIVERIES = [
    10_000,
    20_000,
    40_000,
    60_000,
    80_000,
    100_000,
    120_000,
    140_000,
    160_000,
    180_000,
    200_000,
    240_000,
    280_000,
    320_000,
    400_000,
]


def fanout(
    opts: Options,
    ns: list[int] | None = None,
    *,
    compare: bool = False,
    rates: list[float] | None = None,
) -> dict[str, Any]:
    """N connections in one room, S of them sending at rising offered rates."""
    ns = ns or ([20] if opts.quick else [200, 1000, 5000])
    result = header(opts, "fanout")
    result["senders"] = opts.senders
    result["runs"] = []
    hashed = cheap_hash()
    for n in ns:
        kinds = ["chinwag", "reference"] if compare else ["chinwag"]
        for kind in kinds:
            opts.log(f"fanout: {kind}, {n} connections")
            plan = seed.Plan(users=n, password_hash=hashed)
            with (
                running(opts, plan, kind=kind) as target,
                WorkerPool(opts.worker_count, opts.layout.generator_cpus) as pool,
            ):
                senders = min(opts.senders, n)
                run = Run(opts, pool, target, senders=senders, probes=min(PROBES, n - senders))
                room = "all" if kind == "reference" else GENERAL
                setup = run.connect(list(range(n)), functools.partial(_one_room, room))
                run.settle()
                slots = [(g, room) for g in range(senders)]
                step_rates = rates or [d / n for d in FANOUT_DELIVERIES]
                steps = ramp(
                    run, slots, step_rates, f"{kind}-{n}", profile_at=_profile_rate(step_rates, n)
                )
                result["runs"].append(
                    {
                        "server": kind,
                        "connections": n,
                        "loop": target.health.get("loop"),
                        "setup": setup,
                        "steps": steps,
                        **best(steps),
                    }
                )
    result["compare"] = compare_runs(result["runs"]) if compare else None
    result["load_after"] = loadavg()
    return result


def _one_room(room: str, _user: int) -> list[str]:
    return [room]


def _profile_rate(rates: list[float], n: int) -> float | None:
    """The step to profile: the one offering about 100,000 deliveries/s."""
    if not rates:
        return None
    return min(rates, key=lambda r: abs(r * n - 100_000))


def compare_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    by = {(r["server"], r["connections"]): r for r in runs}
    for (server, n), run in sorted(by.items()):
        ref = by.get(("reference", n))
        if server != "chinwag" or ref is None:
            continue
        # Conservative: chinwag's best valid step against the reference's best step,
        # valid or not.
        out.append(
            {
                "connections": n,
                "chinwag_peak": run["peak_delivered_per_s"],
                "chinwag_generator_bound": run.get("generator_bound", False),
                "reference_peak": ref["peak_delivered_any_per_s"],
                "peak_ratio": _ratio(run["peak_delivered_per_s"], ref["peak_delivered_any_per_s"]),
                "chinwag_sustained": run["max_sustained_deliveries_per_s"],
                "reference_sustained": ref["max_sustained_deliveries_per_s"],
                "sustained_ratio": _ratio(
                    run["max_sustained_deliveries_per_s"], ref["max_sustained_deliveries_per_s"]
                ),
            }
        )
    return out


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None
