"""A run: a pool of load generators against one target, driven in open-loop steps (a
fixed offered rate) or closed-loop steps (a window of requests in flight).
"""

from __future__ import annotations

import collections
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chinwag.bench import seed
from chinwag.bench.harness import BenchError, WorkerPool, loadavg
from chinwag.bench.scenarios.options import (
    GENERATOR_LIMIT,
    LAG_LIMIT,
    P99_LIMIT_MS,
    SUSTAINED_SHARE,
    Options,
)
from chinwag.bench.scenarios.target import Target
from chinwag.bench.stats import latency_summary


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

    def times(self, warmup: float, measure: float) -> tuple[int, int, int, int]:
        """When a step starts (in 0.3 s), is measured, stops, and must have drained by
        (monotonic ns)."""
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

    def beside(self, op: str, **args: Any) -> Callable[[int, int, int], Callable[[], Any]]:
        """An `extra` for `open_loop`: worker op `op` (of `Storm`) on the last generator,
        given the step's times, `args` and where the server is; call what it returns for
        the op's result."""

        def start(t_start: int, t_measure: int, t_stop: int) -> Callable[[], Any]:
            last = len(self.pool) - 1
            cid = self.pool.submit(
                last,
                op,
                t_start=t_start,
                t_measure=t_measure,
                t_stop=t_stop,
                host=self.target.host,
                port=self.target.port,
                path=self.target.path,
                **args,
            )
            return lambda: self.pool.result(last, cid)

        return start

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
        t_start, t_measure, t_stop, t_deadline = self.times(opts.warmup, opts.measure)
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
                    quiet=opts.quiet,
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
        t_start, t_measure, t_stop, t_deadline = self.times(opts.warmup, opts.measure)
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
