"""`chinwag serve --workers 2` as a real process: two workers on one port, each a node;
a message crosses from one to the other; a killed worker comes back; SIGTERM stops the
group gracefully. On SQLite and on PostgreSQL, both with Redis (more than one worker
needs it: the refusal is tested too)."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import psutil
import pytest

from chinwag.config import ServerConfig
from chinwag.server.workers import _worker_main
from tests.conftest import checked_redis_url, fresh_postgres_database
from tests.reliability.processes import FAST_ENV, Node
from tests.server.support import WsClient, login, register

#: Seconds within which the group must stop after SIGTERM: the shutdown grace given to
#: the workers (2 s) and the supervisor's margin (5 s), with room for a loaded machine.
STOP_BOUND = 20.0
#: Seconds within which a SIGKILLed worker listens again: its first back-off (0.5 s) and
#: its start (a few seconds on a loaded machine).
RESTART_BOUND = 30.0


def workers_of(node: Node) -> dict[int, psutil.Process]:
    """The worker processes of the group (pid -> process): the supervisor's children
    that listen on the port."""
    found: dict[int, psutil.Process] = {}
    for child in psutil.Process(node.pid).children():
        with contextlib.suppress(psutil.Error):
            for conn in child.net_connections("tcp"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr.port == node.port:
                    found[child.pid] = child
    return found


async def wait_for_workers(node: Node, count: int, *, without: set[int] = frozenset()) -> set[int]:
    """The pids of `count` listening workers (none of them in `without`), once there are."""
    async with asyncio.timeout(RESTART_BOUND):
        while True:
            pids = set(workers_of(node))
            if len(pids) == count and not pids & without:
                return pids
            await asyncio.sleep(0.1)


def worker_serving(client: WsClient, workers: set[int]) -> int:
    """The pid of the worker at the other end of `client`'s connection."""
    sockname = client.ws.get_extra_info("sockname")
    assert sockname is not None
    for pid in workers:
        for conn in psutil.Process(pid).net_connections("tcp"):
            if conn.raddr and conn.raddr.port == sockname[1]:
                return pid
    raise AssertionError(f"no worker holds the connection from port {sockname[1]}")


async def clients_on_each_worker(
    node: Node, workers: set[int]
) -> tuple[dict[int, WsClient], list[WsClient]]:
    """Register users until each worker holds one's connection (the kernel spreads new
    connections by their addresses' hash: a few suffice); returns one client per worker
    and every client opened."""
    opened: list[WsClient] = []
    by_worker: dict[int, WsClient] = {}
    for n in range(40):
        client = await register(node.url, f"user{n}")
        opened.append(client)
        by_worker.setdefault(worker_serving(client, workers), client)
        if len(by_worker) == len(workers):
            return by_worker, opened
    raise AssertionError(f"40 connections all went to {set(by_worker)} of {workers}")


@contextlib.asynccontextmanager
async def group(kind: str, tmp_path: Path) -> AsyncIterator[Node]:
    redis = await checked_redis_url()
    args = ["--workers", "2", "--bus-url", redis, "--node-id", f"w{secrets.token_hex(3)}"]
    async with contextlib.AsyncExitStack() as stack:
        if kind == "postgres+redis":
            args += ["--database-url", await stack.enter_async_context(fresh_postgres_database())]
        env = {
            "CHINWAG_BUS_PREFIX": f"chinwag-test-{secrets.token_hex(4)}",
            "CHINWAG_PRESENCE_TTL": "3",
            "CHINWAG_SHUTDOWN_GRACE": "2",
        }
        node = Node(tmp_path / "data", *args, env=env)
        await node.start()
        try:
            yield node
        finally:
            if node.proc is not None and node.proc.returncode is None:
                node.proc.kill()  # the group: its workers follow through the lifeline
                await node.wait()
            assert node.tracebacks() == 0, node.traceback_text()


