"""The real Tk app under Xvfb, against a real server on loopback."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chinwag.client import Client, RequestError
from chinwag.client.events import Status
from chinwag.desktop.prefs import Prefs
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import PASSWORD, LoopThread, MakeApp, log_in, pump, pump_until

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    from chinwag.desktop.app import DesktopApp

pytestmark = pytest.mark.display


def timeline_text(app: DesktopApp) -> str:
    assert app.main is not None
    return str(app.main.timeline.text.get("1.0", "end"))


def type_and_send(app: DesktopApp, text: str) -> None:
    assert app.main is not None
    box = app.main.composer.text
    box.focus_set()
    box.insert("end", text)
    box.event_generate("<Return>")
    app.root.update()


def test_bad_password_taken_name_and_unreachable(
    make_app: MakeApp, chat_server: RestartableServer, other: Callable[..., Client]
) -> None:
    other("ada")
    app = make_app(chat_server.address)
    view = app.login_view
    assert view is not None
    pump_until(app.root, lambda: "new accounts welcome" in view.server_info.cget("text"))
    view.username_var.set("ada")
    view.password_var.set("not my password")
    view.login_button.invoke()
    pump_until(app.root, lambda: view.error.cget("text") == "Wrong username or password.")
    assert app.main is None and view.password_var.get() == ""
    view.password_var.set(PASSWORD)
    view.create_button.invoke()
    pump_until(app.root, lambda: "is taken" in view.error.cget("text"))
    view.server_var.set("127.0.0.1:1")
    view.login_button.invoke()
    pump_until(app.root, lambda: view.error.cget("text").startswith("Cannot reach 127.0.0.1:1"))


def test_closed_registration_is_shown(
    make_app: MakeApp, loop_thread: LoopThread, tmp_path: Path
) -> None:
    closed = RestartableServer(tmp_path / "closed")
    closed.data_dir.mkdir()
    loop_thread.run(closed.start(registration=False))
    try:
        app = make_app(closed.address)
        view = app.login_view
        assert view is not None
        pump_until(app.root, lambda: "new accounts closed" in view.server_info.cget("text"))
        assert str(view.create_button.cget("state")) == "disabled"
        view.username_var.set("ada")
        view.password_var.set(PASSWORD)
        view._submit(True)  # as if the button had been clicked before the server answered
        assert "does not accept new accounts" in view.error.cget("text")
    finally:
        loop_thread.run(closed.stop())


def test_send_receive_dm_and_unread(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    bob = other("bob")
    main = app.main
    assert main is not None
    pump_until(app.root, lambda: "bob joined" in timeline_text(app), what="bob's join")

    # Ada sends: pending first, then stored, and Bob gets it.
    type_and_send(app, "hello from the desktop")
    assert app.state.rooms["general"].pending or "hello from the desktop" in timeline_text(app)
    assert main.composer.value() == ""
    pump_until(app.root, lambda: not app.state.rooms["general"].pending, what="the ack")
    assert timeline_text(app).count("hello from the desktop") == 1

    # Bob answers; Ada sees it in colour, with his name.
    run = loop_thread.run
    run(bob.send("general", "hi ada, see https://example.com/x"))
    pump_until(app.root, lambda: "see https://example.com/x" in timeline_text(app))
    assert main.timeline.text.tag_ranges("u:bob")  # his name, in his colour
    assert main.timeline.text.tag_ranges("url")  # the link, clickable

    # Ada opens a DM with Bob by double-clicking him in the members list.
    tree = main.members.tree
    pump_until(app.root, lambda: tree.exists("m:bob") and tree.bbox("m:bob"), what="bob listed")
    x, y, _w, h = tree.bbox("m:bob")
    for _ in range(2):  # a double click, as two quick clicks
        tree.event_generate("<ButtonPress-1>", x=x + 20, y=y + h // 2)
        tree.event_generate("<ButtonRelease-1>", x=x + 20, y=y + h // 2)
    pump_until(app.root, lambda: (app.state.current or "").startswith("dm:"), what="the DM")
    dm = app.state.current
    assert dm == "dm:ada:bob" and main.rooms.tree.exists(dm)
    assert main.title.cget("text") == "@ bob"

    # Back in general, a DM from Bob raises the unread count, in bold, and the title.
    main.rooms.tree.selection_set("general")
    pump_until(app.root, lambda: app.state.current == "general")
    app.set_focused(False)
    run(bob.send(dm, "psst"))
    pump_until(app.root, lambda: app.state.rooms[dm].unread == 1, what="unread")
    assert main.rooms.tree.item(dm, "values")[0] in ("1", 1)
    assert "unread" in main.rooms.tree.item(dm, "tags")
    assert app.root.title().startswith("(1) ")
    assert app.notifier.sent and app.notifier.sent[-1][1] == "psst"
    app.set_focused(True)
    main.rooms.tree.selection_set(dm)
    pump_until(app.root, lambda: app.state.current == dm)
    assert app.state.rooms[dm].unread == 0
    assert main.rooms.tree.item(dm, "values")[0] in ("", None)
    assert "unread" not in main.rooms.tree.item(dm, "tags")
    assert not app.root.title().startswith("(")
    assert "psst" in timeline_text(app)
    assert main.rooms.tree.parent(dm) == "section:dms"


def test_reading_on_another_device_clears_the_unread_count(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    main = app.main
    assert main is not None
    bob = other("bob")
    phone = other("ada", register=False)  # Ada's other device
    run = loop_thread.run
    dm = run(bob.open_dm("ada")).id
    app.set_focused(False)
    sent = [run(bob.send(dm, f"psst {i}")) for i in range(3)]
    pump_until(app.root, lambda: app.state.rooms.get(dm) and app.state.rooms[dm].unread == 3)
    assert app.root.title().startswith("(3) ")

    run(phone.mark_read(dm, sent[1].seq))  # read two of them on the phone
    pump_until(app.root, lambda: app.state.rooms[dm].unread == 1, what="the phone's read")
    pump_until(app.root, lambda: app.root.title().startswith("(1) "), what="the title")
    assert main.rooms.tree.item(dm, "values")[0] in ("1", 1)

    # Reading here reaches the phone through the server.
    app.set_focused(True)
    main.rooms.tree.selection_set(dm)
    pump_until(app.root, lambda: app.state.current == dm and app.state.rooms[dm].unread == 0)

    def server_marker() -> int:
        return int(run(phone.request(rq.Rooms(id="0"), rp.RoomsOk)).read.get(dm, 0))

    pump_until(app.root, lambda: server_marker() == sent[2].seq, what="the desktop's read")


def test_restart_reconnects_and_fills_the_gap(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
    tmp_path: Path,
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    bob = other("bob")
    loop_thread.run(bob.send("general", "before the restart"))
    pump_until(app.root, lambda: "before the restart" in timeline_text(app))
    main = app.main
    assert main is not None
    # A long back-off, so that Bob writes while Ada is away; "Reconnect now" ends it.
    app.network.run_sync(lambda c: setattr(c, "backoff_base", 60.0))
    app.network.run_sync(lambda c: setattr(c, "backoff_cap", 60.0))
    pump(app.root, 0.1)

    loop_thread.run(chat_server.stop())
    pump_until(app.root, lambda: app.state.status.status == Status.RECONNECTING)
    pump_until(app.root, lambda: "Reconnecting in" in main.status.cget("text"), what="countdown")
    assert main.reconnect.winfo_ismapped()
    type_and_send(app, "typed while offline")
    pending = app.state.rooms["general"].pending.values()
    assert [p.body for p in pending] == ["typed while offline"]
    pump_until(app.root, lambda: "1 message waiting to be sent" in main.status.cget("text"))

    loop_thread.run(chat_server.start())
    for i in range(3):
        loop_thread.run(bob.send("general", f"while you were away {i}"))
    main.reconnect.invoke()
    pump_until(app.root, lambda: app.state.status.status == Status.CONNECTED, what="reconnect")
    pump_until(app.root, lambda: not app.state.rooms["general"].pending, what="the outbox")
    pump_until(app.root, lambda: "while you were away 2" in timeline_text(app))

    rs = app.state.rooms["general"]
    assert rs.seqs == list(range(rs.seqs[0], rs.seqs[0] + len(rs.seqs)))  # no hole
    text = timeline_text(app)
    for body in ["before the restart", "typed while offline"] + [
        f"while you were away {i}" for i in range(3)
    ]:
        assert text.count(body) == 1, body  # no duplicate
    history = loop_thread.run(bob.history("general", limit=200))
    assert [m.body for m in history.messages].count("typed while offline") == 1
    assert [m.seq for m in history.messages][-len(rs.seqs) :] == rs.seqs


def test_unsent_messages_outlive_quitting_and_go_out_once(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
    tmp_path: Path,
) -> None:
    config = tmp_path / "unsent"
    app = make_app(chat_server.address, config)
    log_in(app, "ada", create=True)
    app.network.run_sync(lambda c: setattr(c, "backoff_base", 60.0))
    app.network.run_sync(lambda c: setattr(c, "backoff_cap", 60.0))
    loop_thread.run(chat_server.stop())
    pump_until(app.root, lambda: app.state.status.status == Status.RECONNECTING)
    type_and_send(app, "typed before quitting")
    type_and_send(app, "and another")
    app.quit()
    saved = Prefs.load(config)
    assert stat.S_IMODE((config / "desktop.json").stat().st_mode) == 0o600
    assert [m["body"] for m in saved.unsent["ada@" + chat_server.address]] == [
        "typed before quitting",
        "and another",
    ]

    loop_thread.run(chat_server.start())
    again = make_app(chat_server.address, config)  # the saved token logs straight back in
    pump_until(
        again.root,
        lambda: "and another" in timeline_text(again) and not again.state.rooms["general"].pending,
        what="the unsent messages stored",
    )
    text = timeline_text(again)
    assert text.index("typed before quitting") < text.index("and another")
    bob = other("bob")
    history = loop_thread.run(bob.history("general", limit=50))
    bodies = [m.body for m in history.messages]
    assert bodies.count("typed before quitting") == bodies.count("and another") == 1
    again.close()
    assert Prefs.load(config).unsent == {}


def test_token_is_private_and_logs_straight_back_in(
    make_app: MakeApp, chat_server: RestartableServer, tmp_path: Path
) -> None:
    config = tmp_path / "remembered"
    app = make_app(chat_server.address, config)
    log_in(app, "ada", create=True)
    session = config / "session.json"
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    app.close()
    again = make_app(chat_server.address, config)
    assert again.main is not None and again.login_view is None
    pump_until(again.root, lambda: again.state.status.status == Status.CONNECTED)
    assert again.state.me is not None and again.state.me.username == "ada"
    # Settings: dark theme (remembered), then log out (the token is forgotten).
    dialog = again.open_settings()
    dialog.theme.set("dark")
    dialog._theme()
    assert Prefs.load(config).theme == "dark"
    dialog.logout_button.invoke()
    pump_until(again.root, lambda: again.login_view is not None, what="the login window")
    assert not session.exists()
    assert again.login_view is not None and again.login_view.username_var.get() == "ada"


@pytest.mark.parametrize("chunk", [300, 20])
def test_older_history_loads_on_scroll_to_top(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
) -> None:
    """Scrolling up draws older held messages chunk by chunk, then pages the server's
    history in; the view keeps its place and the whole room reads in order, once."""
    monkeypatch.setattr("chinwag.desktop.window.CHUNK", chunk)
    bob = other("bob")

    async def fill() -> None:
        for i in range(150):
            bob.queue_send("general", f"line {i}")
        await bob.send("general", "the newest")

    loop_thread.run(fill())
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    rs = app.state.rooms["general"]
    pump_until(app.root, lambda: rs.loaded and "the newest" in timeline_text(app))
    first = rs.seqs[0]
    assert first > 1 and rs.more_before
    main = app.main
    assert main is not None

    def scroll_up_until(done: Callable[[], bool]) -> Callable[[], bool]:
        def step() -> bool:
            main.timeline.text.yview_moveto(0.0)
            return done()

        return step

    if chunk < len(rs.seqs):  # first the held messages, drawn chunk by chunk
        drawn = main.timeline.line_of
        pump_until(app.root, scroll_up_until(lambda: drawn(first) is not None), what="held")
    main.timeline.text.yview_moveto(0.0)
    pump_until(app.root, lambda: rs.seqs[0] < first, what="older messages")
    # The view stays on the message that was at the top: scrolling up again loads more.
    assert main.timeline.top_seq() == first
    pump_until(app.root, scroll_up_until(lambda: rs.seqs[0] == 1), 15, "the beginning")
    pump_until(app.root, scroll_up_until(lambda: main.timeline.line_of(1) is not None))
    assert "This is the beginning of #general." in timeline_text(app)
    text = timeline_text(app)
    assert all(text.count(f"line {i}\n") == 1 for i in range(150))
    where = [text.index(f"line {i}\n") for i in range(150)]
    assert where == sorted(where)


def test_typing_newlines_marker_and_moderation(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)  # the first account: a server admin
    bob = other("bob")
    main = app.main
    assert main is not None

    loop_thread.run(bob.typing("general"))
    pump_until(app.root, lambda: main.composer.typing.cget("text") == "bob is typing…")

    # Shift+Enter makes a new line; Enter sends both lines as one message.
    box = main.composer.text
    box.focus_set()
    box.insert("end", "line one")
    box.event_generate("<Shift-Return>")
    box.insert("end", "line two")
    assert main.composer.value() == "line one\nline two"
    box.event_generate("<Return>")
    pump_until(app.root, lambda: "line one\nline two\n" in timeline_text(app))

    # Scrolled up, a new message shows the marker and a jump button, not a jump.
    async def many() -> None:
        for i in range(60):
            bob.queue_send("general", f"filler {i}")
        await bob.send("general", "filler end")

    loop_thread.run(many())
    pump_until(app.root, lambda: "filler end" in timeline_text(app))
    pump(app.root, 0.2)
    main.timeline.text.yview_moveto(0.5)
    pump_until(app.root, lambda: not main.timeline.at_bottom, what="scrolled up")
    top = main.timeline.top_seq()
    loop_thread.run(bob.send("general", "news while you read"))
    pump_until(app.root, lambda: main.timeline.jump.winfo_ismapped(), what="the jump button")
    assert main.timeline.jump.cget("text") == "↓  1 new message"
    assert "New messages\n" in timeline_text(app)
    assert main.timeline.top_seq() == top  # the view did not move
    assert app.state.rooms["general"].unread == 0  # in view, just below
    main.timeline.jump.invoke()
    jump = main.timeline.jump
    pump_until(app.root, lambda: main.timeline.at_bottom and not jump.winfo_ismapped())

    # An admin's right-click menu on bob, then a mute through its dialog.
    menu = app.build_user_menu("bob")
    labels = [menu.entrycget(i, "label") for i in range(menu.index("end") + 1)
              if menu.type(i) == "command"]  # fmt: skip
    assert labels[0] == "Message bob"
    assert "Mute in #general…" in labels and "Ban from the server…" in labels
    assert "Kick from #general…" not in labels  # the server refuses it: everyone is in general
    assert app.build_user_menu("ada").index("end") is None  # nothing to do to oneself
    dialog = app.moderate("mute", "bob", "general")
    dialog.reason.set("calm down")
    dialog.ok.invoke()
    pump_until(app.root, lambda: "ada muted bob" in timeline_text(app), what="the system line")
    with pytest.raises(RequestError) as refused:
        loop_thread.run(bob.send("general", "can I talk?"))
    assert refused.value.code == "muted"


def test_a_server_kick_returns_to_login_with_the_reason(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
    tmp_path: Path,
) -> None:
    admin = other("ada")
    config = tmp_path / "kicked"
    app = make_app(chat_server.address, config)
    log_in(app, "bob", create=True)
    assert (config / "session.json").exists()
    loop_thread.run(admin.kick("bob", reason="cool off"))
    pump_until(app.root, lambda: app.login_view is not None, what="the login window")
    view = app.login_view
    assert view is not None
    assert view.error.cget("text") == "ada disconnected you from the server: cool off."
    assert not (config / "session.json").exists()  # the token no longer works anyway


def test_create_join_dm_and_invite_through_the_dialogs(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    bob = other("bob")
    loop_thread.run(bob.create_room("Board games", topic="Thursdays"))
    other("cy")
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    root = app.root

    create = app.create_room_dialog()
    create.name.set("LAN Party")
    create.topic.set("Saturday")
    create.private.set(True)
    create.ok.invoke()
    current = lambda: app.state.rooms.get(app.state.current or "")  # noqa: E731
    pump_until(root, lambda: (rs := current()) and rs.room.name == "LAN Party", what="the room")
    assert not create.top.winfo_exists()
    party = current()
    assert party is not None and party.room.kind == "private"
    assert party.id.startswith("p:")  # a private room's id says nothing of its name
    assert app.main is not None and app.main.topic.cget("text").startswith("Private room")

    invite = app.invite_dialog(party.id)
    invite.filter.set("c")
    assert invite.tree.get_children() == ("cy",)
    invite.ok.invoke()
    pump_until(root, lambda: "ada added cy" in timeline_text(app), what="the invitation")

    join = app.join_room_dialog()
    pump_until(root, lambda: join.tree.exists("board-games"), what="the public rooms")
    join.tree.selection_set("board-games")
    join.ok.invoke()
    pump_until(root, lambda: app.state.current == "board-games", what="the joined room")

    dm = app.dm_dialog()
    dm.tree.selection_set("bob")
    dm.ok.invoke()
    pump_until(root, lambda: app.state.current == "dm:ada:bob", what="the DM")

    failing = app.create_room_dialog()
    failing.name.set("x" * 60)
    failing.ok.invoke()
    pump_until(root, lambda: failing.error.cget("text") != "", what="the refusal")
    assert failing.top.winfo_exists()  # stays open, saying why
