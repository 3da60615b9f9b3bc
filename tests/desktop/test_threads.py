"""Threads in the desktop under Xvfb, against a real server: a long thread, whose
replies the room's timeline does not show."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from chinwag.client import Client
from chinwag.protocol.types import Message
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    from chinwag.desktop.app import DesktopApp

pytestmark = pytest.mark.display


@pytest.fixture
def long_thread(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> tuple[DesktopApp, Message, list[Message]]:
    """Bob's root in general with more than a page of replies; Ada's app logged in."""
    run = loop_thread.run
    bob = other("bob")
    root = run(bob.send("general", "the long thread starts here"))
    count = 250  # more than a page of history (50), and than one of a thread (200)
    replies = [run(bob.send("general", f"reply {i:03}", thread=root.seq)) for i in range(count)]
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    pump_until(app.root, lambda: root.seq in app.state.rooms["general"].messages, what="root")
    return app, root, replies


def test_a_room_of_thread_replies_pages_back_to_what_it_shows(
    long_thread: tuple[DesktopApp, Message, list[Message]],
) -> None:
    """The room's timeline shows none of the replies: at its top, it asks for history
    until a message it shows comes (it once drew nothing new again and again, and the
    app hung)."""
    app, _root, _replies = long_thread
    assert app.main is not None
    text = app.main.timeline.text
    pump_until(app.root, lambda: "the long thread starts here" in text.get("1.0", "end"))
    pump_until(app.root, lambda: "bob joined" in text.get("1.0", "end"), what="the beginning")
    assert "reply 0" not in text.get("1.0", "end")
    assert app.state.rooms["general"].more_before is False  # it reached the beginning
