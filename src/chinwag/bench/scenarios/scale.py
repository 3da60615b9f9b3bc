"""scale: the fan-out scenario on every core and every machine.

The same room, senders, probes and rising offered rates as `fanout`, against a
deployment on PostgreSQL and Redis in several shapes, one after the other in one run:
`chinwag serve --workers N` (N processes sharing one port, the kernel spreading the
connections) and N separate `chinwag serve` nodes on ports of their own (the bench
spreading its connections across them, senders and probes included, so that most
deliveries cross the bus). Each shape gets a fresh PostgreSQL database, created on the
server of `--database-url` and dropped afterwards, and a fresh Redis key prefix.

The figure of each shape is fanout's: the highest offered deliveries/s sustained with
p99 under 100 ms. The issue's bar: the second worker adds at least 0.7x the first one's
deliveries per second (2 workers >= 1.7x 1 worker).

Cores: with more cores than server processes, the servers get the first cores and the
load generator the rest, as in every scenario. Otherwise (2 workers on a 2-core machine)
the servers and the generator share every core, which the result says; the `niced`
shape then runs the generator at a lower priority (`generator_nice`) than the servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import secrets
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from chinwag.bench import seed
from chinwag.bench.harness import (
    CHEAP_ARGON2,
    BenchError,
    Layout,
    ServerGroup,
    ServerProcess,
    WorkerPool,
    loadavg,
)
from chinwag.bench.scenarios.fanout import FANOUT_DELIVERIES
from chinwag.bench.scenarios.options import PROBES, Options, header
from chinwag.bench.scenarios.ramp import best, ramp
from chinwag.bench.scenarios.run import Run
from chinwag.bench.scenarios.target import Target, cheap_hash, seed_now
from chinwag.core.validation import GENERAL

#: The issue's bar: what the second worker adds, as a share of the first one's figure.
SECOND_WORKER_SHARE = 0.7
#: The generator's priority below the servers' in a niced shape (nice increment).
GENERATOR_NICE = 10
DEFAULT_BUS_URL = "redis://127.0.0.1:6379/0"
#: Seconds without a delivery before a step counts as drained: a node that missed a
#: doorbell catches up from the change stream at its next poll (0.5 s), so a delivery
#: across nodes may come that much later than the last one on the sender's node.
CROSS_NODE_QUIET = 2.0


@dataclass(frozen=True)
class Shape:
    """A deployment to measure: `count` workers of one `chinwag serve`, or `count`
    separate nodes; `niced`: the load generator at a lower priority."""

    mode: str  # "workers" or "nodes"
    count: int
    niced: bool = False

    @property
    def label(self) -> str:
        return f"{self.mode}:{self.count}" + (":niced" if self.niced else "")

    @property
    def title(self) -> str:
        what = "worker" if self.mode == "workers" else "node"
        text = f"{self.count} {what}{'s' if self.count > 1 else ''}"
        return text + (", generator niced" if self.niced else "")


SHAPES = [
    Shape("workers", 1),
    Shape("workers", 2),
    Shape("workers", 2, niced=True),
    Shape("nodes", 1),
    Shape("nodes", 2),
    Shape("nodes", 3),
]


def parse_shapes(text: str) -> list[Shape]:
    """ "workers:1,workers:2,workers:2:niced,nodes:3" -> shapes (a clear error else)."""
    shapes = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        parts = item.split(":")
        niced = parts[2:] == ["niced"]
        if (
            parts[0] not in ("workers", "nodes")
            or len(parts) not in (2, 3)
            or (len(parts) == 3 and not niced)
        ):
            raise ValueError(f"not a shape: {item!r} (workers:N, nodes:N or workers:N:niced)")
        try:
            count = int(parts[1])
        except ValueError:
            raise ValueError(f"not a count of processes: {item!r}") from None
        if not 1 <= count <= 16:
            raise ValueError(f"from 1 to 16 processes, not {count} ({item!r})")
        shapes.append(Shape(parts[0], count, niced))
    if not shapes:
        raise ValueError("no shapes given")
    return shapes


def layout_for(processes: int) -> Layout:
    """The server's first `processes` cores and the generator the rest; every core
    shared when there are not more cores than server processes."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) > processes:
        return Layout(cpus[:processes], cpus[processes:])
    return Layout(list(cpus), list(cpus))


