"""Threads in the desktop under Xvfb, against a real server: a long thread, whose
replies the room's timeline does not show and the thread pane pages in as the user
scrolls up, the root staying first and the view staying put."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from chinwag.client import Client
from chinwag.desktop import thread_pane
from chinwag.protocol.types import Message
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump, pump_until

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    from chinwag.desktop.app import DesktopApp
    from chinwag.desktop.thread_pane import ThreadPane

pytestmark = pytest.mark.display


def pane_text(pane: ThreadPane) -> str:
    return str(pane.view.text.get("1.0", "end"))


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
    count = thread_pane.PAGE + 50  # more than a page of history (50), and of a thread
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
    assert "This is the beginning of #general." in text.get("1.0", "end")


def test_a_long_thread_pages_in_as_the_user_scrolls_up(
    long_thread: tuple[DesktopApp, Message, list[Message]],
) -> None:
    app, root, replies = long_thread
    main = app.main
    assert main is not None
    pane = app.open_thread("general", root.seq)
    assert pane is not None
    pump_until(app.root, lambda: pane.older_than is not None, what="the newest page")
    text = pane.view.text
    assert "reply 249" in pane_text(pane) and "reply 000" not in pane_text(pane)
    assert pane.older_than == replies[50].seq  # the newest 200 are held, not the rest
    assert pane.rs is not None and root.seq in pane.rs.messages
    assert "scroll up for older replies" in text.get("1.0", "1.end")

    # Scrolled to the top again and again (as by the scroll bar; a bounded number of
    # times): the held replies are drawn, then the root above them.
    starts = pane.view._starts  # (line, seq) of each message drawn
    for _ in range(20):
        starts = pane.view._starts
        if [seq for _line, seq in starts[:2]] == [root.seq, replies[50].seq]:
            break
        text.yview_moveto(0.0)
        pump(app.root, 0.05)
    assert [seq for _line, seq in starts[:2]] == [root.seq, replies[50].seq]
    assert pane.older_than == replies[50].seq  # nothing was fetched yet

    # At the top once more: the page before comes, between the root and the reply
    # the user was looking at, which stays where it was on screen.
    text.yview_moveto(0.0)
    y_before = pane.view._y_of(replies[50].seq)
    assert y_before > 0  # below the root
    pump_until(app.root, lambda: pane.older_than is None, timeout=20, what="the page before")
    assert abs(pane.view._y_of(replies[50].seq) - y_before) <= 1
    assert pane.view.top_seq() != root.seq  # the view did not jump to the top
    assert "reply 000" not in text.get("@0,0", f"@0,{text.winfo_height()} lineend")
    assert text.get("1.0", "1.end") == "Thread in #general"

    # Scrolled up: the first reply, after the root. Every reply is held once, after
    # the root, with no gap.
    for _ in range(20):
        if pane.view.lines_of(replies[0].seq) is not None:
            break
        text.yview_moveto(0.0)
        pump(app.root, 0.05)
    assert pane.view.lines_of(replies[0].seq) is not None
    assert [seq for _line, seq in pane.view._starts[:2]] == [root.seq, replies[0].seq]
    assert pane.rs.seqs == [root.seq, *[r.seq for r in replies]]
    text.yview_moveto(0.0)
    pump(app.root, 0.05)
    top = text.get("@0,0", f"@0,{text.winfo_height()} lineend")
    assert "the long thread starts here" in top and "reply 000" in top

    # Opened again: the newest page comes again, and what was paged in stays.
    assert app.open_thread("general", root.seq) is pane
    reply_count = len(replies)
    pump_until(app.root, lambda: pane.paged and len(pane.replies) == reply_count, what="again")
    pump(app.root, 0.3)
    assert pane.older_than is None and pane.rs.seqs == [root.seq, *[r.seq for r in replies]]


def test_the_rooms_threads_listed_and_one_opened(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    run = loop_thread.run
    bob = other("bob")
    far = run(bob.send("general", "the far back plan"))
    run(bob.send("general", "an early reply", thread=far.seq))
    for i in range(60):
        run(bob.send("general", f"filler {i}"))
    recent = run(bob.send("general", "the **recent** plan"))
    run(bob.send("general", "first reply", thread=recent.seq))
    run(bob.send("general", "second reply", thread=recent.seq))
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    pump_until(app.root, lambda: recent.seq in app.state.rooms["general"].messages, what="root")
    assert far.seq not in app.state.rooms["general"].messages  # far back: not loaded
    main = app.main
    assert main is not None

    # From the room's ⋯ menu.
    main.room_button.invoke()
    menu = pump_until(app.root, lambda: app.menu_shown, what="the room menu")
    try:
        labels = [menu.entrycget(i, "label") for i in range(menu.index("end") + 1)
                  if menu.type(i) == "command"]  # fmt: skip
        assert "Threads…" in labels
    finally:
        menu.unpost()
    dialog = app.threads_dialog("general")
    tree = dialog.tree
    pump_until(app.root, lambda: len(tree.get_children()) == 2, what="the list")
    rows = [tree.item(iid)["values"] for iid in tree.get_children()]
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("bob: the recent plan", 2, 2),  # held: counted
        ("bob: the far back plan", 1, "new"),  # not held: some unread
    ]
    assert str(rows[0][2]).startswith("Today ")
    assert tree.item(str(recent.seq))["tags"] == ["unread"]
    assert dialog.status.cget("text") == "2 threads, the most recently active first"

    # Down, then Enter: the far back one opens in the thread pane, with its reply.
    pump_until(app.root, lambda: app.root.focus_get() is tree, what="the list focused")
    tree.event_generate("<Down>")
    app.root.update()
    tree.event_generate("<Return>")
    pane = pump_until(app.root, lambda: main.thread, what="the thread pane")
    pump_until(app.root, lambda: "an early reply" in pane_text(pane), what="its reply")
    assert pane.root_seq == far.seq and "the far back plan" in pane_text(pane)
    assert not dialog.top.winfo_exists()


def test_a_reply_in_a_thread_the_room_does_not_hold_leaves_the_app_going(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    """A thread reply to a root far back reaches the room's timeline alone (no change
    of a root it holds comes with it): nothing to draw, and the next message shows."""
    run = loop_thread.run
    bob = other("bob")
    root = run(bob.send("general", "an old question"))
    for i in range(60):
        run(bob.send("general", f"filler {i}"))
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    text = main.timeline.text
    pump_until(app.root, lambda: "filler 59" in text.get("1.0", "end"), what="the room")
    assert root.seq not in app.state.rooms["general"].messages
    late = run(bob.send("general", "a late answer", thread=root.seq))
    pump_until(app.root, lambda: late.seq in app.state.rooms["general"].messages, what="it")
    pump(app.root, 0.2)
    run(bob.send("general", "and in the room"))
    pump_until(app.root, lambda: "and in the room" in text.get("1.0", "end"), what="the next")
    assert "a late answer" not in text.get("1.0", "end")


def test_a_reply_of_the_thread_quoted_in_its_box_though_the_room_lacks_it(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    run = loop_thread.run
    bob = other("bob")
    root = run(bob.send("general", "who brings what?"))
    drinks = run(bob.send("general", "drinks", thread=root.seq))
    for i in range(60):  # the room's timeline loads neither the root nor the reply
        run(bob.send("general", f"filler {i}"))
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    pump_until(app.root, lambda: app.state.rooms["general"].seqs, what="the room")
    assert drinks.seq not in app.state.rooms["general"].messages
    main = app.main
    assert main is not None
    pane = app.open_thread("general", root.seq, root)
    assert pane is not None
    pump_until(app.root, lambda: "drinks" in pane_text(pane), what="the reply")

    # Right-click on the reply in the pane: Reply quotes it in the thread's box.
    text = pane.view.text
    lines = pane.view.lines_of(drinks.seq)
    assert lines is not None
    text.see(f"{lines[1] - 1}.0")
    app.root.update()
    x, y, _w, h = text.bbox(f"{lines[1] - 1}.0")
    text.event_generate("<Button-3>", x=x + 2, y=y + h // 2)
    menu = pump_until(app.root, lambda: app.menu_shown, what="its menu")
    try:
        labels = [menu.entrycget(i, "label") for i in range(menu.index("end") + 1)
                  if menu.type(i) == "command"]  # fmt: skip
        menu.invoke(labels.index("Reply"))
    finally:
        menu.unpost()
    app.root.update()
    assert pane.composer.reply_seq == drinks.seq and main.composer.reply_seq is None
    assert pane.composer.reply_label.cget("text") == "Replying to bob: drinks"
    pane.composer.text.insert("end", "cold ones please")
    pane.composer.text.event_generate("<Return>")
    pump_until(app.root, lambda: "↪ bob: drinks" in pane_text(pane), what="the quote")
    stored = run(bob.history("general", limit=5)).messages
    [mine] = [m for m in stored if m.body == "cold ones please"]
    assert (mine.thread, mine.reply_to.seq) == (root.seq, drinks.seq)

    # A reaction to that reply (which only the pane holds) shows there, live.
    run(bob.react("general", drinks.seq, "👍"))
    pump_until(app.root, lambda: "\u2009👍 1\u2009" in pane_text(pane), what="bob's 👍")


def test_a_quote_of_an_older_reply_pages_the_pane_back_to_it(
    long_thread: tuple[DesktopApp, Message, list[Message]],
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    """In the thread pane, a click on the quote of a reply older than the pages held
    fetches the pages before until it is held, draws back to it and highlights it."""
    app, root, replies = long_thread
    bob = other("bob", register=False)
    quoting = loop_thread.run(
        bob.send("general", "as reply 003 said", thread=root.seq, reply_to=replies[3].seq)
    )
    pane = app.open_thread("general", root.seq)
    assert pane is not None
    text = pane.view.text
    pump_until(
        app.root,
        lambda: pane.older_than is not None and pane.view.lines_of(quoting.seq) is not None,
        what="the newest page, with the quoting reply",
    )
    assert pane.rs is not None and replies[3].seq not in pane.rs.messages

    # The click, as a user's: on the quote's line in the pane.
    ranges = text.tag_ranges("replyquote")
    spans = [(a, b) for a, b in zip(ranges[::2], ranges[1::2], strict=True)]
    a, _b = next((a, b) for a, b in spans if "reply 003" in text.get(a, b))
    text.see(a)
    app.root.update()
    x, y, _w, h = text.bbox(f"{a} + 1c")
    text.event_generate("<Motion>", x=x + 1, y=y + h // 2, warp=True)
    text.event_generate("<ButtonPress-1>", x=x + 1, y=y + h // 2)
    text.event_generate("<ButtonRelease-1>", x=x + 1, y=y + h // 2)

    pump_until(
        app.root,
        lambda: pane.view.lines_of(replies[3].seq) is not None and bool(text.tag_ranges("jumped")),
        timeout=20,
        what="the quoted reply, drawn and highlighted",
    )
    lines = pane.view.lines_of(replies[3].seq)
    assert lines is not None
    assert "reply 003" in text.get(f"{lines[0]}.0", f"{lines[1]}.0")
    assert pane.older_than is None  # the page before was fetched
    assert pane.rs.seqs == sorted(pane.rs.seqs) and len(set(pane.rs.seqs)) == len(pane.rs.seqs)


def test_each_thread_keeps_its_own_draft(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    """What was typed in a thread's box, its quote and "Also send to" stay with that
    thread: another thread opens with an empty box, and the first one, opened again (the
    pane closed meanwhile), shows them again."""
    run = loop_thread.run
    bob = other("bob")
    dinner = run(bob.send("general", "dinner?"))
    lunch = run(bob.send("general", "lunch?"))
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    pump_until(app.root, lambda: lunch.seq in app.state.rooms["general"].messages, what="both")
    main = app.main
    assert main is not None

    pane = app.open_thread("general", dinner.seq)
    assert pane is not None
    pane.composer.set_reply(dinner.seq, "Replying to bob: dinner?", focus=False)
    pane.composer.text.insert("end", "tacos at 7")
    pane.also.set(True)
    assert app.open_thread("general", lunch.seq) is pane
    pump_until(app.root, lambda: "lunch?" in pane_text(pane), what="the other thread")
    assert pane.composer.value() == "" and pane.composer.reply_seq is None
    assert pane.also.get() is False
    pane.composer.text.insert("end", "salad")
    main.close_thread_pane()

    pane = app.open_thread("general", dinner.seq)
    assert pane is not None
    assert pane.composer.value() == "tacos at 7" and pane.also.get() is True
    assert pane.composer.reply_seq == dinner.seq
    assert pane.composer.reply_label.cget("text") == "Replying to bob: dinner?"
    app.root.update()
    pane.composer.text.event_generate("<Return>")
    pump_until(app.root, lambda: "tacos at 7" in pane_text(pane), what="the reply")
    stored = run(bob.history("general", limit=5)).messages
    [mine] = [m for m in stored if m.body == "tacos at 7"]
    assert (mine.thread, mine.reply_to.seq, mine.in_room) == (dinner.seq, dinner.seq, True)
    assert pane.composer.value() == ""

    assert app.open_thread("general", lunch.seq) is pane
    assert pane.composer.value() == "salad"
    assert app.open_thread("general", dinner.seq) is pane
    assert pane.composer.value() == ""  # sent: nothing kept


def click_tag(pane: ThreadPane, tag: str) -> None:
    """A click on the first text of `tag` in the pane (Retry, Discard)."""
    text = pane.view.text
    index = text.index(f"{text.tag_ranges(tag)[0]}")
    text.see(index)
    text.update()
    x, y, w, h = text.bbox(index)
    text.event_generate("<Motion>", x=x + w // 2, y=y + h // 2, warp=True)
    text.event_generate("<ButtonRelease-1>", x=x + w // 2, y=y + h // 2)


def test_a_thread_reply_waits_in_the_pane_until_stored_once(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    """A reply typed while the server is away waits in the pane as "sending…" (the box
    is free again) and is stored once after the reconnect. One the server refuses when
    it goes (its writer was muted meanwhile) shows why, in red, with Retry, which sends
    it again with its id; while muted, the thread's box says so."""
    from chinwag.client.errors import ClientError
    from chinwag.client.events import Status
    from chinwag.store.records import Actor
    from chinwag.store.sql import open_store
    from tests.server.conftest import fast_config

    run = loop_thread.run
    bob = other("bob")  # the first account: an admin
    root = run(bob.send("general", "dinner?"))
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    pump_until(app.root, lambda: root.seq in app.state.rooms["general"].messages, what="root")
    main = app.main
    assert main is not None
    pane = app.open_thread("general", root.seq)
    assert pane is not None
    pump_until(app.root, lambda: pane.paged, what="the thread's page")

    def as_bob(make: Callable[[Client], Any]) -> Any:
        """What bob asks (his client may still be reconnecting after a restart)."""
        for _ in range(100):
            try:
                return run(make(bob))
            except ClientError:
                pump(app.root, 0.1)
        raise AssertionError("bob did not reconnect")

    def stored() -> list[str]:
        return [m.body for m in as_bob(lambda c: c.thread("general", root.seq)).messages]

    def reply_offline(body: str, meanwhile: Callable[[], Any] | None = None) -> None:
        run(chat_server.stop())
        pump_until(app.root, lambda: app.state.status.status == Status.RECONNECTING)
        pane.composer.text.insert("end", body)
        app.root.update()
        pane.composer.text.event_generate("<Return>")
        pump_until(app.root, lambda: body in pane_text(pane), what="the reply waiting")
        # greyed, under the others (named, "sending…", when the row above is not ada's)
        assert [w.item.body for w in main.threads_kept.waiting.values()] == [body]
        assert pane.composer.value() == ""
        if meanwhile is not None:
            run(meanwhile())
        run(chat_server.start())

    app.network.run_sync(lambda c: setattr(c, "backoff_base", 0.2))
    reply_offline("tacos")
    assert "sending…" in pane_text(pane)
    pump_until(app.root, lambda: "sending…" not in pane_text(pane), what="the reply stored")
    assert pane_text(pane).count("tacos") == 1 and stored() == ["tacos"]
    assert not main.threads_kept.waiting

    # Muted while the reply waits (written to the database while the server is down):
    # refused when it goes, and why.
    async def mute_ada() -> None:
        config = fast_config(chat_server.data_dir, **chat_server.overrides)
        store = await open_store(config.resolved_database_url())
        try:
            now = int(time.time() * 1000)
            await store.moderate(
                Actor("bob"), "mute", "ada", room_id="general", seconds=60, now=now
            )
        finally:
            await store.close()

    reply_offline("burritos", meanwhile=mute_ada)
    pump_until(app.root, lambda: "Retry" in pane_text(pane), what="the refusal")
    assert "⚠" in pane_text(pane) and "burritos" in pane_text(pane)
    assert stored() == ["tacos"]
    pump_until(app.root, lambda: pane.composer.muted, what="the box saying so")
    as_bob(lambda c: c.mute("ada", 0, room="general"))  # lifted
    pump_until(app.root, lambda: pane.composer.muted is None, what="the box free again")
    [cmid] = list(main.threads_kept.waiting)
    click_tag(pane, f"retry:{cmid}")
    pump_until(app.root, lambda: not main.threads_kept.waiting, what="sent again")
    pump_until(app.root, lambda: "Retry" not in pane_text(pane), what="the row gone")
    assert stored() == ["tacos", "burritos"] and pane_text(pane).count("burritos") == 1
