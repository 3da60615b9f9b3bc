"""Takes the README's screenshots of the desktop app: docs/img/desktop-*.png.

    python -m tests.desktop.screenshots [--out docs/img]

Starts a server in-process on a fresh SQLite file, seeds a small team's chat over two
days (the server's clock is set back while seeding, so that there is a "Yesterday"),
then drives the real app under its own Xvfb and captures its windows with ImageMagick's
`import`: the login window, the main window in the light and dark themes, the
settings dialog and the search dialog with results.
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

    today = dt.datetime.now().astimezone().replace(hour=9, minute=2, second=0, microsecond=0)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
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
            shoot(args.out, address, people, loop, pump, pump_until)
            for name in ("bob", "cy"):
                loop.run(people[name].close())
            loop.run(server.stop())
    finally:
        loop.close()
        xvfb.terminate()
        xvfb.wait()
    return 0


def shoot(
    out: Path, address: str, people: dict[str, Any], loop: Any, pump: Any, until: Any
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

        app.apply_theme("light")
        main.rooms.tree.selection_set("general")
        until(root, lambda: app.state.current == "general", 10, "general")
        dialog = app.open_settings()
        dialog.pick("#e0245e")
        pump(root, 0.5)
        capture(dialog.top, out / "desktop-settings.png")
        dialog.close()

        search = app.open_search()
        search.query.set("bring")
        search.search()
        until(root, lambda: search.tree.get_children(), 10, "search results")
        search.focus_results()
        pump(root, 0.5)
        capture(search.top, out / "desktop-search.png")
        search.close()
    finally:
        app.close()


if __name__ == "__main__":
    sys.exit(main())
