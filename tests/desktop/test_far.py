"""A message far back (a search result, a quoted original) opens in the main timeline with
the history around it, pages back and forward from there, and joins the room's newest
messages when it meets them; under Xvfb against a real server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from chinwag.client import Client
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump, pump_until
from tests.desktop.test_conversations import click_tag, shown, tagged

if TYPE_CHECKING:
    from chinwag.desktop.app import DesktopApp

pytestmark = pytest.mark.display

#: Messages bob sends before ada logs in (she then holds the newest 50 only).
COUNT = 600


def held_is_one_run(app: DesktopApp) -> list[int]:
    """The room's held seqs, checked to be one run without a hole."""
    seqs = list(app.state.rooms["general"].seqs)
    assert seqs == list(range(seqs[0], seqs[-1] + 1))
    return seqs


def drawn(app: DesktopApp) -> list[int]:
    assert app.main is not None
    return [seq for _line, seq in app.main.timeline._starts]


def search_and_open(app: DesktopApp, query: str) -> None:
    dialog = app.open_search()
    dialog.query.set(query)
    dialog.search()
    pump_until(app.root, lambda: dialog.found, what=f"the result for {query}")
    dialog.submit()


@pytest.fixture
def long_room(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> tuple[DesktopApp, Client, dict[int, int]]:
    """Ada's app in a general of 600 messages from bob, holding the newest page; the seq of
    each "chatter i" by i."""
    bob = other("bob")
    by_i: dict[int, int] = {}
    for i in range(COUNT):
        word = {5: " needle", 300: " haystack"}.get(i, "")
        by_i[i] = loop_thread.run(bob.send("general", f"chatter {i}{word}")).seq
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    pump_until(app.root, lambda: f"chatter {COUNT - 1}" in shown(app), what="the newest")
    assert by_i[300] not in app.state.rooms["general"].messages  # far back: not held
    app.jump_pages = 0  # anything not held is far back
    return app, bob, by_i


def test_a_far_back_result_opens_in_the_timeline_and_scrolls_down_to_the_newest(
    long_room: tuple[DesktopApp, Client, dict[int, int]], loop_thread: LoopThread
) -> None:
    app, bob, by_i = long_room
    main, root = app.main, app.root
    assert main is not None
    timeline, text = main.timeline, main.timeline.text
    newest_held = held_is_one_run(app)

    # Message 5, from search: in the main timeline (no side pane), highlighted, with the
    # messages around it as normal rows; the room's held messages are left as they were.
    search_and_open(app, "needle")
    pump_until(root, lambda: "chatter 5 needle" in "".join(tagged(text, "jumped")))
    assert main.thread is None and timeline.away is not None
    for i in (0, 4, 6, 40):
        assert f"chatter {i}\n" in shown(app)
    assert f"chatter {COUNT - 1}" not in shown(app)
    assert held_is_one_run(app) == newest_held
    assert timeline.jump.winfo_ismapped() and "Jump to latest" in timeline.jump.cget("text")

    # Someone else writes meanwhile: counted as new below, not drawn here.
    loop_thread.run(bob.send("general", "meanwhile, live"))
    pump_until(root, lambda: "1 new message" in timeline.jump.cget("text"), what="the count")
    assert "meanwhile, live" not in shown(app)

    # Scrolling down pages forward until the run meets the held messages and joins them.
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while not (timeline.away is None and timeline.newest_drawn and timeline._end_in_view()):
        assert time.monotonic() < deadline, "never reached the newest"
        text.yview_moveto(1.0)
        root.update()
        was_away, top = timeline.away is not None, timeline.top_seq()
        pump(root, 0.05)
        if was_away and timeline.away is None:  # joined: the view stays where it was
            assert top is not None and top <= (timeline.top_seq() or 0) <= top + 5
        starts = drawn(app)
        assert starts == sorted(set(starts))  # drawn once each, in order
        seen.update(starts)
    pump_until(root, lambda: "meanwhile, live" in shown(app), what="the live message")
    seqs = held_is_one_run(app)
    assert seqs[0] <= by_i[0] and seqs[-1] == newest_held[-1] + 1
    chatter = [m.body for m in app.state.rooms["general"].timeline() if m.sender == "bob"]
    chatter = [" ".join(body.split()[:2]) for body in chatter if body.startswith("chatter ")]
    assert chatter == [f"chatter {i}" for i in range(COUNT)]  # none missing, none twice
    # Every message from the one found down to the newest was drawn on the way.
    assert seen >= set(range(by_i[5], seqs[-1] + 1))
    assert not timeline.jump.winfo_ismapped()


def test_paging_back_from_far_back_and_jumping_to_the_latest(
    long_room: tuple[DesktopApp, Client, dict[int, int]], loop_thread: LoopThread
) -> None:
    app, bob, by_i = long_room
    main, root = app.main, app.root
    assert main is not None
    timeline, text = main.timeline, main.timeline.text

    # A quote of message 300, far back: the history around it in the main timeline.
    quote = loop_thread.run(bob.send("general", "as I said", reply_to=by_i[300]))
    pump_until(root, lambda: "as I said" in shown(app), what="the reply")
    newest_held = held_is_one_run(app)
    click_tag(app, "replyquote", "chatter 300 haystack")
    pump_until(root, lambda: "chatter 300 haystack" in "".join(tagged(text, "jumped")))
    far = timeline.away
    assert far is not None and main.thread is None
    first = far.first
    assert first > by_i[0] and "chatter 299\n" in shown(app)

    # Scrolling up pages back (from the server: the room holds none of these).
    deadline = time.monotonic() + 30
    while not (far.first < first and drawn(app)[0] < first):
        assert time.monotonic() < deadline, "never paged back"
        text.yview_moveto(0.0)
        pump(root, 0.05)
    assert drawn(app)[0] < first and f"chatter {first - by_i[0] - 1}\n" in shown(app)
    assert held_is_one_run(app) == newest_held  # the room's own messages: untouched

    # Its messages have menus and take changes as they come, like any other.
    msg = app.held_message("general", by_i[300])
    assert msg is not None and app.build_message_menu("general", by_i[300]).index("end")
    loop_thread.run(bob.edit_message("general", by_i[300], "chatter 300 haystack, edited"))
    pump_until(root, lambda: "haystack, edited" in shown(app), what="the edit")
    pane = app.open_thread("general", by_i[300])  # a thread may start there too
    assert pane is not None
    pump_until(root, lambda: "haystack, edited" in pane.view.text.get("1.0", "end"))
    main.close_thread_pane()

    # Jump to latest: the newest again, what came meanwhile there, the run let go.
    loop_thread.run(bob.send("general", "meanwhile, live"))
    pump_until(root, lambda: "1 new message" in timeline.jump.cget("text"), what="the count")
    timeline.jump.invoke()
    pump_until(root, lambda: "meanwhile, live" in shown(app), what="the newest")
    assert timeline.away is None and timeline.newest_drawn
    assert held_is_one_run(app)[0] == newest_held[0]  # no far-back message joined it
    assert by_i[300] not in app.state.rooms["general"].messages
    assert quote.seq in drawn(app)
    pump_until(root, lambda: not timeline.jump.winfo_ismapped(), what="the button gone")
