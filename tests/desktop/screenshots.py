"""Takes the README's screenshots of the desktop app: docs/img/desktop-*.png.

    python -m tests.desktop.screenshots [--out docs/img]

Starts a server in-process on a fresh SQLite file, seeds a small team's chat over two
days (the server's clock is set back while seeding, so that there is a "Yesterday"),
then drives the real app under its own Xvfb and captures its windows with ImageMagick's
`import`: the login window, the main window in the light and dark themes, the
settings dialog, the search dialog with results, and messages whose bidi controls are
drawn as tags; then formatted messages, reactions (and a chip focused by keyboard), a
thread beside the room, the room's threads and the emoji picker (`--only
conversations`: just those). Emoji are drawn with the system's
emoji font, if it has one (see desktop/emoji.py).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

PASSWORD = "correct horse"
PEOPLE = [
    ("ada", "Ada Lovelace", "#e0245e"),
    ("bob", "Bob", "#0ea5a4"),
    ("cy", "Cy", "#8b5cf6"),
    ("dee", "Dee", "#f97316"),
    ("eve", "Eve", "#3b82f6"),
]


#: Messages that would read "invoice.pdf"... if the app let their bidi controls act.
SPOOFS = [
    "Here is the invoice: \u202efdp.exe",
    "Download it from https://example.com/files/\u202efdp.exe before Friday",
]


class Clock:
    """The server's clock while seeding: set by hand, then running from there."""

    def __init__(self) -> None:
        self.base = 0
        self.started = time.monotonic()

    def set(self, when: dt.datetime) -> None:
        self.base = int(when.timestamp() * 1000)
        self.started = time.monotonic()

    def __call__(self) -> int:
        return self.base + int((time.monotonic() - self.started) * 1000)


@contextlib.contextmanager
def server_clock(clock: Clock) -> Iterator[None]:
    modules = ["context", "messaging", "accounts", "rooms", "moderation"]
    with contextlib.ExitStack() as stack:
        for name in modules:
            stack.enter_context(mock.patch(f"chinwag.server.{name}.now_ms", clock))
        yield


def seed(run: Any, address: str, clock: Clock) -> dict[str, Any]:
    """Two days of a small team's chat, before Ada opens the app."""
    from chinwag.client import Client

    # The last hour, so that what is shot later in real time (a mute's end) follows it.
    now = dt.datetime.now().astimezone()
    today = (now - dt.timedelta(hours=1)).replace(minute=2, second=0, microsecond=0)
    yesterday = today - dt.timedelta(days=1)
    clients: dict[str, Client] = {}
    clock.set(today - dt.timedelta(days=2, hours=-11))
    for name, display, color in PEOPLE:
        if name == "eve":
            continue
        client = Client(address, heartbeat=None)
        run(client.register(name, PASSWORD))
        run(client.update_profile(display_name=display, color=color))
        clients[name] = client
    ada, bob, cy, dee = (clients[n] for n in ("ada", "bob", "cy", "dee"))

    def say(who: Any, room: str, body: str, when: dt.datetime) -> Any:
        clock.set(when)
        return run(who.send(room, body))

    y = yesterday.replace(hour=18)
    say(bob, "general", "anyone up for a LAN party this weekend?", y.replace(minute=40))
    say(cy, "general", "yes!! I can bring my switch and the long cables", y.replace(minute=41))
    say(dee, "general", "count me in", y.replace(minute=44))
    say(ada, "general", "I'll set up a room for it", y.replace(minute=46))
    clock.set(y.replace(minute=47))
    lan = run(ada.create_room("LAN Party", topic="Saturday 8 pm · bring a cable"))
    for who in (bob, cy, dee):
        run(who.join(lan.id))
    say(ada, lan.id, "Who has the pizza order this time?", y.replace(minute=52))
    clock.set(y.replace(hour=19, minute=3))
    homework = run(ada.create_room("Homework", private=True, topic="Maths sheet 4"))
    run(ada.invite(homework.id, "cy"))
    clock.set(y.replace(hour=19, minute=20))
    dm = run(bob.open_dm("ada"))
    say(bob, dm.id, "can you bring an extra ethernet cable?", y.replace(hour=19, minute=21))
    say(ada, dm.id, "sure, I have two spare ones", y.replace(hour=19, minute=24))

    t = today
    say(ada, "general", "The new server is up on my desk: chat.lan:8080", t.replace(minute=12))
    say(ada, "general", "history from the old one is gone, sorry!", t.replace(minute=12))
    say(dee, "general", "@ada does it keep history from now on?", t.replace(minute=15))
    say(cy, "general", "map list for Saturday: https://example.com/lan/maps", t.replace(minute=18))
    vote = say(cy, "general", "vote for your top 3 by Friday", t.replace(minute=19))
    clock.set(t.replace(minute=20))
    run(cy.edit_message("general", vote.seq, "vote for your top 3 by Thursday"))
    clock.set(t.replace(minute=21))
    eve = Client(address, heartbeat=None)
    run(eve.register("eve", PASSWORD))
    run(eve.update_profile(display_name="Eve", color="#3b82f6"))
    say(eve, "general", "hi everyone, Dee sent me the link", t.replace(minute=22))
    say(bob, "general", "welcome Eve! I'll bring the big monitor", t.replace(minute=24))
    for who in (eve, dee, ada):
        run(who.close())
    clock.set(t.replace(minute=30))
    return {"bob": bob, "cy": cy, "lan": lan.id, "dm": dm.id}


