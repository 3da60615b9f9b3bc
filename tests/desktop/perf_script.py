"""How the desktop app copes with a long room: a benchmark script, not a test.

    python -m tests.desktop.perf_script [--messages 5000] [--json]

Fills a room with N messages (no server: the events go straight into the app's state,
as the network thread would deliver them) and times, on the Tk thread, what a user
feels: loading the room, a new message arriving, a keystroke in the input box,
scrolling by lines and by pages, jumping anywhere, paging older history in, switching
rooms. Runs on its own Xvfb unless DISPLAY is set (or always with --xvfb).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHATTER = (
    "ok sure lol the server is up again who has the pizza link https://example.com/menu "
    "saturday at eight bring a cable and a switch I'll be late see you there what map"
)
WORDS = CHATTER.split()


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(pick(0.95) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def _time(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(count: int) -> dict[str, Any]:
    from chinwag.client.events import (
        LoggedIn,
        MessagesLoaded,
        RoomsLoaded,
        Status,
        StatusChanged,
        UsersLoaded,
    )
    from chinwag.client.state import ChatState
    from chinwag.desktop.app import DesktopApp
    from chinwag.desktop.notify import Notifier
    from chinwag.desktop.prefs import Prefs
    from chinwag.protocol.events import MessageEvent
    from chinwag.protocol.types import Message, Room, User

    rng = random.Random(7)
    names = ["ada", "bob", "cy", "dee", "eve", "finn", "gus", "hal"]
    colors = ["#e0245e", "#0ea5a4", "#d4a000", "#3b82f6", "#8b5cf6", "#f97316", "#22c55e"]
    users = [
        User(username=n, display_name=n.title(), color=colors[i % len(colors)], online=i % 2 == 0)
        for i, n in enumerate(names)
    ]
    start_ts = int(time.time() * 1000) - count * 40_000

    def message(room: str, seq: int) -> Message:
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 30)))
        return Message(
            room=room, seq=seq, sender=rng.choice(names), body=body, ts=start_ts + seq * 40_000
        )

    rooms = [
        Room(id="general", name="general", kind="public", member=True, member_count=8),
        Room(id="lan", name="LAN Party", kind="public", member=True, member_count=8),
    ]
    big = [message("general", seq) for seq in range(1, count + 1)]
    other = [message("lan", seq) for seq in range(1, count + 1)]

    app = DesktopApp(
        Prefs.load(Path(tempfile.mkdtemp(prefix="chinwag-perf-"))),
        server="127.0.0.1:9",
        notifier=Notifier(),
        track_focus=False,
    )
    results: dict[str, Any] = {"messages": count}
    try:
        root = app.root
        root.geometry("1200x760")
        state = app.state = ChatState()
        state.apply_all([LoggedIn(users[0], "t", False), RoomsLoaded(rooms), UsersLoaded(users)])
        state.apply(StatusChanged(Status.CONNECTED))
        app.show_main()
        root.update()
        main = app.main
        assert main is not None
        results["state_apply_ms"] = round(
            _time(lambda: state.apply(MessagesLoaded("general", big, "initial"))) * 1000, 1
        )
        # The other room lacks its oldest 100, to page them in from "the server".
        state.apply(MessagesLoaded("lan", other[100:], "initial", more_before=True))
        rs = state.rooms["general"]

        def draw() -> None:
            main.timeline.show(rs)
            root.update_idletasks()

        results["draw_room_ms"] = round(_time(draw) * 1000, 1)
        root.update()

        next_seq = [count + 1]

        def interactions() -> dict[str, Any]:
            out: dict[str, Any] = {}
            arrivals = []
            for _ in range(100):
                event = MessageEvent(message=message("general", next_seq[0]))
                next_seq[0] += 1

                def arrive(event: MessageEvent = event) -> None:
                    app._render(state.apply(event))
                    root.update_idletasks()

                arrivals.append(_time(arrive))
            out["new_message"] = _percentiles(arrivals)
            box = main.composer.text
            box.focus_force()
            root.update()
            keys = []
            for i in range(200):
                char = "abcdefghij klmnop"[i % 17]

                def key(char: str = char) -> None:
                    box.insert("insert", char)
                    box.event_generate("<KeyRelease>", keysym="a")
                    root.update_idletasks()

                keys.append(_time(key))
            out["keystroke"] = _percentiles(keys)
            main.composer.clear()
            text.yview_moveto(1.0)
            root.update()
            for name, amount, unit, repeat in (
                ("scroll_3_lines", -3, "units", 200),
                ("scroll_page", -1, "pages", 100),
            ):
                samples = []
                for _ in range(repeat):

                    def step(amount: int = amount, unit: str = unit) -> None:
                        text.yview_scroll(amount, unit)
                        root.update_idletasks()

                    samples.append(_time(step))
                out[name] = _percentiles(samples)
                text.yview_moveto(1.0)
                root.update()
            jumps = []
            for _ in range(50):
                where = rng.random()

                def jump(where: float = where) -> None:
                    text.yview_moveto(where)
                    root.update_idletasks()

                jumps.append(_time(jump))
            out["jump_anywhere"] = _percentiles(jumps)
            text.yview_moveto(1.0)
            root.update()
            out["lines_drawn"] = int(float(text.index("end")))
            out["messages_drawn"] = len(main.timeline._starts)
            return out

        text = main.timeline.text
        results["newest_chunk"] = interactions()

        def reveal_all() -> int:
            chunks = 0
            while main.timeline.reveal_older(rs):
                root.update_idletasks()
                chunks += 1
            return chunks

        start = time.perf_counter()
        chunks = reveal_all()
        results["scroll_to_top_all_chunks_ms"] = round((time.perf_counter() - start) * 1000, 1)
        results["chunks"] = chunks
        results["all_drawn"] = interactions()

        def switch() -> None:
            app._render(state.select("lan"))
            root.update_idletasks()

        results["switch_room_ms"] = round(_time(switch) * 1000, 1)
        lan = state.rooms["lan"]
        while main.timeline.reveal_older(lan):
            root.update_idletasks()
        text.yview_moveto(0.0)
        root.update()

        def older_page() -> None:
            app._render(state.apply(MessagesLoaded("lan", other[:100], "history", False)))
            root.update_idletasks()

        results["older_page_in_ms"] = round(_time(older_page) * 1000, 1)
    finally:
        app.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument(
        "--xvfb", action="store_true", help="use a private Xvfb even if DISPLAY is set"
    )
    args = parser.parse_args(argv)
    xvfb = None
    if args.xvfb or not os.environ.get("DISPLAY"):
        from tests.desktop.conftest import start_xvfb

        xvfb, display = start_xvfb()
        os.environ["DISPLAY"] = display
    try:
        results = run(args.messages)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"chinwag desktop with {results['messages']:,} messages in a room")
    print(f"  apply them to the state                 {results['state_apply_ms']:>8} ms")
    print(f"  open the room (newest 300 drawn)        {results['draw_room_ms']:>8} ms")
    print(f"  switch to another room that size        {results['switch_room_ms']:>8} ms")
    print(
        f"  scroll to the very top ({results['chunks']} chunks drawn)"
        f"   {results['scroll_to_top_all_chunks_ms']:>8} ms in all"
    )
    print(f"  a page of 100 older messages arrives    {results['older_page_in_ms']:>8} ms")
    for phase, title in (
        ("newest_chunk", "just after opening the room"),
        ("all_drawn", "after scrolling to the very top"),
    ):
        r = results[phase]
        drawn = f"{r['messages_drawn']:,} messages, {r['lines_drawn']:,} lines drawn"
        print(f"\n  {title} ({drawn})")
        print(f"    {'':38} {'median':>8} {'p95':>8} {'max':>8}  (ms)")
        for key, label in [
            ("new_message", "a new message arrives"),
            ("keystroke", "a keystroke in the input"),
            ("scroll_3_lines", "scroll 3 lines"),
            ("scroll_page", "scroll a page"),
            ("jump_anywhere", "jump anywhere (scrollbar drag)"),
        ]:
            v = r[key]
            print(f"    {label:38} {v['median_ms']:>8} {v['p95_ms']:>8} {v['max_ms']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
