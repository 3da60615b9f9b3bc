"""Driving the real Tk app: an Xvfb display per test, a server on loopback in a thread.

Tk lives in the test's own thread; the server (and any second client) runs on an asyncio
loop in another thread, reached through `LoopThread.run`. Tests wait by pumping Tk's
event loop (`pump_until`), never by touching widgets from another thread.
"""

from __future__ import annotations

import asyncio
import gc
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from chinwag.client import Client
from chinwag.client.events import Status
from chinwag.desktop.notify import Notifier
from chinwag.desktop.prefs import Prefs
from tests.client.conftest import RestartableServer
from tests.conftest import unavailable

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    from chinwag.desktop.app import DesktopApp

T = TypeVar("T")
SCREEN = "1280x800x24"


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """`Xvfb :N` on a display number nobody uses, once it answers X11 connections."""
    for number in random.sample(range(100, 1000), 40):
        if Path(f"/tmp/.X{number}-lock").exists() or _x_answers(number, timeout=0):
            continue  # taken (the socket check also sees servers of other file systems)
        proc = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", SCREEN, "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        if _x_answers(number, timeout=15, proc=proc):
            return proc, f":{number}"
        proc.kill()
        proc.wait()
    raise RuntimeError("could not start Xvfb on a free display")


def _die_with_parent() -> None:
    """In the child: ask Linux to end it when the test process dies, even by SIGKILL
    (a killed test run must not leave an X server behind)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _x_answers(number: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """Whether an X server on display `number` accepts a connection: send the X11
    setup request on the socket Xlib uses first (the abstract one on Linux, else the
    file) and read the status byte."""
    addresses = [f"/tmp/.X11-unix/X{number}"]
    if sys.platform.startswith("linux"):
        addresses.insert(0, "\0" + addresses[0])
    deadline = time.monotonic() + timeout
    while True:
        for address in addresses:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    sock.settimeout(2)
                    sock.connect(address)
                    sock.sendall(b"l\0\x0b\0\0\0\0\0\0\0\0\0")
                    if sock.recv(1) == b"\x01":
                        return True
            except OSError:
                pass
        if time.monotonic() >= deadline or (proc is not None and proc.poll() is not None):
            return False
        time.sleep(0.02)


@pytest.fixture(scope="session")
def _xvfb() -> Iterator[str]:
    """One Xvfb for the session. Tk never closes a display it opened, so a server
    stopped while the process lives would make Xlib end the process at Tk's next poll:
    it is stopped once, after the last test."""
    if shutil.which("Xvfb") is None:
        unavailable("Xvfb is not installed (apt install xvfb)")
    try:
        import tkinter  # noqa: F401
    except ImportError:
        unavailable("tkinter is not installed (apt install python3-tk)")
    proc, name = start_xvfb()
    try:
        yield name
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def display(_xvfb: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DISPLAY set to the session's Xvfb for this test.

    Afterwards, garbage is collected here, on the thread that made the test's Tk
    interpreters: one left in a reference cycle and collected later by a garbage
    collection that happens to run on another thread (a database thread of a later
    test) makes Tcl abort the whole process ("async handler deleted by the wrong
    thread")."""
    monkeypatch.setenv("DISPLAY", _xvfb)
    yield _xvfb
    gc.collect()


class LoopThread:
    """An asyncio loop in a thread, for the server and the other clients of a test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(cancel_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.close()


@pytest.fixture
def chat_server(loop_thread: LoopThread, tmp_path: Path) -> Iterator[RestartableServer]:
    srv = RestartableServer(tmp_path / "server")
    srv.data_dir.mkdir()
    loop_thread.run(srv.start())
    yield srv
    loop_thread.run(srv.stop())


def pump_until(root: Any, pred: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Run Tk's event loop until `pred()` is truthy; its value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        root.update()
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or pred}")
        time.sleep(0.01)


def pump(root: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        root.update()
        time.sleep(0.01)


PASSWORD = "correct horse"
FAST = {"backoff_base": 0.1, "backoff_cap": 0.5, "heartbeat": None}

MakeApp = Callable[..., "DesktopApp"]


@pytest.fixture
def make_app(display: str, tmp_path: Path) -> Iterator[MakeApp]:
    """make_app(server) -> a `DesktopApp` showing its login window; closed afterwards."""
    from chinwag.desktop.app import DesktopApp

    apps: list[DesktopApp] = []

    def make(server: str, config: Path | None = None, **kwargs: Any) -> DesktopApp:
        kwargs.setdefault("notifier", Notifier())
        kwargs.setdefault("client_options", dict(FAST))
        prefs = Prefs.load(config or tmp_path / "config")
        app = DesktopApp(prefs, server=server, track_focus=False, **kwargs)
        apps.append(app)
        pump(app.root, 0.05)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def other(
    loop_thread: LoopThread, chat_server: RestartableServer
) -> Iterator[Callable[..., Client]]:
    """other(name) -> a logged-in Client living on the server's loop."""
    made: list[Client] = []

    def make(name: str, register: bool = True) -> Client:
        client = Client(chat_server.address, **FAST)  # type: ignore[arg-type]
        auth = client.register if register else client.login
        loop_thread.run(auth(name, PASSWORD))
        made.append(client)
        return client

    yield make
    for client in made:
        loop_thread.run(client.close())


def log_in(app: DesktopApp, username: str, *, create: bool = False) -> None:
    view = app.login_view
    assert view is not None
    view.username_var.set(username)
    view.password_var.set(PASSWORD)
    (view.create_button if create else view.login_button).invoke()
    pump_until(app.root, lambda: app.main is not None, what="the main window")
    pump_until(app.root, lambda: app.state.status.status == Status.CONNECTED, what="connected")