def while_ada_reads(run: Any, people: dict[str, Any]) -> None:
    """Messages that arrive in other rooms while Ada is in general: unread counts."""
    bob, cy, lan = people["bob"], people["cy"], people["lan"]
    run(bob.send(lan, "I can do pizza"))
    drinks = run(cy.send(lan, "I'll bring drinks"))
    run(cy.edit_message(lan, drinks.seq, "I'll bring drinks and the extension leads"))
    run(bob.send(lan, "@ada start at 8 or 9?"))
    run(bob.send(people["dm"], "thanks! see you Saturday"))


def capture(widget: Any, out: Path) -> None:
    widget.update()
    time.sleep(0.3)
    widget.update()
    window = widget.winfo_toplevel().wm_frame()
    subprocess.run(["import", "-window", window, str(out)], check=True)
    print(f"wrote {out}")


def capture_screen(widget: Any, out: Path) -> None:
    """The screen where the app's window is: the main window with the small windows
    over it (the picker), as a user sees them."""
    widget.update()
    time.sleep(0.3)
    widget.update()
    top = widget.winfo_toplevel()
    w, h, x, y = top.winfo_width(), top.winfo_height(), top.winfo_rootx(), top.winfo_rooty()
    crop = f"{w}x{h}+{x}+{y}"
    subprocess.run(["import", "-window", "root", "-crop", crop, "+repage", str(out)], check=True)
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument(
        "--only", choices=("conversations",), help="only the shots of formatted messages"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from tests.client.conftest import RestartableServer
    from tests.desktop.conftest import LoopThread, pump, pump_until, start_xvfb

    xvfb, display = start_xvfb()
    os.environ["DISPLAY"] = display
    loop = LoopThread()
    data = Path(tempfile.mkdtemp(prefix="chinwag-shots-"))
    server = RestartableServer(data)
    clock = Clock()
    try:
        with server_clock(clock):
            loop.run(server.start())
            address = f"localhost:{server.port}"
            people = seed(loop.run, address, clock)
            restart = (lambda: loop.run(server.stop()), lambda: loop.run(server.start()))
            if args.only is None:
                shoot(args.out, address, people, loop, pump, pump_until, restart)
            clock.set(dt.datetime.now().astimezone())  # mutes end in real time
            if args.only is None:
                shoot_muted(args.out, address, people, loop, pump, pump_until)
            shoot_conversations(args.out, address, people, loop, pump, pump_until)
            for name in ("bob", "cy"):
                loop.run(people[name].close())
            loop.run(server.stop())
    finally:
        loop.close()
        xvfb.terminate()
        xvfb.wait()
    return 0


def shoot(
    out: Path,
    address: str,
    people: dict[str, Any],
    loop: Any,
    pump: Any,
    until: Any,
    restart: tuple[Any, Any],
) -> None:
    from chinwag.client.events import Status
    from chinwag.desktop.app import DesktopApp
    from chinwag.desktop.notify import Notifier
    from chinwag.desktop.prefs import Prefs

    prefs = Prefs.load(Path(tempfile.mkdtemp(prefix="chinwag-shots-config-")))
    prefs.geometry = "1180x720+0+0"
    app = DesktopApp(prefs, server=address, notifier=Notifier())
    root = app.root
    try:
        view = app.login_view
        assert view is not None
        until(root, lambda: "welcome" in view.server_info.cget("text"), 10, "the server")
        view.username_var.set("ada")
        view.password_var.set(PASSWORD)
        view.password_entry.focus_set()
        pump(root, 0.3)
        capture(root, out / "desktop-login.png")

        view.login_button.invoke()
        until(root, lambda: app.state.status.status == Status.CONNECTED, 10, "connected")
        until(root, lambda: all(rs.loaded for rs in app.state.rooms.values()), 10, "rooms")
        main = app.main
        assert main is not None
        until(root, lambda: main.members.tree.exists("m:eve"), 10, "members")
        app.set_focused(True)
        while_ada_reads(loop.run, people)
        until(root, lambda: app.state.rooms[people["dm"]].unread == 1, 10, "unread")
        loop.run(people["bob"].typing("general"))
        until(root, lambda: "typing" in main.composer.typing.cget("text"), 10, "typing")
        pump(root, 0.3)
        capture(root, out / "desktop-main-light.png")

        app.apply_theme("dark")
        main.rooms.tree.selection_set(people["lan"])
        until(root, lambda: app.state.current == people["lan"], 10, "the LAN room")
        loop.run(people["cy"].typing(people["lan"]))
        until(root, lambda: "typing" in main.composer.typing.cget("text"), 10, "typing")
        pump(root, 0.3)
        capture(root, out / "desktop-main-dark.png")

        # Who is muted and banned in the room, by whom, until when and why.
        lan = people["lan"]
        app.network.call(lambda c: c.mute("dee", 3600, room=lan, reason="flooding the pizza poll"))
        app.network.call(lambda c: c.ban("eve", room=lan, reason="not on the guest list"))
        until(root, lambda: "muted Dee" in main.timeline.text.get("1.0", "end"), 10, "mute")
        sanctions = app.sanctions_dialog(lan)
        until(root, lambda: sanctions.reply is not None, 10, "the lists")
        pump(root, 0.5)
        capture(sanctions.top, out / "desktop-moderation.png")
        sanctions.close()
        app.network.call(lambda c: c.mute("dee", 0, room=lan))  # Dee talks in later shots
        until(root, lambda: "unmuted Dee" in main.timeline.text.get("1.0", "end"), 10, "unmute")

        app.apply_theme("light")
        main.rooms.tree.selection_set("general")
        until(root, lambda: app.state.current == "general", 10, "general")
        dialog = app.open_settings()
        dialog.pick("#e0245e")
        pump(root, 0.5)
        capture(dialog.top, out / "desktop-settings.png")
        # Switched to dark with the dialog open: swatches, radio buttons and all follow.
        next(r for r in dialog.radios if r.cget("value") == "dark").invoke()
        pump(root, 0.5)
        capture(dialog.top, out / "desktop-settings-dark.png")
        dialog.close()
        app.apply_theme("light")

        search = app.open_search()
        search.query.set("bring")
        search.search()
        until(root, lambda: search.tree.get_children(), 10, "search results")
        search.focus_results()
        pump(root, 0.5)
        capture(search.top, out / "desktop-search.png")
        search.close()

        # Bidi controls drawn harmless: what the spoofs would read as is shown.
        from chinwag.client import Client

        mallory = Client(address, heartbeat=None)
        loop.run(mallory.register("mallory", PASSWORD))
        for body in SPOOFS:
            loop.run(mallory.send("general", body))
        until(root, lambda: "from https" in main.timeline.text.get("1.0", "end"), 10, "spoofs")
        main.timeline.text.see("end")
        pump(root, 0.3)
        capture(root, out / "desktop-bidi.png")
        loop.run(mallory.close())

        # The server goes away: one steady status line, everyone's presence unknown.
        for name, value in (("backoff_base", 20.0), ("backoff_early_cap", 20.0)):
            app.network.run_sync(lambda c, name=name, value=value: setattr(c, name, value))
        restart[0]()
        until(root, lambda: "Reconnecting in" in main.status.cget("text"), 15, "offline")
        pump(root, 1.2)
        capture(root, out / "desktop-offline.png")
        restart[1]()
        main.reconnect.invoke()
        until(root, lambda: app.state.status.status == Status.CONNECTED, 15, "back")
    finally:
        app.close()


def logged_in(address: str, username: str, until: Any) -> Any:
    """A fresh app of its own settings, logged in as `username` and connected."""
    from chinwag.client.events import Status
    from chinwag.desktop.app import DesktopApp
    from chinwag.desktop.notify import Notifier
    from chinwag.desktop.prefs import Prefs

    prefs = Prefs.load(Path(tempfile.mkdtemp(prefix="chinwag-shots-config-")))
    prefs.geometry = "1180x720+0+0"
    app = DesktopApp(prefs, server=address, notifier=Notifier())
    view = app.login_view
    assert view is not None
    view.username_var.set(username)
    view.password_var.set(PASSWORD)
    view.login_button.invoke()
    until(app.root, lambda: app.state.status.status == Status.CONNECTED, 10, "connected")
    return app


def shoot_muted(
    out: Path, address: str, people: dict[str, Any], loop: Any, pump: Any, until: Any
) -> None:
    """Bob's window while he is muted in the LAN room; then narrow, panels folded."""
    from chinwag.client import Client

    app = logged_in(address, "bob", until)
    root = app.root
    ada = Client(address, heartbeat=None)
    try:
        main = app.main
        assert main is not None
        app.select_room(people["lan"])
        loop.run(ada.login("ada", PASSWORD))
        loop.run(ada.mute("bob", 7200, room=people["lan"], reason="let the others talk"))
        until(root, lambda: main.composer.muted is not None, 10, "muted")
        pump(root, 0.5)
        capture(root, out / "desktop-muted.png")
        loop.run(ada.mute("bob", 0, room=people["lan"]))
        until(root, lambda: main.composer.muted is None, 10, "unmuted")
        root.geometry("800x600+0+0")
        main.toggle_people()
        pump(root, 0.5)
        capture(root, out / "desktop-narrow.png")
    finally:
        loop.run(ada.close())
        app.close()


#: What a team writes once it can format: the formatting screenshot.
FORMATTED = [
    ("bob", "Saturday's checklist:\n- **cables**: two spare ones\n- *snacks*, ~~pizza~~ "
     "tacos\n1. set up at 7\n2. doors at 8"),
    ("cy", "> can someone post the server config?\n\nhere, straight from my notes:"),
    ("cy", "```\n[server]\n  port = 27015\n  max_players = 16\n```"),
    ("dee", "run `./start.sh --lan` first, and the docs are [here](https://example.com/lan)"),
    ("bob", "**@ada** can you double-check the port? <b>not bold</b> stays as typed"),
]  # fmt: skip


def shoot_conversations(
    out: Path, address: str, people: dict[str, Any], loop: Any, pump: Any, until: Any
) -> None:
    """Ada's window with formatted messages in the LAN room, a link under the mouse."""
    from chinwag.client import Client

    app = logged_in(address, "ada", until)
    root = app.root
    dee = Client(address, heartbeat=None)
    try:
        main = app.main
        assert main is not None
        lan = people["lan"]
        app.select_room(lan)
        app.set_focused(True)
        loop.run(dee.login("dee", PASSWORD))
        senders = {"bob": people["bob"], "cy": people["cy"], "dee": dee}
        for who, body in FORMATTED:
            loop.run(senders[who].send(lan, body))
        text = main.timeline.text
        until(root, lambda: "stays as typed" in text.get("1.0", "end"), 10, "formatted")
        pump(root, 0.3)
        text.see("end")
        pump(root, 0.3)
        start = text.search("here", text.search("./start.sh", "1.0"))
        x, y, _w, h = text.bbox(start)
        text.event_generate("<Motion>", x=x + 4, y=y + h // 2, warp=True)
        until(root, lambda: main.timeline.links.tip.winfo_ismapped(), 10, "the link's address")
        pump(root, 0.3)
        capture(root, out / "desktop-formatting.png")

        # Reactions, a reply that quotes, a pin; one of Ada's reactions stands out.
        rs = app.state.rooms[lan]
        by_body = {rs.messages[q].body.split("\n")[0]: q for q in rs.seqs}
        checklist = by_body["Saturday's checklist:"]
        config = next(q for b, q in by_body.items() if b.startswith("```"))
        reactions = [("bob", config, "🙏"), ("dee", config, "🙏"), ("cy", checklist, "👍"),
                     ("dee", checklist, "👍"), ("dee", checklist, "🎉")]  # fmt: skip
        for who, seq, emoji in reactions:
            loop.run(senders[who].react(lan, seq, emoji))
        loop.run(people["bob"].send(lan, "perfect, thanks!", reply_to=config))
        main.timeline.text.event_generate("<Motion>", x=2, y=2, warp=True)
        until(root, lambda: "perfect, thanks" in text.get("1.0", "end"), 10, "the reply")
        app.toggle_reaction(lan, checklist, "👍")
        app.pin(lan, checklist)
        until(root, lambda: "pinned by" in text.get("1.0", "end"), 10, "the pin")
        until(root, lambda: len(text.tag_ranges("chip_mine")) == 2, 10, "Ada's reaction")
        text.see("end")
        pump(root, 0.5)
        capture(root, out / "desktop-reactions.png")

        # The same by keyboard: Tab to a chip, outlined and described.
        root.focus_force()
        text.focus_set()
        keys = main.clicks.keys
        until(root, lambda: root.focus_get() is text, 10, "the timeline focused")
        keys.focused = (checklist, "👍")  # as after Shift+Tab from the next chip
        keys.refresh()
        until(root, lambda: keys.tip.winfo_ismapped(), 10, "a focused chip")
        pump(root, 0.5)
        capture(root, out / "desktop-reaction-keys.png")
        main.composer.text.focus_set()

        # A thread beside the room, with its own box and "Also send to #LAN Party".
        root_msg = loop.run(people["cy"].send(lan, "who brings which game?"))
        for who, body in (("bob", "I'll bring **Quake** and the LAN cables"),
                          ("dee", "Age of Empires II, and `aoe2.cfg` for everyone"),
                          ("bob", "> Age of Empires II\nyes please!")):  # fmt: skip
            loop.run(senders[who].send(lan, body, thread=root_msg.seq))
        until(root, lambda: "💬 3 replies" in text.get("1.0", "end"), 10, "the summary")
        pane = app.open_thread(lan, root_msg.seq)
        assert pane is not None
        until(root, lambda: "yes please" in pane.view.text.get("1.0", "end"), 10, "the thread")
        pane.composer.text.insert("end", "I can bring :pizza: for everyone")
        pane.also.set(True)
        text.see("end")
        pump(root, 0.5)
        capture(root, out / "desktop-thread.png")
        main.close_thread_pane()

        # The room's threads (⋯ → Threads…), the most recently active first.
        threads = app.threads_dialog(lan)
        until(root, lambda: threads.tree.get_children(), 10, "the threads")
        pump(root, 0.5)
        capture_screen(root, out / "desktop-threads.png")
        threads.close()

        # The emoji picker, narrowed by a search, above the message box.
        main.composer.text.focus_set()
        main.composer.text.insert("end", "see you Saturday ")
        text.event_generate("<Motion>", x=2, y=2, warp=True)
        picker = main.open_emoji_picker()
        picker.move(3)
        pump(root, 0.5)
        capture_screen(root, out / "desktop-emoji.png")
        picker.close()
    finally:
        loop.run(dee.close())
        app.close()


if __name__ == "__main__":
    sys.exit(main())
