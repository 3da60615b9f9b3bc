"""login: logins per second at the real argon2id cost, and what a login storm does to
the delivery latency of users already chatting.
"""

from __future__ import annotations

from typing import Any

from chinwag.bench import seed
from chinwag.bench.harness import CHEAP_ARGON2, WorkerPool, loadavg
from chinwag.bench.scenarios.options import Options, header
from chinwag.bench.scenarios.run import Run
from chinwag.bench.scenarios.target import cheap_hash, default_hash, running
from chinwag.bench.stats import latency_summary
from chinwag.config import ServerConfig
from chinwag.core.validation import GENERAL


def login(
    opts: Options,
    chatters: int = 200,
    storm_users: int = 100,
    concurrency: int = 8,
    chat_rate: float = 50.0,
) -> dict[str, Any]:
    """Logins per second at the real default argon2id cost, and what a login storm
    does to the delivery latency of users already chatting."""
    if opts.quick:
        chatters, storm_users, concurrency, chat_rate = 10, 4, 2, 20.0
    config = ServerConfig()
    result = header(opts, "login")
    result["argon2"] = {
        "time_cost": config.argon2_time_cost,
        "memory_kib": config.argon2_memory_kib,
        "parallelism": config.argon2_parallelism,
    }
    if opts.quick:  # the harness check: cheap hashes
        result["argon2"] = {
            k.removeprefix("CHINWAG_ARGON2_").lower().replace("memory_kib", "memory_kib"): int(v)
            for k, v in CHEAP_ARGON2.items()
        }
    result.update(
        chatters=chatters, storm_users=storm_users, concurrency=concurrency, chat_rate=chat_rate
    )
    hashed = cheap_hash() if opts.quick else default_hash()
    plan = seed.Plan(users=chatters + storm_users, password_hash=hashed)
    opts.log(f"login: {chatters} chatting, storm of {concurrency} x {storm_users} users")
    with (
        running(opts, plan, cheap_argon2=bool(opts.quick)) as target,
        WorkerPool(opts.worker_count, opts.layout.generator_cpus) as pool,
    ):
        senders = min(opts.senders, chatters)
        run = Run(opts, pool, target, senders=senders, probes=min(50, chatters - senders))
        storm_accounts = [
            (target.username(chatters + i), seed.PASSWORD) for i in range(storm_users)
        ]

        storm = run.beside("storm", users=storm_accounts, concurrency=concurrency)

        # Logins alone.
        t_start, t_measure, t_stop, _ = run.times(opts.warmup, opts.measure)
        alone = storm(t_start, t_measure, t_stop)()
        alone_summary = _storm_summary(alone)
        opts.log(
            f"  logins alone: {alone_summary['logins_per_s']}/s, "
            f"p50 {alone_summary['latency']['p50_ms']} ms"
        )
        run.settle()
        setup = run.connect(list(range(chatters)), lambda u: [GENERAL])
        run.settle()
        slots = [(g, GENERAL) for g in range(min(opts.senders, chatters))]
        calm = run.open_loop(slots, chat_rate, label="chat")
        run.settle()
        stormy = run.open_loop(slots, chat_rate, label="chat+storm", extra=storm)
        stormy["extra"] = _storm_summary(stormy["extra"])
        for step in (calm, stormy):
            lat = step["latency"]
            opts.log(
                f"  {step['label']}: p50 {lat['p50_ms']} ms p99 {lat['p99_ms']} ms "
                f"max {lat['max_ms']} ms, missing {step['missing_deliveries']}"
            )
        result["run"] = {
            "loop": target.health.get("loop"),
            "setup": setup,
            "logins": alone_summary,
            "chat": calm,
            "chat_during_storm": stormy,
        }
    result["load_after"] = loadavg()
    return result


def _storm_summary(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "logins": raw["logins"],
        "failed": raw["failed"],
        "codes": raw["codes"],
        "logins_per_s": round(raw["logins"] / raw["seconds"], 2),
        "latency": latency_summary(raw["latencies"]),
    }
