"""`chinwag serve --workers N`: N server processes on one port, and their supervisor.

Each worker is a whole server node in its own process, with its own node id
(`<base>-1` ... `<base>-N`, where the base is `--node-id` or a random word), listening on
the same address with SO_REUSEPORT, so that the kernel spreads new connections across
them. The workers know of each other only as separate nodes do: through the database
(the truth) and the Redis bus (the doorbell). That is why more than one worker needs
`--bus-url`: the in-process memory bus cannot ring another process, and a second bus
for the processes of one machine would be a second implementation of what the Redis bus
already does (presence, reaping a dead node) for a deployment that has outgrown one
core anyway. On SQLite the workers share the database file as any processes may: WAL
lets them read while one writes, and every write takes the file's one write lock up
front (`BEGIN IMMEDIATE`, waiting up to the busy timeout for it); the supervisor
migrates the database once before the workers start.

The supervisor (this module, in the process that ran `chinwag serve`) starts the
workers, says where the server runs once all are listening, and then:

- restarts a worker that dies, under the same node id (so that it at once retires its
  predecessor's presence on the bus), after a back-off that doubles while restarted
  workers keep dying within `STABLE_AFTER` seconds: 0.5 s, 1 s, 2 s ... up to 30 s;
- on SIGINT (Ctrl-C) or SIGTERM sends every worker SIGTERM, which each one takes the
  way a single server does (requests in flight finish, clients are told `restarting`
  and closed with 1012), waits for them, and kills those still running after the
  shutdown grace (plus `EXIT_MARGIN`);
- on SIGHUP restarts the workers one at a time (a rolling restart, to run newly
  installed code): it stops one gracefully, its clients come back on the others, and
  once its successor listens it goes on with the next, so the group never stops serving;
- stops the whole group when a worker fails before it first listens (a wrong address,
  a database or Redis out of reach): the worker has said why on stderr.

Each worker holds the read end of a pipe whose write end only the supervisor has: if the
supervisor dies without stopping them, the pipe's end tells every worker to stop.

SO_REUSEPORT spreads connections only on Linux (elsewhere the option exists with
another meaning, or not at all); on other systems `--workers` above 1 is refused and the
way to use more cores is one node per port behind a proxy (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import multiprocessing
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from chinwag.config import ConfigError, ServerConfig

log = logging.getLogger("chinwag.workers")

#: Runs one worker (a whole server node) in its process; calls `ready` with its
#: addresses once it listens. A module-level function: it is pickled by name.
Worker = Callable[[ServerConfig, Callable[[list[str]], None]], None]
Announce = Callable[[ServerConfig, int], Any]

#: Seconds a worker must live for its next death to restart it without back-off.
STABLE_AFTER = 30.0
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
#: Seconds beyond the shutdown grace a worker has to exit before it is killed.
EXIT_MARGIN = 5.0


def reuse_port_available() -> bool:
    """Whether SO_REUSEPORT spreads connections across processes here (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def check(config: ServerConfig) -> None:
    """Refuse, with the reason, a configuration that cannot run several workers."""
    count = config.worker_count
    if count < 2:
        return
    if not reuse_port_available():
        raise ConfigError(
            f"--workers {config.workers} needs SO_REUSEPORT as Linux has it, which this "
            f"system ({sys.platform}) lacks: run one `chinwag serve` per port behind a "
            "reverse proxy instead (docs/deploy.md)"
        )
    if not config.bus_url or config.bus_url == "memory://":
        raise ConfigError(
            f"--workers {config.workers} needs a Redis bus (--bus-url redis://host:6379/0): "
            "workers are separate processes and tell each other of new messages and "
            "presence through it (docs/deploy.md)"
        )


@dataclasses.dataclass
class Slot:
    """One worker's place in the group: its node id stays, its processes come and go."""

    index: int
    node_id: str
    process: Any = None  # multiprocessing's SpawnProcess (untyped)
    #: The worker says here when it listens; and the pipe whose end stops it.
    ready_pipe: Connection | None = None
    lifeline: Connection | None = None
    started: float = 0.0
    ready: bool = False
    failures: int = 0
    #: time.monotonic() at which to start it again (None: running, or not to restart).
    restart_at: float | None = None
    #: Asked to stop for a rolling restart (SIGHUP), by then: not a failure.
    retire_by: float | None = None

    def forget(self) -> None:
        for end in (self.ready_pipe, self.lifeline):
            if end is not None:
                end.close()
        self.ready_pipe = self.lifeline = None
        self.process = None


class Supervisor:
    def __init__(self, config: ServerConfig, *, worker: Worker, announce: Announce) -> None:
        check(config)
        self.config = config
        self.worker = worker
        self.announce = announce
        base = config.node_id or secrets.token_hex(3)
        self.slots = [Slot(i, f"{base}-{i}") for i in range(1, config.worker_count + 1)]
        self.port = config.port
        self._mp = multiprocessing.get_context("spawn")
        self._stop = False
        #: Slots still to restart for SIGHUP (the first one in progress), and when it came.
        self._rolling: list[Slot] = []
        self._rolled_at = 0.0
        self._wake_r, self._wake_w = socket.socketpair()

    # -- the whole life of the group -----------------------------------------------------
    def run(self) -> int:
        """Start the workers, keep them running until SIGINT or SIGTERM, stop them."""
        self._prepare()
        reserved = self._reserve_port()
        previous = self._install_signals()
        try:
            for slot in self.slots:
                self._start(slot)
            if not self._wait_ready():
                return 0 if self._stop else 1  # stopped by a signal, or a worker failed
            if reserved is not None:
                reserved.close()  # every worker listens on the port now
                reserved = None
            self.announce(self.config, self.port)
            ids = ", ".join(f"{s.node_id} (pid {s.process.pid})" for s in self.slots)
            print(f"  {len(self.slots)} workers: {ids}", flush=True)
            self._watch()
            return 0
        finally:
            if reserved is not None:
                reserved.close()
            self._stop_all()
            self._restore_signals(previous)
            self._wake_r.close()
            self._wake_w.close()

    def _prepare(self) -> None:
        """Create the data dir and migrate the database once, before the workers open it
        (so that they do not all migrate at once); fail here if it cannot be opened."""
        from chinwag.store.sql import open_store

        self.config.data_dir.mkdir(parents=True, exist_ok=True)

        async def migrate() -> None:
            store = await open_store(self.config.resolved_database_url())
            await store.close()

        from chinwag.store.sql.migrate import SchemaTooNew

        try:
            asyncio.run(migrate())
        except SchemaTooNew:
            raise  # said by `chinwag.cli.main`, with its own exit code
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot open the database: {exc}") from exc
        except Exception as exc:  # the driver's own errors (asyncpg, sqlite3, SQLAlchemy)
            raise ConfigError(f"cannot open the database: {type(exc).__name__}: {exc}") from exc

    def _reserve_port(self) -> socket.socket | None:
        """Check that the address is free (a port shared with processes outside this group
        would silently take part of its connections). For port 0, pick the port the
        workers share, and hold it until they listen."""
        host = self.config.host or None
        try:
            infos = socket.getaddrinfo(
                host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
        except OSError as exc:
            raise ConfigError(f"cannot listen on {self.config.host}: {exc}") from exc
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self.port == 0:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(address)
        except OSError as exc:
            sock.close()
            raise ConfigError(
                f"cannot listen on {self.config.host} port {self.port}: {exc.strerror or exc}"
            ) from exc
        if self.port == 0:
            self.port = int(sock.getsockname()[1])
            return sock
        sock.close()
        return None

    # -- starting and watching -----------------------------------------------------------
    def _start(self, slot: Slot) -> None:
        config = dataclasses.replace(self.config, node_id=slot.node_id, port=self.port, workers="1")
        ready_r, ready_w = self._mp.Pipe(duplex=False)
        life_r, life_w = self._mp.Pipe(duplex=False)
        process = self._mp.Process(
            target=_worker_main,
            args=(self.worker, config, ready_w, life_r),
            name=f"chinwag-worker-{slot.index}",
        )
        process.start()
        ready_w.close()  # the worker's ends are the worker's
        life_r.close()
        slot.process, slot.ready_pipe, slot.lifeline = process, ready_r, life_w
        slot.started, slot.ready, slot.restart_at = time.monotonic(), False, None
        log.info("worker %d (node %s) started: pid %d", slot.index, slot.node_id, process.pid)

    def _wait_ready(self) -> bool:
        """Wait until every worker listens; False (the group stops) if one died first or
        a signal came."""
        while not self._stop and not all(slot.ready for slot in self.slots):
            self._wait(None)
            for slot in self.slots:
                if slot.process is not None and not slot.process.is_alive() and not slot.ready:
                    code = slot.process.exitcode
                    print(
                        f"chinwag: worker {slot.index} (node {slot.node_id}) stopped while "
                        f"starting (exit code {code}); its error is above",
                        file=sys.stderr,
                        flush=True,
                    )
                    return False
        return not self._stop

    def _watch(self) -> None:
        while not self._stop:
            now = time.monotonic()
            due = [t for s in self.slots for t in (s.restart_at, s.retire_by) if t is not None]
            self._wait(max(0.0, min(due) - now) if due else None)
            now = time.monotonic()
            for slot in self.slots:
                if self._stop:
                    return
                if slot.process is not None and not slot.process.is_alive():
                    self._died(slot, now)
                elif slot.restart_at is not None and slot.restart_at <= now:
                    self._start(slot)
                elif slot.retire_by is not None and slot.retire_by <= now:
                    log.warning("worker %d did not stop in time: killing it", slot.index)
                    slot.process.kill()
            self._roll()

    def _roll(self) -> None:
        """Go on with a rolling restart: stop one worker gracefully (its clients come back
        on the others), and once its successor listens, the next one. The group never
        stops serving, and every worker runs the code now installed."""
        while self._rolling:
            slot = self._rolling[0]
            if slot.retire_by is not None or (slot.process is not None and not slot.ready):
                return  # stopping, or its successor is starting: wait for it
            if slot.process is None or slot.started >= self._rolled_at:
                self._rolling.pop(0)  # restarted since SIGHUP (or starts again anyway)
                continue
            log.info("restarting worker %d (node %s)", slot.index, slot.node_id)
            slot.retire_by = time.monotonic() + self.config.shutdown_grace + EXIT_MARGIN
            with contextlib.suppress(ProcessLookupError):
                os.kill(slot.process.pid, signal.SIGTERM)
            return

    def _died(self, slot: Slot, now: float) -> None:
        code = slot.process.exitcode
        pid = slot.process.pid
        slot.process.join()
        slot.forget()
        if slot.retire_by is not None:  # stopped for a rolling restart: start it again now
            slot.retire_by = None
            self._start(slot)
            return
        lived = now - slot.started
        slot.failures = 1 if lived >= STABLE_AFTER else slot.failures + 1
        delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (slot.failures - 1))
        slot.restart_at = now + delay
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit {code}"
        log.warning(
            "worker %d (node %s, pid %d) died (%s) after %.1f s; restarting in %.1f s",
            *(slot.index, slot.node_id, pid, how, lived, delay),
        )

    def _wait(self, timeout: float | None) -> None:
        """Wait for a worker to stop or to say it listens, a signal, or `timeout`."""
        waitables: list[Any] = [self._wake_r]
        for slot in self.slots:
            if slot.process is not None:
                waitables.append(slot.process.sentinel)
                if not slot.ready and slot.ready_pipe is not None:
                    waitables.append(slot.ready_pipe)
        for done in wait(waitables, timeout):
            if done is self._wake_r:
                with contextlib.suppress(BlockingIOError):
                    self._wake_r.recv(4096)
        for slot in self.slots:
            pipe = slot.ready_pipe
            if slot.ready or pipe is None:
                continue
            with contextlib.suppress(EOFError, OSError):
                if pipe.poll():
                    pipe.recv()
                    slot.ready = True
                    log.info("worker %d (node %s) listens", slot.index, slot.node_id)

    # -- stopping ------------------------------------------------------------------------
    def _install_signals(self) -> dict[int, Any]:
        self._wake_w.setblocking(False)
        self._wake_r.setblocking(False)
        previous: dict[int, Any] = {-1: signal.set_wakeup_fd(self._wake_w.fileno())}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, self._on_signal)
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._on_hangup)
        return previous

    def _restore_signals(self, previous: dict[int, Any]) -> None:
        signal.set_wakeup_fd(previous.pop(-1))
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def _on_hangup(self, signum: int, frame: object) -> None:
        if self._stop or self._rolling:
            return  # stopping, or a rolling restart is under way already
        log.info("SIGHUP: restarting the %d workers one at a time", len(self.slots))
        self._rolled_at = time.monotonic()
        self._rolling = list(self.slots)

    def _on_signal(self, signum: int, frame: object) -> None:
        if not self._stop:
            log.info("%s: stopping %d workers", signal.Signals(signum).name, len(self.slots))
        self._stop = True

    def _stop_all(self) -> None:
        """SIGTERM every worker (each shuts down gracefully), then wait for them; kill
        those still running after the grace."""
        running = [s for s in self.slots if s.process is not None and s.process.is_alive()]
        for slot in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(slot.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.config.shutdown_grace + EXIT_MARGIN
        for slot in running:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                log.warning("worker %d did not stop in time: killing it", slot.index)
                slot.process.kill()
                slot.process.join()
        for slot in self.slots:
            if slot.process is not None:
                slot.process.join()
            slot.forget()
            slot.restart_at = slot.retire_by = None
        if running:
            log.info("all %d workers stopped", len(self.slots))


# -- in the worker's process -----------------------------------------------------------------
def _worker_main(worker: Worker, config: ServerConfig, ready: Connection, life: Connection) -> None:
    """A worker's process: run the node; stop (SIGTERM to itself, the graceful path) when
    the supervisor's end of the lifeline closes."""
    logging.basicConfig(
        level=config.log_level.upper(),
        format=f"%(asctime)s %(levelname)-7s [{config.node_id}] %(name)s: %(message)s",
        stream=sys.stderr,
    )

    def orphaned() -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                life.recv()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=orphaned, name="chinwag-lifeline", daemon=True).start()

    listens = False

    def listening(urls: list[str]) -> None:
        nonlocal listens
        listens = True
        # A supervisor killed while this worker started leaves nobody to tell: the
        # lifeline's thread stops this worker gracefully.
        with contextlib.suppress(OSError):
            ready.send(urls)
        ready.close()

    try:
        worker(config, listening)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if listens:
            raise  # a fault while serving: its traceback is what a report needs
        # It could not start (its address, the database or Redis out of reach): say why
        # in one line, as `chinwag serve` does; the supervisor stops the group.
        print(
            f"chinwag: worker {config.node_id} cannot start: {type(exc).__name__}: {exc}",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(1)
