"""The parts every scenario uses: the server under test in its own process, pinned to
its core; the pool of load-generator processes pinned to the others; the machine's
description and load."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from multiprocessing.connection import Connection as Pipe
from multiprocessing.connection import wait as wait_pipes
from pathlib import Path
from typing import Any

import psutil

from chinwag.bench import worker

#: The bare aiohttp broadcast server, the library's limit (in a source checkout).
REFERENCE_SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "reference" / "server.py"

#: argon2id settings a bench server may use so that setting up thousands of accounts
#: is quick (the `login` scenario measures the real default instead).
CHEAP_ARGON2 = {
    "CHINWAG_ARGON2_TIME_COST": "1",
    "CHINWAG_ARGON2_MEMORY_KIB": "64",
    "CHINWAG_ARGON2_PARALLELISM": "1",
}


class BenchError(RuntimeError):
    pass


@dataclass
class Layout:
    """Which cores run the server and which the load generator."""

    server_cpus: list[int]
    generator_cpus: list[int]

    @property
    def shared(self) -> bool:
        return bool(set(self.server_cpus) & set(self.generator_cpus))

    @classmethod
    def default(cls, server_cores: int = 1) -> Layout:
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if len(cpus) <= server_cores:
            return cls(cpus, cpus)
        return cls(cpus[:server_cores], cpus[server_cores:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    model = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions: dict[str, str | None] = {}
    for name in ("aiohttp", "uvloop", "msgspec", "SQLAlchemy", "argon2-cffi"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    commit = None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["git", "-C", str(Path(__file__).parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        commit = out.stdout.strip() or None
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": commit,
    }


# -- the server under test ---------------------------------------------------------------
@dataclass
class ServerProcess:
    """`chinwag serve` (or the reference server) on 127.0.0.1 and a free port, in its
    own process pinned to `cpus`, on a fresh data directory."""

    kind: str  # "chinwag" or "reference"
    data_dir: Path
    cpus: list[int]
    database_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    #: More flags of `chinwag serve` (`--workers 2 --bus-url ...`, say).
    args: list[str] = field(default_factory=list)
    nofile: int = 65536
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    ps: psutil.Process | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.kind}.log"

    def command(self) -> list[str]:
        if self.kind == "reference":
            if not REFERENCE_SCRIPT.is_file():
                raise BenchError(f"no reference server at {REFERENCE_SCRIPT} (a source checkout)")
            return [sys.executable, str(REFERENCE_SCRIPT), "--port", str(self.port)]
        cmd = [sys.executable, "-m", "chinwag", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        cmd += ["--rate-limit", "0", "--flood-limit", "0"]
        # Every bench client comes from 127.0.0.1: the budgets by address and for
        # connections waiting to log in would measure themselves, not the server.
        cmd += ["--max-per-address", "0", "--max-anonymous", "0", "--registrations-per-hour", "0"]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        return cmd + self.args

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        empty = self.data_dir / "empty.toml"
        empty.write_text("")
        env = {**os.environ, "CHINWAG_CONFIG": str(empty), **self.env}
        cpus = ",".join(map(str, self.cpus)) or "-"
        cmd = [sys.executable, "-m", "chinwag.bench.pin", cpus, str(self.nofile), "--"]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd + self.command(), stdout=log, stderr=log, env=env, start_new_session=True
            )
        self.ps = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"the {self.kind} server exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError, ValueError):
                self.health()
                return
            if time.monotonic() > deadline:
                self.stop()
                raise BenchError(f"the {self.kind} server did not start:\n{self.log_tail()}")
            time.sleep(0.1)

    def health(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/healthz"
        with urllib.request.urlopen(url, timeout=5) as response:
            data: dict[str, Any] = json.loads(response.read())
        return data

    def processes(self) -> list[psutil.Process]:
        """The server's processes: the one started, and any it started (the workers of
        `chinwag serve --workers N`, under their supervisor)."""
        assert self.ps is not None
        found = [self.ps]
        with contextlib.suppress(psutil.Error):
            found += self.ps.children(recursive=True)
        return found

    def cpu(self) -> float:
        """CPU seconds used so far by the server's processes (all their threads)."""
        return sum(self.cpu_by_process().values())

    def cpu_by_process(self) -> dict[int, float]:
        """CPU seconds used so far by each of the server's processes, by pid."""
        found = {}
        for ps in self.processes():
            with contextlib.suppress(psutil.Error):
                times = ps.cpu_times()
                found[ps.pid] = float(times.user + times.system)
        return found

    def main_thread_cpu(self) -> float:
        """CPU seconds of the server's main threads (their event loops) alone."""
        total = 0.0
        for ps in self.processes():
            with contextlib.suppress(psutil.Error):
                for thread in ps.threads():
                    if thread.id == ps.pid:
                        total += float(thread.user_time + thread.system_time)
        return total

    def rss(self) -> int:
        total = 0
        for ps in self.processes():
            with contextlib.suppress(psutil.Error):
                total += int(ps.memory_info().rss)
        return total

    def threads(self) -> int:
        assert self.ps is not None
        return int(self.ps.num_threads())

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServerGroup:
    """Several servers under test measured as one (the nodes of a deployment): their
    CPU and memory summed, the first one's health and process."""

    def __init__(self, servers: list[ServerProcess]) -> None:
        if not servers:
            raise BenchError("a group of servers needs at least one")
        self.servers = servers

    @property
    def proc(self) -> subprocess.Popen[bytes] | None:
        return self.servers[0].proc

    def health(self) -> dict[str, Any]:
        return self.servers[0].health()

    def cpu(self) -> float:
        return sum(s.cpu() for s in self.servers)

    def cpu_by_process(self) -> dict[int, float]:
        return {pid: t for s in self.servers for pid, t in s.cpu_by_process().items()}

    def main_thread_cpu(self) -> float:
        return sum(s.main_thread_cpu() for s in self.servers)

    def rss(self) -> int:
        return sum(s.rss() for s in self.servers)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(f"[{s.data_dir.name}]\n{s.log_tail(lines)}" for s in self.servers)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


