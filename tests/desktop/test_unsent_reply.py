"""A reply typed while offline and left unsent when the app closed keeps its quote at the
next start (Xvfb, a real server): shown above it again, and stored with `reply_to`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chinwag.client import Client
from chinwag.client.events import Status
from chinwag.desktop.prefs import Prefs
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    import tkinter as tk

    from chinwag.desktop.app import DesktopApp

pytestmark = pytest.mark.display


def tagged(text: tk.Text, tag: str) -> list[str]:
    ranges = text.tag_ranges(tag)
    return [text.get(a, b) for a, b in zip(ranges[::2], ranges[1::2], strict=True)]


def timeline(app: DesktopApp) -> tk.Text:
    assert app.main is not None
    return app.main.timeline.text


def test_an_unsent_reply_keeps_its_quote_across_a_restart(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
    tmp_path: Path,
) -> None:
    run = loop_thread.run
    config = tmp_path / "unsent"
    app = make_app(chat_server.address, config)
    log_in(app, "ada", create=True)
    bob = other("bob")
    pizza = run(bob.send("general", "pizza at 8?"))
    pump_until(app.root, lambda: "pizza at 8?" in timeline(app).get("1.0", "end"))
    for name in ("backoff_base", "backoff_cap", "backoff_early_cap"):  # no retry meanwhile
        app.network.run_sync(lambda c, name=name: setattr(c, name, 60.0))
    run(chat_server.stop())
    pump_until(app.root, lambda: app.state.status.status != Status.CONNECTED, what="offline")

    # Replying while offline: the reply waits, quoting pizza, and the app is closed.
    main = app.main
    assert main is not None
    assert app.reply_to("general", pizza.seq)
    assert main.composer.reply_label.cget("text") == "Replying to bob: pizza at 8?"
    main.composer.text.insert("end", "yes, with drinks")
    main.composer.text.event_generate("<Return>")
    app.root.update()
    assert app.state.rooms["general"].pending  # not stored: the server is away
    assert "↪ bob: pizza at 8?\n" in tagged(timeline(app), "replyquote")
    app.quit()
    saved = Prefs.load(config).unsent["ada@" + chat_server.address]
    assert [(m["body"], m["reply_to"]) for m in saved] == [("yes, with drinks", pizza.seq)]

    # The next start sends it, quoting pizza again, and the server stores the reply.
    run(chat_server.start())
    again = make_app(chat_server.address, config)  # the saved token logs straight back in
    pump_until(again.root, lambda: bob.status == Status.CONNECTED, what="bob back")
    rs = pump_until(again.root, lambda: again.state.rooms.get("general"), what="the room")
    pump_until(again.root, lambda: not rs.pending and rs.seqs, what="stored")
    mine = next(m for m in rs.messages.values() if m.body == "yes, with drinks")
    assert mine.reply_to.seq == pizza.seq
    pump_until(again.root, lambda: "↪ bob: pizza at 8?\n" in tagged(timeline(again), "replyquote"))
    stored = run(bob.history("general", limit=50)).messages
    [reply] = [m for m in stored if m.body == "yes, with drinks"]
    assert reply.reply_to.seq == pizza.seq


def test_an_older_file_without_quotes_still_loads(tmp_path: Path) -> None:
    prefs = Prefs(directory=tmp_path)
    prefs.unsent = {"ada@h": [{"room": "general", "body": "hi", "client_msg_id": "c", "ts": 1}]}
    prefs.save()
    [item] = Prefs.load(tmp_path).take_unsent("h", "ada")
    assert (item.body, item.reply_to) == ("hi", None)


def test_a_reply_typed_and_not_sent_is_in_the_box_again_at_the_next_start(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
    tmp_path: Path,
) -> None:
    run = loop_thread.run
    config = tmp_path / "draft"
    app = make_app(chat_server.address, config)
    log_in(app, "ada", create=True)
    bob = other("bob")
    pizza = run(bob.send("general", "pizza at 8?"))
    pump_until(app.root, lambda: "pizza at 8?" in timeline(app).get("1.0", "end"))
    main = app.main
    assert main is not None
    assert app.reply_to("general", pizza.seq)
    main.composer.text.insert("end", "yes, with drinks")
    app.root.update()
    app.close()  # not sent
    assert Prefs.load(config).drafts["ada@" + chat_server.address]["general"] == {
        "text": "yes, with drinks",
        "reply_to": pizza.seq,
        "quote": "Replying to bob: pizza at 8?",
    }

    again = make_app(chat_server.address, config)  # the saved token logs straight back in
    assert again.main is not None
    box = again.main.composer
    pump_until(again.root, lambda: box.value() == "yes, with drinks", what="the draft")
    assert box.reply_seq == pizza.seq and box.reply_bar.winfo_ismapped()
    assert box.reply_label.cget("text") == "Replying to bob: pizza at 8?"
    box.text.focus_set()
    box.text.event_generate("<Return>")
    rs = again.state.rooms["general"]
    pump_until(again.root, lambda: any(m.body == "yes, with drinks" for m in rs.messages.values()))
    stored = run(bob.history("general", limit=5)).messages
    [reply] = [m for m in stored if m.body == "yes, with drinks"]
    assert reply.reply_to.seq == pizza.seq
    again.close()
    assert Prefs.load(config).drafts == {}  # sent: nothing kept


def test_each_room_keeps_its_own_draft_and_quote(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    run = loop_thread.run
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    bob = other("bob")
    run(bob.create_room("Lunch"))
    pizza = run(bob.send("general", "pizza at 8?"))
    app.network.call(lambda client: client.join("lunch"))
    pump_until(app.root, lambda: "lunch" in app.state.rooms, what="the room")
    pump_until(app.root, lambda: "pizza at 8?" in timeline(app).get("1.0", "end"))
    main = app.main
    assert main is not None
    box = main.composer
    assert app.reply_to("general", pizza.seq)
    box.text.insert("end", "yes")
    app.select_room("lunch")
    app.root.update()
    # Another room's box: empty, and no quote of a seq that is another message here.
    assert box.value() == "" and box.reply_seq is None and not box.reply_bar.winfo_ismapped()
    box.text.insert("end", "half typed")
    app.select_room("general")
    app.root.update()
    assert box.value() == "yes" and box.reply_seq == pizza.seq
    app.select_room("lunch")
    app.root.update()
    assert box.value() == "half typed" and box.reply_seq is None


def test_a_draft_is_not_stuck_in_the_box_of_a_room_where_one_is_muted(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    run = loop_thread.run
    ada = other("ada")  # the first account: an admin
    run(ada.create_room("Lunch"))
    app = make_app(chat_server.address)
    log_in(app, "bob", create=True)
    app.network.call(lambda client: client.join("lunch"))
    pump_until(app.root, lambda: "lunch" in app.state.rooms, what="the room")
    run(ada.mute("bob", 3600, room="lunch"))
    main = app.main
    assert main is not None
    box = main.composer
    app.select_room("lunch")
    pump_until(app.root, lambda: box.muted is not None, what="muted there")
    app.select_room("general")
    pump_until(app.root, lambda: box.muted is None, what="free here")
    box.text.insert("end", "typed in general")
    app.select_room("lunch")
    app.root.update()
    assert box.value() == "" and box.muted is not None
    app.select_room("general")  # from the muted room's disabled box
    app.root.update()
    assert box.value() == "typed in general"
