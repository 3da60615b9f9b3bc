"""The status bar and presence while the connection is away, in the real app."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from chinwag.client import Client
from chinwag.client.events import Status, StatusChanged
from chinwag.desktop.network import EventItem
from chinwag.desktop.sidebar import ONLINE, UNKNOWN, UNKNOWN_TEXT
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump, pump_until

if TYPE_CHECKING:
    from chinwag.desktop.app import DesktopApp

pytestmark = pytest.mark.display


def report(app: DesktopApp, event: object) -> None:
    """Hand `event` to the app as its network thread does."""
    app.inbox.put(EventItem(app.generation, event))  # type: ignore[arg-type]


def inside(widget: object, bar: object) -> bool:
    w, b = widget, bar
    left = w.winfo_rootx() - b.winfo_rootx()  # type: ignore[attr-defined]
    return bool(
        w.winfo_ismapped()  # type: ignore[attr-defined]
        and left >= 0
        and left + w.winfo_width() <= b.winfo_width()  # type: ignore[attr-defined]
    )


def test_the_status_bar_keeps_one_steady_text_and_its_buttons(
    make_app: MakeApp, chat_server: RestartableServer, loop_thread: LoopThread
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    app.root.geometry("780x500")  # the narrowest the window goes
    app.network.run_sync(lambda c: setattr(c, "backoff_base", 60.0))
    app.network.run_sync(lambda c: setattr(c, "backoff_cap", 60.0))
    app.network.run_sync(lambda c: setattr(c, "backoff_early_cap", 60.0))
    loop_thread.run(chat_server.stop())
    st = lambda: app.state.status  # noqa: E731
    # Waiting long for the next attempt (after a restart, the first one comes soon).
    pump_until(app.root, lambda: st().status == Status.RECONNECTING and (st().retry_in or 0) > 5)
    app.send("typed while offline")
    # As after three failed attempts, the next one 30 s away.
    report(app, StatusChanged(Status.RECONNECTING, retry_in=30.0, attempt=3))
    # (The bar may say "retrying" already, from the client's own status before this.)
    first = "Offline · retrying in 30 s · 1 message waiting to be sent"
    pump_until(app.root, lambda: main.status.cget("text") == first, what="the 30 s status")
    pump(app.root, 2.2)  # two ticks of the countdown
    text = main.status.cget("text")
    assert text.count("retrying") == 1, text
    assert text in [f"Offline · retrying in {n} s · 1 message waiting to be sent" for n in (29, 28)]
    bar = main.status.master
    assert inside(main.reconnect, bar) and inside(main.settings_button, bar)


def test_presence_is_unknown_while_disconnected(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    bob = other("bob")
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    app.open_dm("bob")
    pump_until(app.root, lambda: main.title.cget("text") == "@ bob", what="the DM")
    assert main.topic.cget("text") == "Direct message · online"
    assert main.members.tree.exists("o:bob")

    loop_thread.run(bob.close())
    loop_thread.run(chat_server.stop())
    pump_until(app.root, lambda: app.state.status.status != Status.CONNECTED)
    tree = main.members.tree
    assert tree.get_children(ONLINE) == (UNKNOWN,)
    assert tree.item(UNKNOWN, "text").strip() == UNKNOWN_TEXT
    assert str(tree.item("m:bob", "image")[0]) == str(main.members.images["unknown"])
    assert main.topic.cget("text") == "Direct message · presence unknown"
    dm = app.state.current
    assert dm is not None
    assert str(main.rooms.tree.item(dm, "image")[0]) == str(main.rooms.images["unknown"])

    loop_thread.run(chat_server.start())
    pump_until(app.root, lambda: app.state.status.status == Status.CONNECTED, timeout=15)
    pump_until(app.root, lambda: not tree.exists(UNKNOWN), what="presence known again")
    assert main.topic.cget("text") == "Direct message · offline"  # bob left meanwhile


def test_back_within_a_second_of_the_server_restarting(
    make_app: MakeApp, chat_server: RestartableServer, loop_thread: LoopThread
) -> None:
    """The client rule's reconnect, as the window shows it: measured and printed."""
    app = make_app(chat_server.address, client_options={"heartbeat": None})  # the defaults
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    loop_thread.run(chat_server.stop())
    pump_until(app.root, lambda: app.state.status.status != Status.CONNECTED)
    pump(app.root, 3.0)  # down for a while: a few attempts fail meanwhile
    assert main.status.cget("text") != "Connected"
    loop_thread.run(chat_server.start())
    started = time.monotonic()
    pump_until(app.root, lambda: main.status.cget("text") == "Connected", timeout=15)
    back = time.monotonic() - started
    print(f"\ndesktop: back {back * 1000:.0f} ms after the server accepted again (3 s outage)")
    assert back < 2.5  # the rule: within about 1 s; generous for a loaded machine