# -- the load generator ------------------------------------------------------------------
class WorkerPool:
    """Load-generator processes (see `worker`), each on the generator's cores."""

    def __init__(self, count: int, cpus: list[int], nofile: int = 65536) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pipes: list[Pipe] = []
        self.procs: list[Any] = []
        self._ids = 0
        self._stash: dict[int, dict[int, Any]] = {}
        for wid in range(count):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker.main, args=(child, wid, cpus, nofile), daemon=True)
            proc.start()
            child.close()
            self.pipes.append(parent)
            self.procs.append(proc)
            self._stash[wid] = {}

    def __len__(self) -> int:
        return len(self.pipes)

    def submit(self, wid: int, op: str, **args: Any) -> int:
        self._ids += 1
        self.pipes[wid].send({"id": self._ids, "op": op, "args": args})
        return self._ids

    def result(self, wid: int, cid: int, timeout: float = 600.0) -> Any:
        stash = self._stash[wid]
        deadline = time.monotonic() + timeout
        while cid not in stash:
            left = deadline - time.monotonic()
            if left <= 0 or not wait_pipes([self.pipes[wid]], timeout=left):
                raise BenchError(f"load generator {wid} did not answer in {timeout:.0f} s")
            try:
                reply = self.pipes[wid].recv()
            except EOFError:
                raise BenchError(f"load generator {wid} died") from None
            stash[reply["id"]] = reply
        reply = stash.pop(cid)
        if "error" in reply:
            raise BenchError(f"load generator {wid} failed:\n{reply['error']}")
        return reply["result"]

    def call(self, wid: int, op: str, timeout: float = 600.0, **args: Any) -> Any:
        return self.result(wid, self.submit(wid, op, **args), timeout)

    def each(self, op: str, per_worker: list[dict[str, Any]], timeout: float = 600.0) -> list[Any]:
        """Run `op` on every worker at once, with its own arguments; all the results."""
        ids = [self.submit(wid, op, **args) for wid, args in enumerate(per_worker)]
        return [self.result(wid, cid, timeout) for wid, cid in enumerate(ids)]

    def cpu(self) -> float:
        total = 0.0
        for proc in self.procs:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(proc.pid).cpu_times()
                total += times.user + times.system
        return total

    def close(self) -> None:
        for wid in range(len(self.pipes)):
            with contextlib.suppress(OSError, BrokenPipeError):
                self.submit(wid, "exit")
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
        for pipe in self.pipes:
            pipe.close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
