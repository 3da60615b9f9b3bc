"""history: pages of history per second at random depths of a large room."""

from __future__ import annotations

from typing import Any

from chinwag.bench import seed
from chinwag.bench.harness import BenchError, WorkerPool, loadavg
from chinwag.bench.scenarios.options import Options, header
from chinwag.bench.scenarios.run import Run
from chinwag.bench.scenarios.target import cheap_hash, running
from chinwag.core.validation import GENERAL


def history(
    opts: Options, messages: int = 1_000_000, readers: int = 32, window: int = 1
) -> dict[str, Any]:
    """History pages (50 messages) per second, at random depths of a room holding
    `messages` messages."""
    if opts.quick:
        messages, readers = 500, 4
    room = seed.Room("archive", "public", list(range(readers)), messages=messages)
    plan = seed.Plan(users=readers, password_hash=cheap_hash(), rooms=[room])
    result = header(opts, "history")
    result.update(messages=messages, readers=readers, window=window, page=50)
    opts.log(f"history: {readers} readers paging through {messages} messages")
    with (
        running(opts, plan) as target,
        WorkerPool(opts.worker_count, opts.layout.generator_cpus) as pool,
    ):
        run = Run(opts, pool, target)
        if target.login != "resume":
            raise BenchError("the history scenario needs a server it starts (seeded messages)")
        setup = run.connect(list(range(readers)), lambda u: [GENERAL, "archive"])
        run.settle()
        step = run.closed_loop(
            [(i, "history", "archive", messages) for i in range(readers)],
            window,
            label="history",
        )
        opts.log(
            f"  history: {step['ok_per_s']} pages/s, p50 {step['latency']['p50_ms']} ms "
            f"p99 {step['latency']['p99_ms']} ms, server cpu {step['server_cpu']}"
        )
        result["run"] = {"loop": target.health.get("loop"), "setup": setup, "step": step}
    result["load_after"] = loadavg()
    return result