def scale(
    opts: Options,
    connections: int | None = None,
    *,
    shapes: list[Shape] | None = None,
    rates: list[float] | None = None,
    bus_url: str = DEFAULT_BUS_URL,
    generator_nice: int = GENERATOR_NICE,
) -> dict[str, Any]:
    if not opts.database_url or not opts.database_url.startswith("postgresql"):
        raise BenchError(
            "scale runs on PostgreSQL and Redis: give --database-url "
            "postgresql+asyncpg://user@host/db (a fresh database is created on that "
            "server for each shape) and --bus-url redis://host:6379/0"
        )
    if opts.url is not None:
        raise BenchError("scale starts its own servers: --url does not apply")
    n = connections or (12 if opts.quick else 1000)
    shapes = shapes or SHAPES
    step_rates = rates or [d / n for d in FANOUT_DELIVERIES]
    result = header(opts, "scale")
    result["settings"]["database"] = "postgresql"
    result["settings"]["bus"] = "redis"
    result.update(
        connections=n,
        senders=min(opts.senders, n),
        affinity=sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [],
        generator_nice=generator_nice,
        runs=[],
    )
    hashed = cheap_hash()
    for shape in shapes:
        opts.log(f"scale: {shape.title}, {n} connections in one room")
        processes = shape.count
        sopts = dataclasses.replace(
            opts, layout=layout_for(processes), quiet=max(opts.quiet, CROSS_NODE_QUIET)
        )
        plan = seed.Plan(users=n, password_hash=hashed)
        load_before = loadavg()
        with (
            fresh_database(opts.database_url) as url,
            deployment(sopts, shape, url, bus_url, plan) as (target, ports),
            WorkerPool(sopts.worker_count, sopts.layout.generator_cpus) as pool,
        ):
            if shape.niced:
                renice(pool, generator_nice)
            senders = min(opts.senders, n)
            run = Run(sopts, pool, target, senders=senders, probes=min(PROBES, n - senders))
            setup = connect_spread(run, target, ports, n)
            run.settle()
            assert target.proc is not None
            cpu0 = target.proc.cpu_by_process()
            slots = [(g, GENERAL) for g in range(senders)]
            checkpoints_before = checkpoints(opts.database_url)
            steps = ramp(run, slots, step_rates, shape.label)
            forced = _difference(checkpoints(opts.database_url), checkpoints_before)
            cpu1 = target.proc.cpu_by_process()
            nodes = target.health.get("nodes_seen", [])
        result["runs"].append(
            {
                "shape": shape.label,
                "title": shape.title,
                "mode": shape.mode,
                "processes": processes,
                "niced": shape.niced,
                "layout": dataclasses.asdict(sopts.layout),
                "shared_cores": sopts.layout.shared,
                "generator_processes": sopts.worker_count,
                "loop": target.health.get("loop"),
                "nodes_seen": nodes,
                "setup": setup,
                "server_cpu_seconds_by_process": sorted(
                    (round(cpu1.get(pid, 0.0) - cpu0.get(pid, 0.0), 2) for pid in cpu1),
                    reverse=True,
                ),
                "load_before": load_before,
                "load_after": loadavg(),
                # PostgreSQL's forced checkpoints during the steps (each CREATE or DROP
                # DATABASE forces one: other test suites on the server stall its commits)
                "postgres_checkpoints_requested": forced,
                "steps": steps,
                **best(steps),
            }
        )
    result["bar"] = second_worker(result["runs"])
    result["load_after"] = loadavg()
    return result


