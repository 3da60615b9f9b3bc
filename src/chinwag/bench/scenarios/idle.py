"""idle: logged-in idle connections in rising steps, and the server's memory for them."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from chinwag.bench import seed
from chinwag.bench.harness import WorkerPool, loadavg
from chinwag.bench.scenarios.options import Options, header
from chinwag.bench.scenarios.run import Run
from chinwag.bench.scenarios.target import cheap_hash, running
from chinwag.core.validation import GENERAL


def _max_open_files() -> int:
    """The most open files a process may have here: what a child process manages to
    raise its limit to (its hard limit, or up to fs.nr_open with CAP_SYS_RESOURCE)."""
    import resource

    try:
        with open("/proc/sys/fs/nr_open") as f:
            nr_open = int(f.read())
    except OSError:
        nr_open = 1 << 20
    code = f"from chinwag.bench.worker import raise_nofile; print(raise_nofile({nr_open}))"
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    try:
        return int(probe.stdout.strip())
    except ValueError:
        return int(resource.getrlimit(resource.RLIMIT_NOFILE)[1])


def _local_ports() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = map(int, f.read().split())
        return high - low + 1
    except (OSError, ValueError):
        return 28_000


def idle(opts: Options, counts: list[int] | None = None, distinct: int = 10_000) -> dict[str, Any]:
    """Logged-in idle connections, in rising steps; the server's RSS per connection.

    Up to `distinct` connections are distinct users (each one's login is announced to
    every connection already there: O(n^2) presence events); beyond that, further
    connections are more devices of the same users."""
    counts = counts or (
        [20, 50] if opts.quick else [1000, 2500, 5000, 10_000, 15_000, 20_000, 25_000]
    )
    # What the machine allows: each connection is a descriptor in the server, whose
    # open-file limit a process may raise only up to its hard limit (without
    # CAP_SYS_RESOURCE), and a local port (one source address, 127.0.0.1).
    limit = min(_max_open_files(), _local_ports()) - 200
    if max(counts) > limit:
        counts = sorted({min(c, limit) for c in counts})
    users = min(distinct, max(counts))
    result = header(opts, "idle")
    result["distinct_users"] = users
    result["machine_limit"] = {"open_files": _max_open_files(), "local_ports": _local_ports()}
    plan = seed.Plan(users=users, password_hash=cheap_hash())
    opts.log(f"idle: up to {max(counts)} connections of {users} users")
    points = []
    with (
        running(opts, plan) as target,
        WorkerPool(
            opts.worker_count, opts.layout.generator_cpus, nofile=max(counts) + 1000
        ) as pool,
    ):
        run = Run(opts, pool, target)
        run.settle()
        base = target.rss()
        points.append({"connections": 0, "rss_mib": round(base / 2**20, 2)})
        have = 0
        for count in counts:
            setup = run.connect(
                list(range(have, count)),
                lambda u: [GENERAL],
                probes=0,
                discard=True,
                concurrency=100,
                user_of=lambda g: g % users,
                allow_failures=1.0,
            )
            run.settle()
            status = pool.each("status", [{} for _ in range(len(pool))])
            open_now = sum(s["open"] for s in status)
            health = target.proc.health() if target.proc is not None else {}
            rss = target.rss()
            point = {
                "connections": open_now,
                "server_connections": health.get("connections"),
                "online_users": health.get("online_users"),
                "rss_mib": round(rss / 2**20, 2),
                "kib_per_connection": round((rss - base) / 1024 / max(1, open_now), 2),
                "setup_seconds": setup["seconds"],
                "failed": setup["failed"],
                "failures": setup["failures"],
                "load": loadavg(),
            }
            if len(points) > 1 and open_now > points[-1]["connections"]:
                prev = points[-1]
                point["marginal_kib_per_connection"] = round(
                    (rss / 2**20 - prev["rss_mib"]) * 1024 / (open_now - prev["connections"]), 2
                )
            points.append(point)
            opts.log(
                f"  idle {open_now} connections: RSS {point['rss_mib']} MiB, "
                f"{point['kib_per_connection']} KiB each (setup {setup['seconds']} s, "
                f"failed {setup['failed']})"
            )
            have = count
            if setup["failed"] > max(10, 0.01 * (count - have)):
                break
        result["loop"] = target.health.get("loop")
    result["points"] = points
    result["base_rss_mib"] = points[0]["rss_mib"]
    result["max_connections"] = max(p["connections"] for p in points)
    at_10k = [p for p in points if p["connections"] >= 10_000]
    result["kib_per_connection_at_10k"] = at_10k[0]["kib_per_connection"] if at_10k else None
    result["load_after"] = loadavg()
    return result
