"""The scenarios of `chinwag bench`: fanout, rooms, idle, durable, login, history.

Each one starts the server under test itself (a subprocess on a fresh data directory,
seeded straight with SQL, pinned to its core) unless it is given a URL, drives it from
the load-generator processes (`worker`), and returns a JSON-ready dict of its figures.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chinwag.bench import seed
from chinwag.bench.harness import (
    CHEAP_ARGON2,
    BenchError,
    Layout,
    ServerProcess,
    WorkerPool,
    loadavg,
)
from chinwag.bench.stats import latency_summary
from chinwag.config import ServerConfig
from chinwag.core.validation import GENERAL

#: Connections of a room that time every delivery, in a process of their own (enough
#: samples: 30 x rate x 4 s; more would cost the load generator for nothing).
PROBES = 30
#: A step is sustained when it delivers this share of what was offered, losing nothing.
SUSTAINED_SHARE = 0.95
#: The p99 under which a sustained step counts towards "the highest rate".
P99_LIMIT_MS = 100.0
#: Above this share of its cores the load generator is the bottleneck: the run is invalid.
GENERATOR_LIMIT = 0.9
#: A generator this late on its send schedule (seconds) was not running: invalid too.
#: (Latency is measured from each actual send, so a late send skews only the rate.)
LAG_LIMIT = 0.25


@dataclass
class Options:
    out_dir: Path = Path("benchmarks/results")
    url: str | None = None
    layout: Layout = field(default_factory=Layout.default)
    workers: int = 0  # 0: one per generator core
    database_url: str | None = None
    warmup: float = 1.0
    measure: float = 4.0
    drain: float = 10.0
    body_len: int = 100
    senders: int = 10
    verify: bool = False
    quick: bool = False
    profile_dir: Path | None = None
    log: Callable[[str], None] = print

    @property
    def worker_count(self) -> int:
        """One receiving process per generator core, plus one for the senders and one
        for the latency probes (see `Run.wid`)."""
        return self.workers or 2 + max(1, len(self.layout.generator_cpus))


@dataclass
class Target:
    """The server under test: one this bench started, or one at a URL."""

    kind: str
    host: str
    port: int
    path: str
    proc: ServerProcess | None
    health: dict[str, Any]
    #: How bench users log in: "resume" (seeded sessions) or "register" (URL mode).
    login: str = "resume"
    prefix: str = ""

    def username(self, i: int) -> str:
        return f"{self.prefix}{seed.username(i)}" if self.prefix else seed.username(i)

    def user(self, i: int) -> tuple[int, str, str | None]:
        return i, self.username(i), seed.token(i) if self.login == "resume" else None

    def cpu(self) -> float:
        return self.proc.cpu() if self.proc is not None else float("nan")

    def loop_cpu(self) -> float:
        return self.proc.main_thread_cpu() if self.proc is not None else float("nan")

    def rss(self) -> int:
        return self.proc.rss() if self.proc is not None else 0


@contextlib.contextmanager
def running(
    opts: Options,
    plan: seed.Plan | None,
    *,
    kind: str = "chinwag",
    cheap_argon2: bool = True,
) -> Iterator[Target]:
    """The server to bench: started here on a seeded temp dir, or `opts.url`."""
    if opts.url is not None and kind == "chinwag":
        parts = urlsplit(opts.url)
        target = Target(
            kind,
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            parts.path or "/ws",
            None,
            {},
            login="register",
            prefix=f"b{secrets.token_hex(3)}",
        )
        yield target
        return
    with tempfile.TemporaryDirectory(prefix=f"chinwag-bench-{kind}-") as tmp:
        data_dir = Path(tmp)
        if kind == "chinwag" and plan is not None:
            url = opts.database_url or seed_url(data_dir)
            counts = seed_now(url, plan)
            opts.log(f"  seeded {counts}")
        env = dict(CHEAP_ARGON2) if cheap_argon2 else {}
        proc = ServerProcess(
            kind, data_dir, opts.layout.server_cpus, database_url=opts.database_url, env=env
        )
        proc.start()
        try:
            health = proc.health()
            opts.log(
                f"  {kind} server pid {proc.proc.pid if proc.proc else '?'} "
                f"on {proc.url}, loop {health.get('loop')}"
            )
            yield Target(kind, "127.0.0.1", proc.port, "/ws", proc, health)
        except BaseException:
            alive = proc.proc is not None and proc.proc.poll() is None
            opts.log(f"  the {kind} server ({'running' if alive else 'exited'}) logged:")
            opts.log(proc.log_tail(40))
            raise
        finally:
            proc.stop()


def seed_url(data_dir: Path) -> str:
    return "sqlite:///" + str(data_dir / "chinwag.db")


def seed_now(url: str, plan: seed.Plan) -> dict[str, Any]:
    import asyncio

    return asyncio.run(seed.seed(url, plan))


def cheap_hash() -> str:
    return seed.password_hash(
        int(CHEAP_ARGON2["CHINWAG_ARGON2_TIME_COST"]),
        int(CHEAP_ARGON2["CHINWAG_ARGON2_MEMORY_KIB"]),
        int(CHEAP_ARGON2["CHINWAG_ARGON2_PARALLELISM"]),
    )


def default_hash() -> str:
    config = ServerConfig()
    return seed.password_hash(
        config.argon2_time_cost, config.argon2_memory_kib, config.argon2_parallelism
    )


# -- a run: a pool of generators against one target ----------------------------------------
class Run:
    def __init__(
        self, opts: Options, pool: WorkerPool, target: Target, senders: int = 0, probes: int = 0
    ) -> None:
        self.opts = opts
        self.pool = pool
        self.target = target
        #: Connections 0..senders-1 send, and the next `probes` time their deliveries.
        #: With three processes or more, each group gets a process of its own: a burst
        #: of thousands of reads in a receiving process then neither delays a send nor
        #: a probe's clock, and the latency measured is the server's, not the queue of
        #: a busy generator's.
        split = len(pool) >= 3 and senders > 0
        self.senders = senders if split else 0
        self.probes = probes if split else 0
        self.connected: set[int] = set()
        #: room -> connected members' indexes (for what each message should reach).
        self.members: dict[str, set[int]] = collections.defaultdict(set)

    def wid(self, index: int) -> int:
        if self.senders:
            if index < self.senders:
                return 0
            if index < self.senders + self.probes:
                return 1
            return 2 + index % (len(self.pool) - 2)
        return index % len(self.pool)

    def connect(
        self,
        indexes: list[int],
        rooms_of: Callable[[int], list[str]],
        *,
        probes: int = 100,
        discard: bool = False,
        concurrency: int = 200,
        user_of: Callable[[int], int] | None = None,
        allow_failures: float = 0.0,
    ) -> dict[str, Any]:
        """Open and log in a connection per index (as user `user_of(index)`)."""
        per: list[list[tuple[int, str, str | None]]] = [[] for _ in range(len(self.pool))]
        for g in indexes:
            user = self.target.user(user_of(g) if user_of else g)
            per[self.wid(g)].append((g, user[1], user[2]))
        if self.probes:
            probe_set = set(range(self.senders, self.senders + self.probes))
        else:
            step = max(1, len(indexes) // max(1, probes))
            probe_set = set(indexes[::step]) if probes else set()
        started = time.monotonic()
        results = self.pool.each(
            "connect",
            [
                {
                    "host": self.target.host,
                    "port": self.target.port,
                    "path": self.target.path,
                    "reference": self.target.kind == "reference",
                    "users": users,
                    "login": "none" if self.target.kind == "reference" else self.target.login,
                    "password": seed.PASSWORD,
                    "concurrency": max(1, concurrency // len(self.pool)),
                    "probes": [g for g, _, _ in users if g in probe_set],
                    "discard": discard,
                }
                for users in per
            ],
            timeout=1800,
        )
        failures = [f for r in results for f in r["failures"]]
        connected = sum(r["connected"] for r in results)
        if connected < len(indexes) * (1 - allow_failures):
            raise BenchError(
                f"only {connected} of {len(indexes)} connections logged in: {failures[:3]}"
            )
        for r in results:
            for g in r["indexes"]:
                self.connected.add(g)
                for room in rooms_of(user_of(g) if user_of else g):
                    self.members[room].add(g)
        return {
            "connected": connected,
            "failed": sum(r["failed"] for r in results),
            "failures": failures[:5],
            "seconds": round(time.monotonic() - started, 2),
        }

    def settle(self, quiet: float = 0.15, timeout: float = 300.0) -> float:
        """Wait until the server is idle again (after a burst of logins, say)."""
        started = time.monotonic()
        if self.target.proc is None:
            time.sleep(2)
            return 2.0
        while time.monotonic() - started < timeout:
            c0 = self.target.cpu()
            time.sleep(0.5)
            if (self.target.cpu() - c0) / 0.5 < quiet:
                break
        time.sleep(0.3)
        return time.monotonic() - started

    def _times(self, warmup: float, measure: float) -> tuple[int, int, int, int]:
        now = time.monotonic_ns()
        t_start = now + 300_000_000
        t_measure = t_start + int(warmup * 1e9)
        t_stop = t_measure + int(measure * 1e9)
        return t_start, t_measure, t_stop, t_stop + int(self.opts.drain * 1e9)

    def _sample_window(
        self, t_measure: int, t_stop: int, profile: Path | None = None
    ) -> dict[str, float]:
        """Server CPU over [t_measure, t_stop] (sleeping until then), with py-spy."""
        _sleep_until(t_measure)
        c0, l0, r0 = self.target.cpu(), self.target.loop_cpu(), time.monotonic()
        spy = None
        if profile is not None and self.target.proc is not None and self.target.proc.proc:
            spy = start_profile(self.target.proc.proc.pid, (t_stop - t_measure) / 1e9, profile)
        _sleep_until(t_stop)
        c1, l1, r1 = self.target.cpu(), self.target.loop_cpu(), time.monotonic()
        if spy is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                spy.wait(timeout=30)
        return {
            "server_cpu": (c1 - c0) / (r1 - r0),
            "server_loop_cpu": (l1 - l0) / (r1 - r0),
            "server_rss": self.target.rss(),
        }

    def open_loop(
        self,
        slots: list[tuple[int, str]],
        rate: float,
        *,
        label: str = "",
        profile: Path | None = None,
        extra: Callable[[int, int, int], Callable[[], Any]] | None = None,
    ) -> dict[str, Any]:
        """One step at `rate` msgs/s offered, spread evenly over `slots`."""
        opts = self.opts
        per: list[list[tuple[int, str]]] = [[] for _ in range(len(self.pool))]
        for g, room in slots:
            per[self.wid(g)].append((g, room))
        t_start, t_measure, t_stop, t_deadline = self._times(opts.warmup, opts.measure)
        ids = []
        for wid, mine in enumerate(per):
            ids.append(
                self.pool.submit(
                    wid,
                    "fire",
                    t_start=t_start,
                    t_measure=t_measure,
                    t_stop=t_stop,
                    t_deadline=t_deadline,
                    slots=mine,
                    rate=rate * len(mine) / len(slots),
                    body_len=opts.body_len,
                    verify=opts.verify,
                )
            )
        finish = extra(t_start, t_measure, t_stop) if extra else None
        server = self._sample_window(t_measure, t_stop, profile)
        results = [self.pool.result(wid, cid) for wid, cid in enumerate(ids)]
        extra_result = finish() if finish else None
        step = self._summarise_open(per, results, rate, server)
        step["label"] = label
        if extra_result is not None:
            step["extra"] = extra_result
        return step

    def _summarise_open(
        self,
        per: list[list[tuple[int, str]]],
        results: list[dict[str, Any]],
        rate: float,
        server: dict[str, float],
    ) -> dict[str, Any]:
        # The fan-out of what was actually sent (a short step may not go round all the
        # slots of a mixed scenario).
        sent = made = 0
        for wid, result in enumerate(results):
            for slot, count in result.get("sent_slots", {}).items():
                made += count
                sent += count * len(self.members[per[wid][int(slot)][1]])
        slots = [s for mine in per for s in mine]
        fanout = (
            sent / made
            if made
            else sum(len(self.members[room]) for _, room in slots) / max(1, len(slots))
        )
        wall = max(r["window"]["wall"] for r in results)
        delivered = sum(r["window"]["delivered"] for r in results)
        gen_cpu = sum(r["window"]["cpu"] for r in results) / wall
        gen_share = gen_cpu / max(1, len(self.opts.layout.generator_cpus))
        expected = 0
        for wid, result in enumerate(results):
            for slot, count in result["accepted"].items():
                expected += count * len(self.members[per[wid][int(slot)][1]])
        received = sum(r["delivered_total"] for r in results)
        latencies = [x for r in results for x in r["latencies"]]
        lat = latency_summary(latencies)
        codes: collections.Counter[str] = collections.Counter()
        for r in results:
            codes.update(r["error_codes"])
        lost = sum(r["lost"] for r in results)
        step: dict[str, Any] = {
            "offered_msgs_per_s": rate,
            "offered_deliveries_per_s": round(rate * fanout),
            "fanout": round(fanout, 2),
            "sent": sum(r["sent"] for r in results),
            "acked": sum(r["acked"] for r in results),
            "errors": sum(r["errors"] for r in results),
            "error_codes": dict(codes),
            "delivered_per_s": round(delivered / wall),
            "expected_deliveries": expected,
            "received_deliveries": received,
            "missing_deliveries": expected - received,
            "latency": lat,
            "ack_latency": latency_summary(x for r in results for x in r["ack_latencies"]),
            "server_cpu": round(server["server_cpu"], 3),
            "server_loop_cpu": round(server["server_loop_cpu"], 3),
            "server_rss_mib": round(server["server_rss"] / 2**20, 1),
            "generator_cpu": round(gen_share, 3),
            "generator_lag_s": max(r["max_tick_lag"] for r in results),
            "drain_s": round(max(r["drain_seconds"] for r in results), 2),
            "connections_lost": lost,
            "load": loadavg(),
        }
        step["saturated"] = gen_share >= GENERATOR_LIMIT
        step["valid"] = not step["saturated"] and step["generator_lag_s"] < LAG_LIMIT
        step["sustained"] = bool(
            step["valid"]
            and delivered / wall >= SUSTAINED_SHARE * rate * fanout
            and step["missing_deliveries"] <= 0
            and lost == 0
            and not step["errors"]
        )
        step["ok"] = bool(step["sustained"] and lat["p99_ms"] < P99_LIMIT_MS)
        if self.opts.verify:
            step["exactly_once"] = check_exactly_once(per, results, self.members)
        return step

    def closed_loop(
        self, slots: list[tuple[int, str, str, int]], window: int, *, label: str = ""
    ) -> dict[str, Any]:
        profile = None
        if self.opts.profile_dir is not None:
            profile = self.opts.profile_dir / f"{label}.txt"
        opts = self.opts
        per: list[list[tuple[int, str, str, int]]] = [[] for _ in range(len(self.pool))]
        for slot in slots:
            per[self.wid(slot[0])].append(slot)
        t_start, t_measure, t_stop, t_deadline = self._times(opts.warmup, opts.measure)
        ids = [
            self.pool.submit(
                wid,
                "closed",
                t_start=t_start,
                t_measure=t_measure,
                t_stop=t_stop,
                t_deadline=t_deadline,
                slots=mine,
                window_size=window,
                body_len=opts.body_len,
                verify=opts.verify,
            )
            for wid, mine in enumerate(per)
        ]
        server = self._sample_window(t_measure, t_stop, profile)
        results = [self.pool.result(wid, cid) for wid, cid in enumerate(ids)]
        wall = max(r["window"]["wall"] for r in results)
        ok = sum(r["window_ok"] for r in results)
        gen_share = sum(r["window"]["cpu"] for r in results) / wall
        gen_share /= max(1, len(opts.layout.generator_cpus))
        expected = 0
        for wid, result in enumerate(results):
            for slot, count in result["accepted"].items():
                s = per[wid][int(slot)]
                if s[1] == "send":
                    expected += count * len(self.members[s[2]])
        received = sum(r["delivered_total"] for r in results)
        codes: collections.Counter[str] = collections.Counter()
        for r in results:
            codes.update(r["error_codes"])
        step: dict[str, Any] = {
            "label": label,
            "clients": len(slots),
            "window": window,
            "ok_per_s": round(ok / wall, 1),
            "errors": sum(r["errors"] for r in results),
            "error_codes": dict(codes),
            "latency": latency_summary(x for r in results for x in r["ack_latencies"]),
            "delivered_per_s": round(sum(r["window"]["delivered"] for r in results) / wall),
            "expected_deliveries": expected,
            "received_deliveries": received,
            "missing_deliveries": expected - received,
            "server_cpu": round(server["server_cpu"], 3),
            "server_loop_cpu": round(server["server_loop_cpu"], 3),
            "server_rss_mib": round(server["server_rss"] / 2**20, 1),
            "generator_cpu": round(gen_share, 3),
            "connections_lost": sum(r["lost"] for r in results),
            "load": loadavg(),
        }
        step["valid"] = gen_share < GENERATOR_LIMIT
        if opts.verify:
            step["exactly_once"] = check_exactly_once(
                [[(s[0], s[2]) for s in mine] for mine in per], results, self.members
            )
            step["page_sizes"] = sorted({n for r in results for n in r.get("page_sizes", [])})
        return step


def _sleep_until(t_ns: int) -> None:
    delay = (t_ns - time.monotonic_ns()) / 1e9
    if delay > 0:
        time.sleep(delay)


def check_exactly_once(
    per: list[list[tuple[int, str]]],
    results: list[dict[str, Any]],
    members: dict[str, set[int]],
) -> dict[str, int]:
    """Every accepted message reached every connected member of its room once."""
    expected: dict[int, set[str]] = collections.defaultdict(set)
    accepted = 0
    for wid, result in enumerate(results):
        for key, slot in result.get("acked_keys", []):
            accepted += 1
            for g in members[per[wid][slot][1]]:
                expected[g].add(key)
    duplicates = missing = unexpected = checked = 0
    for result in results:
        for g, keys in result.get("seen", {}).items():
            g = int(g)
            checked += 1
            counts = collections.Counter(keys)
            duplicates += sum(c - 1 for c in counts.values() if c > 1)
            missing += len(expected[g] - counts.keys())
            unexpected += len(counts.keys() - expected[g])
    return {
        "accepted": accepted,
        "connections": checked,
        "duplicates": duplicates,
        "missing": missing,
        "unexpected": unexpected,
    }


def start_profile(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy, sampling `pid` for `seconds` into `out` (collapsed stacks), if installed."""
    import shutil
    import sys

    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    native = ["--native"] if os.environ.get("CHINWAG_BENCH_NATIVE") else ["--nonblocking"]
    return subprocess.Popen(
        [
            spy,
            "record",
            "-p",
            str(pid),
            "-d",
            str(max(1, int(seconds))),
            "-r",
            "250",
            "-f",
            "raw",
            "-o",
            str(out),
            "--threads",
            *native,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def header(opts: Options, scenario: str, target: Target | None = None) -> dict[str, Any]:
    from chinwag.bench.harness import machine

    return {
        "scenario": scenario,
        "machine": machine(),
        "layout": dataclasses.asdict(opts.layout),
        "generator_processes": opts.worker_count,
        "load_before": loadavg(),
        "settings": {
            "warmup_s": opts.warmup,
            "measure_s": opts.measure,
            "body_len": opts.body_len,
            "quick": opts.quick,
            "database": "postgresql" if opts.database_url else "sqlite",
            "url": opts.url,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _best(steps: list[dict[str, Any]]) -> dict[str, Any]:
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


# -- fanout ------------------------------------------------------------------------------
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
                        **_best(steps),
                    }
                )
    result["compare"] = _compare(result["runs"]) if compare else None
    result["load_after"] = loadavg()
    return result


def _one_room(room: str, _user: int) -> list[str]:
    return [room]


def _profile_rate(rates: list[float], n: int) -> float | None:
    """The step to profile: the one offering about 100,000 deliveries/s."""
    if not rates:
        return None
    return min(rates, key=lambda r: abs(r * n - 100_000))


def _compare(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


# -- rooms -------------------------------------------------------------------------------
def rooms(opts: Options, *, rates: list[float] | None = None) -> dict[str, Any]:
    """2,000 users in 1,000 DMs and 50 group rooms of 20, all chatting at once."""
    users = 40 if opts.quick else 2000
    groups = 2 if opts.quick else 50
    group_size = 10 if opts.quick else 20
    plan_rooms = [seed.dm(2 * i, 2 * i + 1) for i in range(users // 2)]
    group_of: dict[int, str] = {}
    for j in range(groups):
        gid = f"group-{j:02d}"
        ids = list(range(j * group_size, (j + 1) * group_size))
        plan_rooms.append(seed.Room(gid, "public", ids))
        for u in ids:
            group_of[u] = gid
    dm_of = {u: plan_rooms[u // 2].id for u in range(users)}
    result = header(opts, "rooms")
    result.update(users=users, dms=users // 2, groups=groups, group_size=group_size)
    plan = seed.Plan(users=users, password_hash=cheap_hash(), rooms=plan_rooms)
    opts.log(f"rooms: {users} users, {users // 2} DMs, {groups} rooms of {group_size}")
    with (
        running(opts, plan) as target,
        WorkerPool(opts.worker_count, opts.layout.generator_cpus) as pool,
    ):
        run = Run(opts, pool, target)
        if target.login != "resume":
            raise BenchError("the rooms scenario needs a server it starts (seeded rooms)")
        setup = run.connect(
            list(range(users)),
            lambda u: [r for r in (dm_of[u], group_of.get(u)) if r],
        )
        run.settle()
        slots = [(u, dm_of[u]) for u in range(users)]
        slots += [(u, group_of[u]) for u in range(users) if u in group_of]
        random.Random(5).shuffle(slots)  # any stretch of the round-robin is a fair sample
        step_rates = rates or (
            [50, 100]
            if opts.quick
            else [500, 1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000]
        )
        steps = ramp(
            run, slots, step_rates, "rooms", profile_at=min(step_rates, key=lambda r: abs(r - 3000))
        )
        result["run"] = {
            "loop": target.health.get("loop"),
            "setup": setup,
            "steps": steps,
            **_best(steps),
        }
        result["run"]["max_sustained_msgs_per_s"] = max(
            (s["offered_msgs_per_s"] for s in steps if s.get("ok")), default=0
        )
    result["load_after"] = loadavg()
    return result


# -- idle --------------------------------------------------------------------------------
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


# -- durable -----------------------------------------------------------------------------
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


# -- login -------------------------------------------------------------------------------
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

        def storm(t_start: int, t_measure: int, t_stop: int) -> Callable[[], Any]:
            cid = pool.submit(
                len(pool) - 1,
                "storm",
                t_start=t_start,
                t_measure=t_measure,
                t_stop=t_stop,
                users=storm_accounts,
                concurrency=concurrency,
                host=target.host,
                port=target.port,
                path=target.path,
            )
            return lambda: pool.result(len(pool) - 1, cid)

        # Logins alone.
        t_start, t_measure, t_stop, _ = run._times(opts.warmup, opts.measure)
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


# -- history -----------------------------------------------------------------------------
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


SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "fanout": fanout,
    "rooms": rooms,
    "idle": idle,
    "durable": durable,
    "login": login,
    "history": history,
}
