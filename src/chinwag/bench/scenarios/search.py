"""search: what searches cost the server, and that they never hold up sends.

A room of `messages` seeded messages of made-up words; `searchers` users searching two
words at a time, as fast as they are answered; meanwhile senders post at a steady rate
to general, whose delivery latency is measured (as in `durable` and `login`): first
without the searches, then with them."""

from __future__ import annotations

from typing import Any

from chinwag.bench import seed
from chinwag.bench.harness import WorkerPool, loadavg
from chinwag.bench.scenarios.options import Options, header
from chinwag.bench.scenarios.run import Run
from chinwag.bench.scenarios.target import cheap_hash, running
from chinwag.bench.stats import latency_summary
from chinwag.core.validation import GENERAL


def search(
    opts: Options,
    messages: int = 1_000_000,
    searchers: int = 20,
    chatters: int = 50,
    chat_rate: float = 50.0,
) -> dict[str, Any]:
    if opts.quick:
        messages, searchers, chatters, chat_rate = 2000, 4, 10, 20.0
    archive = seed.Room("archive", "public", list(range(searchers)), messages=messages)
    plan = seed.Plan(
        users=chatters + searchers, password_hash=cheap_hash(), rooms=[archive], words=True
    )
    result = header(opts, "search")
    result.update(messages=messages, searchers=searchers, chatters=chatters, chat_rate=chat_rate)
    opts.log(f"search: {searchers} searching {messages} messages, {chatters} chatting")
    with (
        running(opts, plan) as target,
        WorkerPool(opts.worker_count, opts.layout.generator_cpus) as pool,
    ):
        senders = min(opts.senders, chatters)
        run = Run(opts, pool, target, senders=senders, probes=min(50, chatters - senders))
        accounts = [(target.username(i), seed.PASSWORD) for i in range(searchers)]
        queries = seed.search_queries("archive", messages, 200)

        storm = run.beside("searches", users=accounts, queries=queries)

        chat_users = [searchers + i for i in range(chatters)]
        setup = run.connect(chat_users, lambda u: [GENERAL])
        run.settle()
        slots = [(g, GENERAL) for g in chat_users[:senders]]
        calm = run.open_loop(slots, chat_rate, label="chat")
        run.settle()
        busy = run.open_loop(slots, chat_rate, label="chat+search", extra=storm)
        raw = busy["extra"]
        busy["extra"] = {
            "searches": raw["searches"],
            "searches_per_s": round(raw["searches"] / raw["seconds"], 1),
            "busy": raw["busy"],
            "found_per_search": round(raw["found"] / max(1, raw["searches"]), 1),
            "codes": raw["codes"],
            "latency": latency_summary(raw["latencies"]),
        }
        for step in (calm, busy):
            lat = step["latency"]
            opts.log(
                f"  {step['label']}: p50 {lat['p50_ms']} ms p99 {lat['p99_ms']} ms "
                f"max {lat['max_ms']} ms, missing {step['missing_deliveries']}"
            )
        s = busy["extra"]
        opts.log(
            f"  searches: {s['searches_per_s']}/s, p50 {s['latency']['p50_ms']} ms, "
            f"p99 {s['latency']['p99_ms']} ms, refused busy {s['busy']}"
        )
        result["run"] = {
            "loop": target.health.get("loop"),
            "setup": setup,
            "chat": calm,
            "chat_during_search": busy,
        }
    result["load_after"] = loadavg()
    return result
