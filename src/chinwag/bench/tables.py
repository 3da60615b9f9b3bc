"""The Markdown a scenario's result is summed up in: `summary(result)` is what a scenario
prints when it ends and what the report shows of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def table(head: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(x) for x in row) + " |")
    return "\n".join(lines)


def _cell(x: Any) -> str:
    if isinstance(x, float):
        if x != x:  # nan: no samples
            return "-"
        if x.is_integer() and abs(x) >= 1:
            return f"{int(x):,}"
        return f"{x:,.1f}" if abs(x) >= 100 else f"{x:.3g}"
    if isinstance(x, int) and not isinstance(x, bool):
        return f"{x:,}"
    if isinstance(x, bool):
        return "yes" if x else "no"
    return str(x)


def _lat(step: dict[str, Any]) -> list[Any]:
    lat = step["latency"]
    return [lat["p50_ms"], lat["p95_ms"], lat["p99_ms"], lat["max_ms"]]


def _steps_table(steps: list[dict[str, Any]], first: str = "msgs/s") -> str:
    rows = []
    for s in steps:
        rows.append(
            [
                s["offered_msgs_per_s"],
                s["offered_deliveries_per_s"],
                s["delivered_per_s"],
                *_lat(s),
                s["server_cpu"],
                s["generator_cpu"],
                s["errors"],
                s["missing_deliveries"],
                s["connections_lost"],
                ("ok" if s["ok"] else "sustained" if s["sustained"] else "overloaded")
                if s["valid"]
                else "INVALID",
            ]
        )
    head = [
        f"offered {first}",
        "offered deliv/s",
        "delivered/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "server CPU",
        "generator CPU",
        "refused",
        "missing",
        "dropped conns",
        "verdict",
    ]
    return table(head, rows)


def _refresh_fanout(result: dict[str, Any]) -> None:
    """Recompute the derived figures from the steps (results of older runs too)."""
    from chinwag.bench.scenarios.fanout import compare_runs
    from chinwag.bench.scenarios.ramp import best

    for run in result["runs"]:
        run.update(best(run["steps"]))
    if result.get("compare"):
        result["compare"] = compare_runs(result["runs"])


def _summary_fanout(result: dict[str, Any]) -> str:
    _refresh_fanout(result)
    out = []
    for run in result["runs"]:
        out.append(
            f"#### {run['server']}, {run['connections']:,} connections in one room "
            f"({result['senders']} senders, loop {run['loop']})\n"
        )
        out.append(_steps_table(run["steps"]))
        out.append(
            f"\nHighest rate sustained with p99 < 100 ms: "
            f"**{run['max_sustained_deliveries_per_s']:,} deliveries/s** "
            f"({run['max_sustained_msgs_per_s']:g} msgs/s); peak delivered "
            f"{run['peak_delivered_per_s']:,}/s in a valid step"
            + (
                " (the load generator saturated first: the server's ceiling is higher)"
                if run["generator_bound"]
                else f", {run['peak_delivered_any_per_s']:,}/s in any step"
            )
            + ".\n"
        )
    if result.get("compare"):
        rows = [
            [
                c["connections"],
                f"{c['chinwag_peak']:,}{'+' if c.get('chinwag_generator_bound') else ''}",
                c["reference_peak"],
                c["peak_ratio"],
                c["chinwag_sustained"],
                c["reference_sustained"],
                "n/a" if c["sustained_ratio"] is None else c["sustained_ratio"],
            ]
            for c in result["compare"]
        ]
        out.append("#### chinwag / reference\n")
        out.append(
            table(
                [
                    "connections",
                    "chinwag peak deliveries/s",
                    "reference peak deliveries/s",
                    "ratio",
                    "chinwag sustained (p99 < 100 ms)",
                    "reference sustained",
                    "ratio",
                ],
                rows,
            )
        )
        out.append(
            "\nPeak: chinwag's best step with a valid load generator (+: the generator "
            "saturated first, the server did not) against the reference's best step, valid "
            "or not. Sustained: the highest offered rate delivered in full, nothing refused, "
            "with p99 under 100 ms.\n"
        )
    return "\n".join(out) + "\n"


def _summary_rooms(result: dict[str, Any]) -> str:
    run = result["run"]
    return (
        f"#### {result['users']:,} users, {result['dms']:,} DMs + {result['groups']} rooms of "
        f"{result['group_size']} (loop {run['loop']})\n\n"
        + _steps_table(run["steps"])
        + f"\n\nHighest rate sustained with p99 < 100 ms: **{run['max_sustained_msgs_per_s']:,}"
        f" msgs/s** ({run['max_sustained_deliveries_per_s']:,} deliveries/s).\n"
    )


def _summary_idle(result: dict[str, Any]) -> str:
    rows = [
        [
            p["connections"],
            p.get("online_users", "-"),
            p["rss_mib"],
            p.get("kib_per_connection", "-"),
            p.get("marginal_kib_per_connection", "-"),
            p.get("setup_seconds", "-"),
            p.get("failed", "-"),
        ]
        for p in result["points"]
    ]
    return (
        f"#### Idle logged-in connections (loop {result.get('loop')}; "
        f"{result['distinct_users']:,} distinct users, further connections are second "
        f"devices)\n\n"
        + table(
            [
                "connections",
                "users online",
                "server RSS MiB",
                "KiB/conn (from 0)",
                "KiB/conn (marginal)",
                "setup s",
                "failed",
            ],
            rows,
        )
        + f"\n\nMost connections held: **{result['max_connections']:,}**; at 10,000: "
        f"**{result['kib_per_connection_at_10k']} KiB** each.\n"
    )


def _summary_durable(result: dict[str, Any]) -> str:
    run = result["run"]
    rows = [
        [
            s["label"],
            s["clients"],
            s["window"],
            s["ok_per_s"],
            *_lat(s),
            s["delivered_per_s"],
            s["server_cpu"],
            s["generator_cpu"],
            s["errors"],
            s["missing_deliveries"],
            "valid" if s["valid"] else "INVALID (generator saturated: a lower bound)",
        ]
        for s in run["steps"]
    ]
    return (
        f"#### Durable sends on {result['settings']['database']} (loop {run['loop']}; "
        f"fan-out room of {result['listeners']})\n\n"
        + table(
            [
                "room",
                "senders",
                "in flight each",
                "acked msgs/s",
                "ack p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "deliveries/s",
                "server CPU",
                "generator CPU",
                "errors",
                "missing",
                "verdict",
            ],
            rows,
        )
        + "\n"
    )


def _chat_phases(*steps: dict[str, Any]) -> str:
    """The table of open-loop chat steps (alone, then beside something else)."""
    return table(
        [
            "phase",
            "msgs/s",
            "delivered/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "server CPU",
            "missing",
        ],
        [
            [
                s["label"],
                s["offered_msgs_per_s"],
                s["delivered_per_s"],
                *_lat(s),
                s["server_cpu"],
                s["missing_deliveries"],
            ]
            for s in steps
        ],
    )


def _summary_login(result: dict[str, Any]) -> str:
    run = result["run"]
    lg = run["logins"]
    a = result["argon2"]
    storm = run["chat_during_storm"]["extra"]
    return (
        f"#### Logins at argon2id t={a['time_cost']}, m={a['memory_kib']} KiB, "
        f"p={a['parallelism']} (loop {run['loop']})\n\n"
        + table(
            ["logins/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "failed"],
            [[lg["logins_per_s"], *_lat(lg), lg["failed"]]],
        )
        + f"\n\n{result['chatters']} users chatting at {result['chat_rate']:g} msgs/s, alone "
        f"and during a storm of {result['concurrency']} concurrent logins "
        f"({storm['logins_per_s']}/s):\n\n"
        + _chat_phases(run["chat"], run["chat_during_storm"])
        + "\n"
    )


def _summary_history(result: dict[str, Any]) -> str:
    run = result["run"]
    s = run["step"]
    return (
        f"#### History pages of {result['page']} at random depths of {result['messages']:,} "
        f"messages (loop {run['loop']})\n\n"
        + table(
            [
                "readers",
                "pages/s",
                "messages/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "server CPU",
            ],
            [
                [
                    s["clients"],
                    s["ok_per_s"],
                    round(s["ok_per_s"] * result["page"]),
                    *_lat(s),
                    s["server_cpu"],
                ]
            ],
        )
        + "\n"
    )


def _summary_files(r: dict[str, Any]) -> str:
    run = r["run"]
    up, down = run["upload"], run["download"]
    head = (
        f"#### {r['clients']} clients uploading {r['size'] / 2**20:.0f} MiB each at once, "
        f"then downloading (loop {run.get('loop')})\n\n"
    )
    rows = [
        ["upload, all at once", up["seconds"], up["mb_per_s"], ""],
        ["download, all at once", down["seconds"], down["mb_per_s"], ""],
        ["10 KB uploads", r["settings"]["measure_s"], "", run["small_upload"]["per_s"]],
        ["10 KB downloads", r["settings"]["measure_s"], "", run["small_download"]["per_s"]],
    ]
    memory = (
        f"\nServer RSS during the uploads: {up['rss_before_mb']} MB before, "
        f"{up['rss_peak_mb']} MB at the peak, {up['rss_after_mb']} MB after; "
        f"server CPU {run['server_cpu']} s in all.\n"
    )
    return head + table(["what", "seconds", "MB/s", "requests/s"], rows) + "\n" + memory


def _summary_search(result: dict[str, Any]) -> str:
    run = result["run"]
    found = run["chat_during_search"]["extra"]
    return (
        f"#### Searches of two words in {result['messages']:,} messages (loop {run['loop']})"
        f"\n\n{result['searchers']} users searching as fast as they are answered:\n\n"
        + table(
            ["searches/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "found each", "refused busy"],
            [
                [
                    found["searches_per_s"],
                    *_lat(found),
                    found["found_per_search"],
                    found["busy"],
                ]
            ],
        )
        + f"\n\n{result['chatters']} users chatting at {result['chat_rate']:g} msgs/s, alone "
        "and while they search:\n\n" + _chat_phases(run["chat"], run["chat_during_search"]) + "\n"
    )


def _summary_scale(result: dict[str, Any]) -> str:
    machine = result["machine"]
    rows = []
    for run in result["runs"]:
        best = max(
            (s for s in run["steps"] if s.get("ok")),
            key=lambda s: s["offered_deliveries_per_s"],
            default=None,
        )
        loads = [s["load"][0] for s in run["steps"]] or [float("nan")]
        layout = run["layout"]
        rows.append(
            [
                run["title"],
                _cores(layout["server_cpus"]),
                _cores(layout["generator_cpus"]) + (" (niced)" if run["niced"] else ""),
                run["max_sustained_deliveries_per_s"],
                "-" if best is None else best["latency"]["p99_ms"],
                run["peak_delivered_per_s"],
                "-" if best is None else best["server_cpu"],
                "-" if best is None else best["generator_cpu"],
                " / ".join(
                    f"{x:g}" for x in run["server_cpu_seconds_by_process"][: run["processes"]]
                ),
                f"{min(loads):g}-{max(loads):g}",
                run.get("postgres_checkpoints_requested", "-"),
                run["invalid_steps"],
            ]
        )
    out = [
        f"{result['connections']:,} connections in one room, {result['senders']} senders, "
        f"PostgreSQL and Redis; {machine.get('cores')} cores ({machine.get('cpu')}), "
        f"load average {' / '.join(map(str, result['load_before']))} before and "
        f"{' / '.join(map(str, result['load_after']))} after.\n",
        table(
            [
                "deployment",
                "server cores",
                "generator cores",
                "sustained deliv/s (p99 < 100 ms)",
                "its p99 ms",
                "peak delivered/s",
                "server CPU (cores)",
                "generator CPU (share)",
                "CPU s by process",
                "load (1 min)",
                "forced checkpoints",
                "invalid steps",
            ],
            rows,
        ),
    ]
    if any(run["shared_cores"] for run in result["runs"]):
        out.append(
            "\nShared cores: where a deployment has as many server processes as the machine "
            "has cores, the servers and the load generator run on the same cores and take "
            "CPU from each other; those figures are a floor, not the servers' ceiling."
        )
    for bar in result.get("bar", []):
        b = bar["max_sustained_deliveries_per_s"]
        peak = bar["peak_delivered_per_s"]
        out.append(
            f"\nSecond worker ({bar['shape']}): {b['one_worker']:,} -> {b['two_workers']:,} "
            f"sustained deliveries/s, the second adds {_share(b)} of the first's "
            f"(bar: 0.7x): **{_verdict(b['met'])}**; peak delivered "
            f"{peak['one_worker']:,} -> {peak['two_workers']:,}/s ({_share(peak)} added)."
        )
    return "\n".join(out) + "\n"


def _verdict(met: bool | None) -> str:
    return "not measured (one worker sustained nothing)" if met is None else _met(met)


def _met(met: bool) -> str:
    return "met" if met else "missed"


def _share(bar: dict[str, Any]) -> str:
    return "n/a" if bar["added_share"] is None else f"{bar['added_share']:g}x"


def _cores(cpus: list[int]) -> str:
    return ",".join(map(str, cpus)) or "any"


def summary(result: dict[str, Any]) -> str:
    name = result["scenario"]
    return SUMMARIES[name](result)


SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "fanout": _summary_fanout,
    "rooms": _summary_rooms,
    "idle": _summary_idle,
    "durable": _summary_durable,
    "login": _summary_login,
    "history": _summary_history,
    "files": _summary_files,
    "search": _summary_search,
    "scale": _summary_scale,
}