@pytest.mark.parametrize("kind", ["sqlite+redis", "postgres+redis"])
async def test_two_workers_share_a_port_and_a_conversation(kind: str, tmp_path: Path) -> None:
    async with group(kind, tmp_path) as node:
        workers = await wait_for_workers(node, 2)
        by_worker, opened = await clients_on_each_worker(node, workers)
        first, second = (by_worker[pid] for pid in sorted(by_worker))
        assert first.username is not None and second.username is not None

        # Each worker is a node of its own, named after the group.
        base = node.args[node.args.index("--node-id") + 1]
        nodes = set()
        for _ in range(200):
            connector = aiohttp.TCPConnector(force_close=True)
            async with (
                aiohttp.ClientSession(connector=connector) as fresh,
                fresh.get(f"{node.http}/healthz") as response,
            ):
                nodes.add((await response.json())["node"])
            if len(nodes) == 2:
                break
        assert nodes == {f"{base}-1", f"{base}-2"}

        # A message sent on one worker reaches a client of the other, both ways.
        await first.ok("send", room="general", body="from one worker", client_msg_id="1")
        assert (await second.message("general", "from one worker"))["sender"] == first.username
        await second.ok("send", room="general", body="and back", client_msg_id="2")
        assert (await first.message("general", "and back"))["sender"] == second.username
        # Online on one worker is online on the other.
        users = {u["username"]: u["online"] for u in (await second.ok("users"))["users"]}
        assert users[first.username] is True

        # A worker killed outright comes back under a new pid, and its users, gone with
        # it, are offline for the others (its successor retires its presence).
        victim = worker_serving(first, workers)
        killed_at = time.monotonic()
        psutil.Process(victim).send_signal(signal.SIGKILL)
        assert await first.wait_closed() is not None
        await second.event("presence", user=first.username, online=False, timeout=RESTART_BOUND)
        offline_after = time.monotonic() - killed_at
        workers = await wait_for_workers(node, 2, without={victim})
        back_after = time.monotonic() - killed_at
        print(f"\n{kind}: a SIGKILLed worker's user offline after {offline_after:.2f} s,")
        print(f"{kind}: the worker listening again after {back_after:.2f} s")
        again = await login(node.url, first.username)
        await again.ok("send", room="general", body="after the restart", client_msg_id="3")
        await second.message("general", "after the restart")
        opened.append(again)

        # SIGTERM stops the whole group gracefully: clients are told to come back.
        live = [c for c in opened if not c.closed.is_set()]
        stopped_at = time.monotonic()
        assert node.proc is not None
        node.proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(STOP_BOUND):
            code = await node.proc.wait()
        stop_took = time.monotonic() - stopped_at
        print(f"{kind}: SIGTERM stopped supervisor and workers in {stop_took:.2f} s")
        assert code == 0, node.tail()
        for client in live:
            assert (await client.event("restarting"))["back_in"] >= 0
            assert await client.wait_closed() == 1012
        assert not [pid for pid in workers if psutil.pid_exists(pid)]
        for client in opened:
            await client.close()