def second_worker(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each 2-worker shape: what the second worker added to one worker's figure."""
    one = next((r for r in runs if r["mode"] == "workers" and r["processes"] == 1), None)
    out: list[dict[str, Any]] = []
    if one is None:
        return out
    for two in runs:
        if two["mode"] != "workers" or two["processes"] != 2:
            continue
        entry: dict[str, Any] = {"shape": two["shape"], "shared_cores": two["shared_cores"]}
        for key in ("max_sustained_deliveries_per_s", "peak_delivered_per_s"):
            first, both = one[key], two[key]
            added = (both - first) / first if first else None
            entry[key] = {
                "one_worker": first,
                "two_workers": both,
                "added_share": None if added is None else round(added, 2),
                # None: one worker sustained nothing, so there is nothing to compare
                "met": None if added is None else added >= SECOND_WORKER_SHARE,
            }
        entry["met"] = entry["max_sustained_deliveries_per_s"]["met"]
        out.append(entry)
    return out


# -- the deployment ----------------------------------------------------------------------
@contextlib.contextmanager
def fresh_database(base_url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of `base_url`, dropped after."""
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    name = f"chinwag_bench_{secrets.token_hex(4)}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def admin(statement: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except OSError as exc:
        raise BenchError(f"PostgreSQL unreachable at {url.render_as_string()}: {exc}") from exc
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def checkpoints(base_url: str) -> int | None:
    """PostgreSQL's count of requested (forced) checkpoints so far, if it says."""
    from sqlalchemy.engine import make_url

    dsn = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def ask() -> int | None:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            for query in (
                "SELECT num_requested FROM pg_stat_checkpointer",  # PostgreSQL 17
                "SELECT checkpoints_req FROM pg_stat_bgwriter",
            ):
                with contextlib.suppress(asyncpg.PostgresError):
                    return int(await conn.fetchval(query))
            return None
        finally:
            await conn.close()

    try:
        return asyncio.run(ask())
    except OSError:
        return None


def _difference(after: int | None, before: int | None) -> int | None:
    return None if after is None or before is None else after - before


@contextlib.contextmanager
def deployment(
    opts: Options, shape: Shape, url: str, bus_url: str, plan: seed.Plan
) -> Iterator[tuple[Target, list[int]]]:
    """The servers of `shape` on the seeded database at `url`, the bus at `bus_url`
    under a fresh key prefix: the target measured (all of them) and their ports."""
    counts = seed_now(url, plan)
    opts.log(f"  seeded {counts}")
    prefix = f"chinwag-bench-{secrets.token_hex(4)}"
    env = {**CHEAP_ARGON2, "CHINWAG_BUS_PREFIX": prefix}
    nodes = shape.count if shape.mode == "nodes" else 1
    workers = shape.count if shape.mode == "workers" else 1
    with tempfile.TemporaryDirectory(prefix="chinwag-bench-scale-") as tmp:
        servers = []
        for i in range(nodes):
            args = ["--bus-url", bus_url, "--node-id", f"bench{i + 1}"]
            if shape.mode == "workers":
                args += ["--workers", str(workers)]
            servers.append(
                ServerProcess(
                    "chinwag",
                    Path(tmp) / f"node{i + 1}",
                    opts.layout.server_cpus,
                    database_url=url,
                    env=env,
                    args=args,
                )
            )
        group = ServerGroup(servers)
        try:
            for server in servers:
                server.start()
            seen = wait_for_nodes([s.port for s in servers], workers * nodes)
            health = group.health()
            health["nodes_seen"] = seen
            opts.log(f"  {shape.title} on ports {[s.port for s in servers]}, nodes {seen}")
            target = Target("chinwag", "127.0.0.1", servers[0].port, "/ws", group, health)
            yield target, [s.port for s in servers]
        except BaseException:
            opts.log(group.log_tail(40))
            raise
        finally:
            group.stop()
            forget_prefix(bus_url, prefix)


def wait_for_nodes(ports: list[int], count: int, timeout: float = 120.0) -> list[str]:
    """Ask /healthz on new connections until `count` different nodes have answered:
    every worker listens (the kernel spreads new connections among those listening)."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    tries = 0
    while len(seen) < count:
        port = ports[tries % len(ports)]
        tries += 1
        with (
            contextlib.suppress(OSError, ValueError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer,
        ):
            node = json.loads(answer.read()).get("node")
            if node:
                seen.add(str(node))
        if time.monotonic() > deadline:
            raise BenchError(f"only {len(seen)} of {count} server processes answered: {seen}")
        if len(seen) < count:
            time.sleep(0.05)
    return sorted(seen)


def forget_prefix(bus_url: str, prefix: str) -> int:
    """Delete what a run left in Redis under its prefix (a clean stop leaves nothing)."""
    import redis

    client = redis.Redis.from_url(bus_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        return len(keys)
    except (OSError, redis.RedisError):
        return 0
    finally:
        client.close()


def connect_spread(run: Run, target: Target, ports: list[int], n: int) -> dict[str, Any]:
    """Connection g to node g mod N (senders and probes spread like the rest)."""
    totals: dict[str, Any] = {"connected": 0, "failed": 0, "failures": [], "seconds": 0.0}
    try:
        for i, port in enumerate(ports):
            run.target = dataclasses.replace(target, port=port)
            part = run.connect(list(range(i, n, len(ports))), lambda _user: [GENERAL])
            for key in ("connected", "failed", "seconds"):
                totals[key] += part[key]
            totals["failures"] += part["failures"]
    finally:
        run.target = target
    totals["seconds"] = round(totals["seconds"], 2)
    totals["per_node"] = [len(range(i, n, len(ports))) for i in range(len(ports))]
    return totals


def renice(pool: WorkerPool, increment: int) -> None:
    """Every thread of the load generator's processes `increment` nicer than now."""
    for proc in pool.procs:
        with contextlib.suppress(psutil.Error, OSError):
            for thread in psutil.Process(proc.pid).threads():
                now = os.getpriority(os.PRIO_PROCESS, thread.id)
                os.setpriority(os.PRIO_PROCESS, thread.id, min(19, now + increment))
