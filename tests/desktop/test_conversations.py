"""Conversations in the real app under Xvfb, against a real server: replies and jumping to
the original, reactions, threads, pins, `@room`, and search that opens at the message."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from chinwag.client import Client
from chinwag.client.errors import RequestError
from chinwag.client.events import Status
from chinwag.client.files import Files
from chinwag.desktop.conversation import emoji_of_chip
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    import tkinter as tk

    from chinwag.desktop.app import DesktopApp

pytestmark = pytest.mark.display


def tagged(text: tk.Text, tag: str) -> list[str]:
    ranges = text.tag_ranges(tag)
    return [text.get(a, b) for a, b in zip(ranges[::2], ranges[1::2], strict=True)]


def shown(app: DesktopApp) -> str:
    assert app.main is not None
    return str(app.main.timeline.text.get("1.0", "end"))


def newest(app: DesktopApp, room: str = "general") -> Any:
    rs = app.state.rooms[room]
    return rs.messages[rs.seqs[-1]]


@pytest.fixture
def ada_and_bob(
    make_app: MakeApp, chat_server: RestartableServer, other: Callable[..., Client]
) -> tuple[DesktopApp, Client]:
    """Ada's app (the server's first account: an admin) in general, and Bob."""
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    bob = other("bob")
    pump_until(app.root, lambda: "bob joined" in shown(app), what="bob's join")
    app.root.focus_force()
    return app, bob


def click_tag(app: DesktopApp, tag: str, containing: str = "") -> None:
    """A click on the first run tagged `tag` (holding `containing`), as a user would."""
    assert app.main is not None
    text = app.main.timeline.text
    ranges = text.tag_ranges(tag)
    for a, b in zip(ranges[::2], ranges[1::2], strict=True):
        if containing in text.get(a, b):
            text.see(a)
            app.root.update()
            x, y, _w, h = text.bbox(f"{a} + 1c")
            text.event_generate("<Motion>", x=x + 1, y=y + h // 2, warp=True)
            app.root.update()
            text.event_generate("<ButtonPress-1>", x=x + 1, y=y + h // 2)
            text.event_generate("<ButtonRelease-1>", x=x + 1, y=y + h // 2)
            app.root.update()
            return
    raise AssertionError(f"nothing tagged {tag} holding {containing!r}")


def test_reactions_live_toggled_and_added_from_the_picker(
    ada_and_bob: tuple[DesktopApp, Client], loop_thread: LoopThread
) -> None:
    app, bob = ada_and_bob
    run = loop_thread.run
    lunch = run(bob.send("general", "lunch at noon?"))
    run(bob.react("general", lunch.seq, "👍"))
    assert app.main is not None
    text = app.main.timeline.text
    pump_until(app.root, lambda: "\u2009👍 1\u2009" in tagged(text, "chip"), what="bob's 👍")
    assert tagged(text, "chip_mine") == []

    click_tag(app, "chip", "👍")  # Ada adds hers
    pump_until(app.root, lambda: tagged(text, "chip_mine") == ["\u2009👍 2\u2009"], what="mine")
    click_tag(app, "chip", "👍")  # and takes it back
    pump_until(app.root, lambda: tagged(text, "chip") == ["\u2009👍 1\u2009"], what="taken back")
    assert tagged(text, "chip_mine") == []

    click_tag(app, "chip_add")  # the picker, for a new emoji
    picker = pump_until(app.root, lambda: app.main and app.main.picker, what="the picker")
    pump_until(app.root, lambda: app.root.focus_get() is picker.entry, what="its search box")
    picker.query.set("party popper")
    picker.entry.event_generate("<Return>")
    pump_until(app.root, lambda: len(tagged(text, "chip")) == 2, what="the 🎉 chip")
    assert [emoji_of_chip(c) for c in tagged(text, "chip")] == ["👍", "🎉"]
    assert [emoji_of_chip(c) for c in tagged(text, "chip_mine")] == ["🎉"]
    held = newest(app)
    assert [(r.emoji, r.users) for r in held.reactions] == [("👍", ["bob"]), ("🎉", ["ada"])]


def test_a_reply_quotes_the_original_and_a_click_goes_there(
    ada_and_bob: tuple[DesktopApp, Client], loop_thread: LoopThread
) -> None:
    app, bob = ada_and_bob
    run = loop_thread.run
    pizza = run(bob.send("general", "**pizza** at 8?"))
    pump_until(app.root, lambda: "pizza at 8?" in shown(app), what="bob's question")
    main = app.main
    assert main is not None
    # Alt+R in the message box replies to the newest message of someone else.
    box = main.composer.text
    box.focus_set()
    box.event_generate("<Alt-r>")
    app.root.update()
    assert main.composer.reply_seq == pizza.seq
    assert main.composer.reply_label.cget("text") == "Replying to bob: pizza at 8?"
    box.event_generate("<Escape>")  # cancelled
    assert main.composer.reply_seq is None and not main.composer.reply_bar.winfo_ismapped()

    assert app.reply_to("general", pizza.seq)
    box.insert("end", "yes, and I bring drinks")
    box.event_generate("<Return>")
    pump_until(app.root, lambda: newest(app).body == "yes, and I bring drinks", what="sent")
    assert newest(app).reply_to.seq == pizza.seq
    assert main.composer.reply_seq is None
    pump_until(app.root, lambda: "↪ bob: pizza at 8?\n" in tagged(main.timeline.text, "replyquote"))

    # A click on the quote goes to the original and highlights it for a moment.
    for i in range(60):
        run(bob.send("general", f"filler {i}"))
    pump_until(app.root, lambda: "filler 59" in shown(app), what="the fillers")
    click_tag(app, "replyquote", "pizza")
    text = main.timeline.text
    pump_until(app.root, lambda: "pizza at 8?" in "".join(tagged(text, "jumped")), what="flash")
    pump_until(app.root, lambda: not tagged(text, "jumped"), timeout=5, what="the flash ends")

    # The original deleted: the quote says so.
    run(bob.delete_message("general", pizza.seq))
    pump_until(app.root, lambda: "↪ original deleted\n" in tagged(text, "replyquote"))


def test_a_quote_of_a_message_far_back_loads_the_history_around_it(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    run = loop_thread.run
    bob = other("bob")
    first = run(bob.send("general", "the very first plan"))
    second = run(bob.send("general", "the second plan"))
    for i in range(400):
        run(bob.send("general", f"chatter {i}"))
    run(bob.send("general", "as I said back then", reply_to=first.seq))
    run(bob.send("general", "and then", reply_to=second.seq))
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    pump_until(app.root, lambda: "and then" in shown(app), what="the replies")
    held = app.state.rooms["general"].messages
    assert first.seq not in held and second.seq not in held  # far back: not loaded
    main = app.main
    assert main is not None

    # Further back than it fetches pages for: the history around it, in the timeline.
    app.jump_pages = 0
    click_tag(app, "replyquote", "the second plan")
    text = main.timeline.text
    pump_until(app.root, lambda: "the second plan" in "".join(tagged(text, "jumped")))
    assert "the very first plan" in shown(app) and "and then" not in shown(app)
    assert main.thread is None and main.timeline.away is not None
    assert second.seq not in held  # the room's own history keeps no gap
    main.timeline.jump.invoke()  # back to the newest
    pump_until(app.root, lambda: "and then" in shown(app), what="the newest")
    assert main.timeline.away is None

    # Near enough: the history before what is held is fetched up to it.
    app.jump_pages = 5
    click_tag(app, "replyquote", "the very first plan")
    pump_until(app.root, lambda: "the very first plan" in "".join(tagged(text, "jumped")))
    assert first.seq in held


def test_threads_in_their_pane_with_their_own_box_and_unread_count(
    ada_and_bob: tuple[DesktopApp, Client], loop_thread: LoopThread
) -> None:
    app, bob = ada_and_bob
    run = loop_thread.run
    root = run(bob.send("general", "who brings what on Saturday?"))
    pump_until(app.root, lambda: "Saturday?" in shown(app), what="the root")
    main = app.main
    assert main is not None
    pane = app.open_thread("general", root.seq)
    assert pane is not None and main.thread is pane
    assert not main.right.winfo_ismapped()  # in the people panel's place
    pump_until(app.root, lambda: "who brings what" in pane.view.text.get("1.0", "end"))
    pane.composer.text.insert("end", "cables :tada:")
    pane.composer.text.event_generate("<Return>")
    pump_until(app.root, lambda: "cables 🎉" in pane.view.text.get("1.0", "end"), what="mine")
    text = main.timeline.text
    pump_until(app.root, lambda: tagged(text, "threadlink") == ["💬 1 reply"], what="summary")
    assert "cables" not in shown(app)  # a thread reply stays in the thread

    pane.also.set(True)  # "Also send to #general"
    pane.composer.text.insert("end", "and snacks")
    pane.composer.text.event_generate("<Return>")
    pump_until(app.root, lambda: "and snacks" in shown(app), what="also in the room")
    assert "↳ in a thread" in tagged(text, "threadlink")

    drinks = run(bob.send("general", "drinks", thread=root.seq))
    pump_until(app.root, lambda: "drinks" in pane.view.text.get("1.0", "end"), what="live")
    # Reply to a message of the thread: the thread's box quotes it.
    assert app.reply_to("general", drinks.seq)
    assert pane.composer.reply_seq == drinks.seq and main.composer.reply_seq is None
    pane.also.set(False)
    pane.composer.text.insert("end", "cold ones please")
    pane.composer.text.event_generate("<Return>")
    pump_until(app.root, lambda: "↪ bob: drinks" in pane.view.text.get("1.0", "end"))
    assert "cold ones" not in shown(app)
    # Its controls are reached with Tab from its message box.
    pane.composer.text.focus_set()
    app.root.update()
    seen = []
    for _ in range(40):
        widget = app.root.focus_get()
        assert widget is not None
        widget.event_generate("<Tab>")
        app.root.update()
        seen.append(app.root.focus_get())
    assert pane.also_button in seen and pane.close_button in seen
    assert pane.composer.emoji_button in seen and pane.composer.send_button in seen
    main.close_thread_pane()
    app.root.update()
    assert main.thread is None and main.right.winfo_ismapped()
    run(bob.send("general", "and a speaker", thread=root.seq))
    pump_until(app.root, lambda: tagged(text, "threadnew") == ["  1 new"], what="unread")
    click_tag(app, "threadlink", "replies")
    pump_until(app.root, lambda: main.thread is not None, what="the pane again")
    pump_until(app.root, lambda: not tagged(text, "threadnew"), what="read")


def test_pins_by_the_owner_and_the_pinned_list(
    ada_and_bob: tuple[DesktopApp, Client], loop_thread: LoopThread
) -> None:
    app, bob = ada_and_bob
    run = loop_thread.run
    rules = run(bob.send("general", "house rules: be nice"))
    pump_until(app.root, lambda: "house rules" in shown(app), what="the message")
    labels = menu_labels(app.build_message_menu("general", rules.seq))
    assert labels[:4] == ["Reply", "Reply in thread", "Add a reaction…", "Pin to the room"]
    app.pin("general", rules.seq)
    pump_until(app.root, lambda: "📌 pinned by ada" in shown(app), what="the pin")
    pump_until(app.root, lambda: "ada pinned a message" in shown(app), what="the notice")
    dialog = app.pins_dialog("general")
    pump_until(app.root, lambda: dialog.tree.get_children(), what="the list")
    assert dialog.tree.item(str(rules.seq))["values"][2] == "house rules: be nice"
    dialog.unpin()
    pump_until(app.root, lambda: not dialog.tree.get_children(), what="unpinned")
    assert dialog.status.cget("text") == "Nothing is pinned here yet."
    dialog.close()
    assert "Unpin" not in menu_labels(app.build_message_menu("general", rules.seq))
    # Bob owns nothing here: no pin for him, and the server says so if he tries.
    with pytest.raises(RequestError) as refused:
        run(bob.pin("general", rules.seq))
    assert refused.value.code == "forbidden"


def menu_labels(menu: Any) -> list[str]:
    last = menu.index("end")
    return [
        menu.entrycget(i, "label")
        for i in range(0 if last is None else last + 1)
        if menu.type(i) == "command"
    ]


def test_room_and_here_notify_only_with_the_servers_flag(
    ada_and_bob: tuple[DesktopApp, Client], loop_thread: LoopThread
) -> None:
    app, bob = ada_and_bob
    dialog = app.open_settings()
    dialog.notify_choices["mentions"].invoke()
    dialog.close()
    app.set_focused(False)
    run = loop_thread.run
    sent = run(bob.send("general", "@room standup now"))
    assert sent.mentions_all == "room"  # a small room: anyone may
    pump_until(app.root, lambda: app.notifier.sent, what="the notification")
    assert app.notifier.sent == [("bob in #general", "@room standup now")]
    assert app.main is not None
    assert tagged(app.main.timeline.text, "mention_name") == ["@room"]


def test_search_opens_at_the_message_and_has_file(
    ada_and_bob: tuple[DesktopApp, Client], loop_thread: LoopThread
) -> None:
    from chinwag.desktop.search import split_query

    assert split_query("has:file budget") == ("budget", True)
    assert split_query("budget HAS:FILES") == ("budget", True)
    assert split_query("hashas:file") == ("hashas:file", False)
    app, bob = ada_and_bob
    run = loop_thread.run
    target = run(bob.send("general", "the budget is 300"))
    for i in range(80):
        run(bob.send("general", f"noise {i}"))
    pump_until(app.root, lambda: "noise 79" in shown(app), what="the noise")
    search = app.open_search()
    search.query.set("budget")
    search.search()
    pump_until(app.root, lambda: search.found, what="the result")
    search.submit()
    assert app.main is not None
    text = app.main.timeline.text
    pump_until(app.root, lambda: "the budget is 300" in "".join(tagged(text, "jumped")))
    assert target.seq in app.state.rooms["general"].messages
    files = Files(bob.url, bob.token)
    sheet = run(files.upload(b"rent;300\n", "budget.csv"))
    run(files.close())
    run(bob.send("general", "the budget sheet", attachments=[sheet.id]))
    search = app.open_search()
    search.query.set("budget has:file")
    search.search()
    pump_until(app.root, lambda: search.found, what="the file's message")
    assert [m.body for m in search.found.values()] == ["the budget sheet"]


def test_the_newest_messages_menu_by_keyboard(
    ada_and_bob: tuple[DesktopApp, Client], loop_thread: LoopThread
) -> None:
    app, bob = ada_and_bob
    note = loop_thread.run(bob.send("general", "the doors open at 8"))
    pump_until(app.root, lambda: "doors open" in shown(app), what="bob's note")
    main = app.main
    assert main is not None
    box = main.composer.text
    box.focus_set()
    app.root.update()
    box.event_generate("<Shift-F10>")
    menu = pump_until(app.root, lambda: app.menu_shown, what="the menu")
    try:
        labels = menu_labels(menu)
        assert labels[:3] == ["Reply", "Reply in thread", "Add a reaction…"]
        assert "Copy text" in labels
        menu.invoke(labels.index("Reply"))
    finally:
        menu.unpost()
    app.root.update()
    assert main.composer.reply_seq == note.seq
    assert main.composer.reply_cancel.winfo_ismapped()  # a ✕ to cancel, reachable by Tab


def test_what_changed_while_offline_shows_after_reconnecting(
    ada_and_bob: tuple[DesktopApp, Client],
    loop_thread: LoopThread,
    chat_server: RestartableServer,
) -> None:
    app, bob = ada_and_bob
    run = loop_thread.run
    plan = run(bob.send("general", "the plan for Saturday"))
    pump_until(app.root, lambda: "the plan for Saturday" in shown(app), what="the plan")
    for name in ("backoff_base", "backoff_cap", "backoff_early_cap"):  # no retry meanwhile
        app.network.run_sync(lambda c, name=name: setattr(c, name, 60.0))
    run(chat_server.stop())
    pump_until(app.root, lambda: app.state.status.status != Status.CONNECTED, what="offline")
    run(chat_server.start())
    pump_until(app.root, lambda: bob.status == Status.CONNECTED, what="bob back on his own")
    run(bob.react("general", plan.seq, "🚀"))
    run(bob.send("general", "a reply in the thread", thread=plan.seq))
    assert app.main is not None
    text = app.main.timeline.text
    assert not tagged(text, "chip")
    app.reconnect_now()
    pump_until(app.root, lambda: "\u2009🚀 1\u2009" in tagged(text, "chip"), what="the reaction")
    pump_until(app.root, lambda: tagged(text, "threadlink") == ["💬 1 reply"], what="summary")
    assert "a reply in the thread" not in shown(app)