def gone(pid: int) -> bool:
    """Whether `pid` has exited (a zombie nobody reaped counts as exited)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    """SIGKILL leaves the supervisor no time to stop anyone: the pipe each worker holds
    from it closes, and they stop by themselves, gracefully."""
    async with group("sqlite+redis", tmp_path) as node:
        workers = await wait_for_workers(node, 2)
        client = await register(node.url, "alice")
        node.kill()
        await node.wait()
        assert (await client.event("restarting"))["back_in"] >= 0
        assert await client.wait_closed() == 1012
        async with asyncio.timeout(STOP_BOUND):
            while True:
                if all(gone(pid) for pid in workers):
                    break
                await asyncio.sleep(0.1)
        await client.close()


async def test_ctrl_c_stops_the_group_gracefully(tmp_path: Path) -> None:
    """Ctrl-C in a terminal sends SIGINT to the supervisor and its workers at once."""
    redis = await checked_redis_url()
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "chinwag", "serve", "--workers", "2", "--port", "0"),
        *("--data-dir", str(tmp_path), "--bus-url", redis),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**FAST_ENV, "CHINWAG_BUS_PREFIX": f"chinwag-test-{secrets.token_hex(4)}"},
        start_new_session=True,  # a process group of its own, as a terminal makes
    )
    assert proc.stdout is not None
    said: list[str] = []
    try:
        async with asyncio.timeout(RESTART_BOUND):
            while not said or not said[-1].startswith("  2 workers:"):
                line = (await proc.stdout.readline()).decode()
                assert line, "".join(said)
                said.append(line)
        url = next(line.split()[-1] for line in said if "Browser:" in line)
        client = await register(url.replace("http", "ws") + "ws", "alice")
        os.killpg(proc.pid, signal.SIGINT)
        async with asyncio.timeout(STOP_BOUND):
            rest = (await proc.stdout.read()).decode()
            code = await proc.wait()
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    output = "".join(said) + rest
    assert code == 0, output
    assert "SIGINT: stopping 2 workers" in output and "all 2 workers stopped" in output
    assert "Traceback" not in output, output
    assert (await client.event("restarting"))["back_in"] >= 0
    assert await client.wait_closed() == 1012
    await client.close()


def serve(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chinwag", "serve", "--data-dir", str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**FAST_ENV, "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--workers", "2"], "needs a Redis bus (--bus-url redis://"),
        (["--workers", "0"], "workers must be from 1 to 256, or auto"),
        (["--workers", "many"], "workers must be from 1 to 256, or auto (not 'many')"),
        (["--workers", "auto", "--bus-url", "memory://"], "needs a Redis bus"),
    ],
)
def test_workers_that_cannot_run_are_refused_clearly(
    args: list[str], said: str, tmp_path: Path
) -> None:
    if args[1] == "auto" and (psutil.cpu_count() or 1) < 2:
        pytest.skip("auto is one worker on one core")
    done = serve(*args, tmp_path=tmp_path)
    assert done.returncode == 2
    assert said in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_worker_that_cannot_start_stops_the_group(tmp_path: Path) -> None:
    """A wrong Redis address: the workers say why and the supervisor exits at once."""
    with socket_in_use() as port:
        done = serve(
            *("--workers", "2", "--port", str(port)),
            *("--bus-url", "redis://127.0.0.1:1/0"),
            tmp_path=tmp_path,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1 port {port}" in done.stderr, done.stderr
    done = serve(
        *("--workers", "2", "--port", "0", "--bus-url", "redis://127.0.0.1:1/0"),
        tmp_path=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert "stopped while starting" in done.stderr, done.stderr
    assert "Connection refused" in done.stderr or "connecting to" in done.stderr, done.stderr


@contextlib.contextmanager
def socket_in_use() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


async def test_sighup_restarts_the_workers_one_at_a_time(tmp_path: Path) -> None:
    """A rolling restart: every worker is replaced, never both at once, and clients of
    each are told to come back and find the group serving."""
    async with group("sqlite+redis", tmp_path) as node:
        before = await wait_for_workers(node, 2)
        by_worker, opened = await clients_on_each_worker(node, before)
        assert node.proc is not None
        node.proc.send_signal(signal.SIGHUP)
        fewest = 2
        async with asyncio.timeout(2 * RESTART_BOUND):
            while True:
                now = set(workers_of(node))
                fewest = min(fewest, len(now))
                if len(now) == 2 and not now & before:
                    break
                await asyncio.sleep(0.02)
        assert fewest == 1, "both workers were down at once, or none restarted"
        for client in by_worker.values():
            assert (await client.event("restarting"))["back_in"] >= 0
            assert await client.wait_closed() == 1012
        first = await login(node.url, "user0")
        second = await login(node.url, "user1")
        await first.ok("send", room="general", body="after the roll", client_msg_id="r")
        await second.message("general", "after the roll")
        for client in (*opened, first, second):
            await client.close()
        assert "SIGHUP: restarting the 2 workers one at a time" in node.tail(20_000)


def _listens_late(config: ServerConfig, ready: Callable[[list[str]], None]) -> None:
    """A worker that starts listening only after its supervisor has gone."""
    ready(["http://127.0.0.1:1/"])


def test_a_worker_ready_after_its_supervisor_died_says_no_traceback(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A supervisor killed while a worker starts leaves no one to hear that it listens:
    telling it must not fail with a traceback (the lifeline then stops the worker)."""
    mp = multiprocessing.get_context("spawn")
    ready_r, ready_w = mp.Pipe(duplex=False)
    life_r, life_w = mp.Pipe(duplex=False)
    worker = mp.Process(
        target=_worker_main, args=(_listens_late, ServerConfig(node_id="late"), ready_w, life_r)
    )
    ready_r.close()  # the supervisor is gone: nobody reads
    worker.start()
    ready_w.close()
    life_r.close()
    worker.join(STOP_BOUND)
    life_w.close()
    assert worker.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err
