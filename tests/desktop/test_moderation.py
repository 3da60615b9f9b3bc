"""Moderation in the real app against a real server (issue 10): the dialogs submit on
Enter, the muted person is told and the message box says so, a refused send says why,
and the lists of mutes and bans lift them (or say why not)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chinwag.client import Client
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until
from tests.desktop.test_app import timeline_text

pytestmark = pytest.mark.display


def test_enter_submits_the_moderation_dialog_and_the_line_uses_names(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    bob = other("bob")
    loop_thread.run(bob.update_profile(display_name="Bob Smith"))
    pump_until(app.root, lambda: app.state.display_name("bob") == "Bob Smith")
    dialog = app.moderate("mute", "bob", "general")
    app.root.update()
    entry = dialog.top.focus_get()
    assert entry is not None and entry.winfo_class() == "TEntry"  # the reason, at once
    dialog.reason.set("calm down")
    entry.event_generate("<Return>")
    pump_until(app.root, lambda: "muted Bob Smith" in timeline_text(app), what="the grey line")
    assert "ada muted Bob Smith for 1 hour: calm down" in timeline_text(app)
    pump_until(app.root, lambda: not dialog.top.winfo_exists(), what="the dialog to close")


def test_a_muted_person_is_told_and_cannot_type_until_unmuted(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    ada = other("ada")  # the first account: an admin
    app = make_app(chat_server.address)
    log_in(app, "bob", create=True)
    main = app.main
    assert main is not None
    loop_thread.run(ada.update_profile(display_name="Ada Lovelace"))
    loop_thread.run(ada.mute("bob", 3600, room="general", reason="calm down"))
    told = "You are muted in #general for 1 hour by Ada Lovelace: calm down"
    pump_until(app.root, lambda: main.banner_text.cget("text") == told, what="the notice")
    assert main.banner.winfo_ismapped()
    assert main.composer.muted == "You are muted here for 1 hour: calm down"
    assert str(main.composer.text.cget("state")) == "disabled"
    assert str(main.composer.send_button.cget("state")) == "disabled"
    assert main.composer.placeholder.cget("text") == main.composer.muted

    # A send that was on its way is refused: shown as not sent, with why, not waiting.
    app.send("was I heard?")
    pump_until(app.root, lambda: "Not sent: you are muted for 1 hour" in timeline_text(app))
    assert "not sent\n" in timeline_text(app) and "sending…" not in timeline_text(app)
    assert "waiting" not in main.status.cget("text")

    # Logging in again while muted: told once the window is there.
    app.logout()
    pump_until(app.root, lambda: app.login_view is not None, what="the login window")
    log_in(app, "bob")
    again = app.main
    assert again is not None
    pump_until(app.root, lambda: again.banner_text.cget("text") == told, what="told again")
    # The box closes once the room on screen is chosen, which may come just after.
    pump_until(app.root, lambda: again.composer.muted is not None, what="the box to close")

    loop_thread.run(ada.mute("bob", 0, room="general"))
    pump_until(app.root, lambda: again.composer.muted is None, what="the box to open again")
    assert again.banner_text.cget("text") == "You are no longer muted in #general."
    assert str(again.composer.text.cget("state")) == "normal"


def test_lists_of_mutes_and_bans_lift_them_or_say_why_not(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)  # the first account: an admin
    bob, cy = other("bob"), other("cy")
    loop_thread.run(bob.update_profile(display_name="Bob Smith"))
    loop_thread.run(cy.close())
    room = loop_thread.run(bob.create_room("Project talk"))
    app.network.call(lambda client: client.join(room.id))
    pump_until(app.root, lambda: room.id in app.state.rooms, what="joined")
    app.select_room(room.id)
    dialog = app.sanctions_dialog(room.id)
    pump_until(app.root, lambda: dialog.reply is not None, what="the lists")
    assert dialog.heads["mutes"].cget("text") == "No mutes"
    dialog.close()

    # A mute in the room and a server-wide ban.
    app.network.call(lambda c: c.mute("bob", 3600, room=room.id, reason="off topic"))
    app.network.call(lambda c: c.ban("cy", reason="spam"))
    pump_until(app.root, lambda: "muted Bob Smith" in timeline_text(app), what="the mute")
    dialog = app.sanctions_dialog(room.id)
    assert dialog.top.title() == "Mutes and bans in #Project talk"
    pump_until(app.root, lambda: dialog.reply is not None, what="the room's lists")
    mutes = dialog.trees["mutes"]
    assert mutes.get_children() == ("bob",)
    who, by, until, why = mutes.item("bob", "values")
    assert (who, by, why) == ("Bob Smith (@bob)", "ada", "off topic")
    assert until.endswith("(in 1 hour)")
    assert dialog.heads["mutes"].cget("text") == "1 mute"
    assert dialog.trees["bans"].get_children() == ()  # cy's ban is server-wide

    # Unmute from the list (Enter on the focused row); then again: a refused no-op.
    stale = dialog.reply
    # Key events go to the window with the keyboard focus: wait until the list has it
    # (under load, the X server may take a moment to give it).
    mutes.focus_force()
    pump_until(app.root, lambda: mutes.focus_get() is mutes, what="the list's focus")
    mutes.event_generate("<Return>")
    pump_until(app.root, lambda: not mutes.get_children(), what="the mute to go")
    assert dialog.error.cget("text") == ""
    pump_until(app.root, lambda: "ada unmuted Bob Smith" in timeline_text(app))
    dialog._show(stale, None)  # as if the list had not been read again meanwhile
    dialog.lift_selected("mutes")
    pump_until(app.root, lambda: dialog.error.cget("text"), what="the refusal")
    assert "not muted" in dialog.error.cget("text")
    dialog.close()

    server = app.sanctions_dialog(None)
    assert server.top.title() == "Mutes and bans on the whole server"
    pump_until(app.root, lambda: server.reply is not None or server.error.cget("text"))
    assert server.error.cget("text") == ""
    bans = server.trees["bans"]
    assert bans.get_children() == ("cy",)
    assert bans.item("cy", "values")[2:] == ("until lifted", "spam")
    server.buttons_for["bans"].invoke()
    pump_until(app.root, lambda: not bans.get_children(), what="the ban to go")
    assert server.heads["bans"].cget("text") == "No bans"
