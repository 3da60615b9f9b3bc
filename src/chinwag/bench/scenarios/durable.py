"""durable: messages per second acknowledged, each committed before its `ok`."""

from __future__ import annotations

from typing import Any

from chinwag.bench import seed
from chinwag.bench.harness import BenchError, WorkerPool, loadavg
from chinwag.bench.scenarios.options import Options, header
from chinwag.bench.scenarios.run import Run
from chinwag.bench.scenarios.target import cheap_hash, running
from chinwag.core.validation import GENERAL


def durable(
    opts: Options, senders: int = 64, listeners: int = 100, window: int = 2
) -> dict[str, Any]:
    """Messages per second acknowledged (each committed before its ok), with each sender
    alone in its room, and with everyone in one room of `listeners`."""
    if opts.quick:
        senders, listeners = 4, 10
    users = max(senders, listeners)
    solo = [seed.Room(f"solo-{i:03d}", "private", [i]) for i in range(senders)]
    plan = seed.Plan(users=users, password_hash=cheap_hash(), rooms=solo)
    result = header(opts, "durable")
    result.update(senders=senders, listeners=listeners, window=window)
    opts.log(f"durable: {senders} senders, window {window}; fan-out to {listeners}")
    with (
        running(opts, plan) as target,
        WorkerPool(opts.worker_count, opts.layout.generator_cpus) as pool,
    ):
        run = Run(opts, pool, target, senders=senders)
        if target.login != "resume":
            raise BenchError("the durable scenario needs a server it starts (seeded rooms)")
        setup = run.connect(
            list(range(users)),
            lambda u: [GENERAL] + ([f"solo-{u:03d}"] if u < senders else []),
        )
        run.settle()
        steps = []
        alone = run.closed_loop(
            [(i, "send", f"solo-{i:03d}", 0) for i in range(senders)],
            window,
            label="durable-alone",
        )
        steps.append(alone)
        run.settle()
        shared = run.closed_loop(
            [(i, "send", GENERAL, 0) for i in range(senders)], window, label="durable-fanout"
        )
        steps.append(shared)
        for step in steps:
            opts.log(
                f"  durable {step['label']}: {step['ok_per_s']} acked msgs/s, "
                f"p50 {step['latency']['p50_ms']} ms p99 {step['latency']['p99_ms']} ms, "
                f"{step['delivered_per_s']} deliveries/s, server cpu {step['server_cpu']}, "
                f"missing {step['missing_deliveries']}"
            )
        result["run"] = {"loop": target.health.get("loop"), "setup": setup, "steps": steps}
    result["load_after"] = loadavg()
    return result
