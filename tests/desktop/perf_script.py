"""How the desktop app copes with a long room: a benchmark script, not a test.

    python -m tests.desktop.perf_script [--messages 5000] [--json]

Fills a room with N messages (no server: the events go straight into the app's state,
as the network thread would deliver them) and times, on the Tk thread, what a user
feels: loading the room, a new message arriving, a keystroke in the input box,
scrolling by lines and by pages, jumping anywhere, paging older history in, switching
rooms. Runs on its own Xvfb unless DISPLAY is set (or always with --xvfb).

Paging up to the first message and back down is timed two ways: each page (the scroll
and everything Tk then does until it is idle), and each step of Tk's event loop on the
way (one event, or the idle callbacks due: what keeps the window from answering input
while it runs), the figure the bound of 100 ms is on. Both are also given for each tenth
of the way, beside the machine's load average then. `--profile FILE` runs the paging
under cProfile and writes its statistics to FILE (read them with `python -m pstats`).
"""

from __future__ import annotations

import _tkinter
import argparse
import cProfile
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


def _by_tenth(samples: list[tuple[float, float, float]]) -> list[dict[str, Any]]:
    """(time, seconds, load) samples in ten equal runs: count, over 100 ms, longest."""
    out = []
    n = len(samples)
    for i in range(10):
        part = samples[i * n // 10 : (i + 1) * n // 10] or [(0.0, 0.0, 0.0)]
        out.append(
            {
                "steps": len(part),
                "over_100ms": sum(d > 0.1 for _, d, _ in part),
                "longest_ms": round(max(d for _, d, _ in part) * 1000, 1),
                "load": round(sum(x for _, _, x in part) / len(part), 1),
            }
        )
    return out


def _time(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(count: int, profile: Path | None = None) -> dict[str, Any]:
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

        loop_steps: list[tuple[float, float, float]] = []
        #: The CPU time of each step (this thread's, which a busy machine does not
        #: stretch as it does the wall time: Tk draws in this thread).
        loop_cpu: list[float] = []

        def page(amount: int) -> float:
            """Scroll a page as the wheel or the key would, then run Tk's event loop
            until it is idle, timing each of its steps; the time of the whole page."""
            load = os.getloadavg()[0]
            start, cpu = time.perf_counter(), time.thread_time()
            text.yview_scroll(amount, "pages")  # the handler of the user's scroll
            at = time.perf_counter()
            loop_steps.append((start, at - start, load))
            loop_cpu.append(time.thread_time() - cpu)
            while True:
                begin, cpu = time.perf_counter(), time.thread_time()
                if not root.tk.dooneevent(_tkinter.ALL_EVENTS | _tkinter.DONT_WAIT):
                    break
                at = time.perf_counter()
                loop_steps.append((begin, at - begin, load))
                loop_cpu.append(time.thread_time() - cpu)
            root.update()  # whatever is left (nothing, but a timer not yet due)
            return time.perf_counter() - start

        def reveal_all() -> list[float]:
            """Page up until the first message is drawn, as a user scrolls: each page
            (the scroll, and the older chunk drawn when it reaches the top) is timed."""
            samples = []
            while main.timeline._starts[0][1] > rs.seqs[0] or text.index("@0,0") != "1.0":
                samples.append(page(-1))
            return samples

        profiler = cProfile.Profile() if profile is not None else None
        if profiler is not None:
            profiler.enable()
        start = time.perf_counter()
        chunk_times = reveal_all()
        results["scroll_to_top_all_chunks_ms"] = round((time.perf_counter() - start) * 1000, 1)
        results["steps_up"] = len(chunk_times)
        results["chunk"] = _percentiles(chunk_times or [0.0])
        results["steps_over_100ms_up"] = sum(t > 0.1 for t in chunk_times)
        up_steps = list(loop_steps)
        results["loop_up"] = {
            **_percentiles([d for _, d, _ in up_steps]),
            "steps": len(up_steps),
            "over_100ms": sum(d > 0.1 for _, d, _ in up_steps),
            "by_tenth": _by_tenth(up_steps),
            "cpu": _percentiles(loop_cpu),
        }
        if profiler is not None and profile is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        results["all_drawn"] = interactions()  # at the very top, the window drawn there

        def reveal_down() -> list[float]:
            samples = []
            # By line, not by fraction: Tk's fractions are estimates on fresh lines.
            while not (main.timeline.newest_drawn and main.timeline._end_in_view()):
                samples.append(page(1))
            return samples

        main.timeline.show(rs)  # newest again; then to the top once more, and back down
        reveal_all()
        loop_steps.clear()
        loop_cpu.clear()
        start = time.perf_counter()
        down = reveal_down()
        results["scroll_to_bottom_all_chunks_ms"] = round((time.perf_counter() - start) * 1000, 1)
        results["chunk_down"] = _percentiles(down or [0.0])
        results["steps_down"] = len(down)
        results["steps_over_100ms_down"] = sum(t > 0.1 for t in down)
        results["loop_down"] = {
            **_percentiles([d for _, d, _ in loop_steps]),
            "steps": len(loop_steps),
            "over_100ms": sum(d > 0.1 for _, d, _ in loop_steps),
            "by_tenth": _by_tenth(loop_steps),
            "cpu": _percentiles(loop_cpu),
        }
        text.yview_moveto(0.0)  # scrolled up a little: a window away from the end
        root.update()

        def switch() -> None:
            app._render(state.select("lan"))
            root.update_idletasks()

        results["switch_room_ms"] = round(_time(switch) * 1000, 1)
        lan = state.rooms["lan"]
        while main.timeline._starts[0][1] > lan.seqs[0]:
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
    parser.add_argument(
        "--profile", type=Path, help="cProfile the paging up, statistics written to this file"
    )
    args = parser.parse_args(argv)
    xvfb = None
    if args.xvfb or not os.environ.get("DISPLAY"):
        from tests.desktop.conftest import start_xvfb

        xvfb, display = start_xvfb()
        os.environ["DISPLAY"] = display
    try:
        results = run(args.messages, args.profile)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"chinwag desktop with {results['messages']:,} messages in a room")
    print(f"  apply them to the state                 {results['state_apply_ms']:>8} ms")
    print(f"  open the room (newest chunk drawn)        {results['draw_room_ms']:>8} ms")
    print(f"  switch to another room that size        {results['switch_room_ms']:>8} ms")
    for way, key, steps, over, total in (
        ("up to the first", "chunk", "steps_up", "steps_over_100ms_up",
         "scroll_to_top_all_chunks_ms"),
        ("back down to the newest", "chunk_down", "steps_down", "steps_over_100ms_down",
         "scroll_to_bottom_all_chunks_ms"),
    ):  # fmt: skip
        v = results[key]
        print(
            f"  page {way}: {results[steps]:,} steps in {results[total]:,} ms; each step"
            f" {v['median_ms']} ms median, {v['p95_ms']} p95, {v['max_ms']} max;"
            f" {results[over]} over 100 ms"
        )
    for way, key in (("up", "loop_up"), ("down", "loop_down")):
        v = results[key]
        print(
            f"  Tk event-loop steps paging {way}: {v['steps']:,}; {v['median_ms']} ms median,"
            f" {v['p95_ms']} p95, {v['max_ms']} max; {v['over_100ms']} over 100 ms"
        )
        tenths = "; ".join(
            f"{t['over_100ms']} ({t['longest_ms']:.0f} ms, load {t['load']})" for t in v["by_tenth"]
        )
        print(f"    over 100 ms in each tenth (longest, load average): {tenths}")
        c = v["cpu"]
        print(
            f"    CPU time of a step: {c['median_ms']} ms median, {c['p95_ms']} p95,"
            f" {c['max_ms']} max"
        )
    print(f"  a page of 100 older messages arrives    {results['older_page_in_ms']:>8} ms")
    for phase, title in (
        ("newest_chunk", "just after opening the room"),
        ("all_drawn", "at the very top, after scrolling all the way up"),
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
