"""The browser client in a big room: scrolling from the newest message to the first, and
reopening the room, measured in Chromium with Playwright.

    .venv/bin/python benchmarks/web_big_room.py [--messages 100000] [--json out.json]

A room of N messages is seeded straight into a fresh SQLite file (the bench seeding code,
the rows the store writes), `chinwag serve` runs on it, and a logged-in page:

1. opens the room (its newest page comes from the server);
2. scrolls to the top again and again, as fast as the page lets it, until the first
   message of the room is shown: every older page is fetched and drawn on the way;
3. switches to another room and back, five times, timing each reopening from the click to
   the frame after its rows are drawn.

It prints every long task (a task of the page's main thread over 50 ms, as the browser
reports them), the longest, the elements in the page as it scrolled, the timings, and
the long tasks of each tenth of the scroll beside the machine's load average then (a
quieter stretch of the run shows as such).

`--profile DIR` also records the scroll with Chromium's own tools through a CDP session
(a trace of the page's main thread, and a sampled JavaScript profile), writes both to
DIR (`trace.json` and `scroll.cpuprofile`, to open in Chromium's DevTools) and prints
where the main thread's time went. With `--limit 30`: the first 30 s of the scroll.
Needs Debian's Chromium at /usr/bin/chromium and the dev requirements (playwright).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from chinwag.bench import seed
from chinwag.bench.harness import ServerProcess
from chinwag.bench.scenarios.target import cheap_hash, seed_url

CHROMIUM = "/usr/bin/chromium"
ROOM = "big"

# Every long task of the page, from the start.
OBSERVE = """() => {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
}"""

# Scroll to the top each frame until the room's first message is drawn.
SCROLL = """async (limitMs) => {
  const s = document.getElementById("timeline");
  const t0 = performance.now();
  let steps = 0, maxRows = 0, maxElements = 0;
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  while (!document.querySelector("#history-status.start")) {
    s.scrollTop = 0;
    await frame();
    steps += 1;
    maxRows = Math.max(maxRows, document.querySelectorAll("#messages .msg").length);
    maxElements = Math.max(maxElements, document.getElementsByTagName("*").length);
    if (performance.now() - t0 > limitMs) break;
  }
  const first = document.querySelector("#messages .msg");
  return { t0, ms: performance.now() - t0, steps, maxRows, maxElements,
           firstSeq: first ? Number(first.dataset.seq) : null,
           reachedStart: !!document.querySelector("#history-status.start") };
}"""

# Click a room in the list; milliseconds until the frame after its rows are drawn.
OPEN = """async (room) => {
  const sel = `#sidebar button[data-room="${room}"]`;
  while (!document.querySelector(sel)) await new Promise((r) => setTimeout(r, 10));
  const t0 = performance.now();
  document.querySelector(sel).click();
  while (!document.querySelector(`#messages .msg[id^="m-${room}-"]`)) {
    await new Promise((r) => setTimeout(r, 0));
  }
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
}"""


TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute"]


def trace_summary(trace: dict[str, Any], top: int = 12) -> list[tuple[str, float, int]]:
    """(event, self time in ms, count) on the page's main thread, the most time first:
    nested events (a forced layout inside a function call) count in their own line."""
    events = trace["traceEvents"]
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
        if e.get("args", {}).get("name") == "CrRendererMain"
    }
    spans: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
    opened: dict[tuple[int, int], list[tuple[float, str]]] = defaultdict(list)
    for e in events:
        thread = (e.get("pid"), e.get("tid"))
        if thread not in mains:
            continue
        if e.get("ph") == "X" and "dur" in e:
            spans[thread].append((e["ts"], e["ts"] + e["dur"], e["name"]))
        elif e.get("ph") == "B":
            opened[thread].append((e["ts"], e["name"]))
        elif e.get("ph") == "E" and opened[thread]:
            ts, name = opened[thread].pop()
            spans[thread].append((ts, e["ts"], name))
    if not spans:
        return []
    page = max(spans.values(), key=len)  # the renderer of the page, not of a blank tab
    page.sort(key=lambda x: (x[0], -x[1]))
    self_us: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    stack: list[tuple[float, float, str]] = []
    for start, end, name in page:
        while stack and stack[-1][1] <= start:
            stack.pop()
        if stack:
            self_us[stack[-1][2]] -= end - start
        self_us[name] += end - start
        count[name] += 1
        stack.append((start, end, name))
    ranked = sorted(self_us.items(), key=lambda kv: -kv[1])[:top]
    return [(name, round(us / 1000, 1), count[name]) for name, us in ranked]


def task_cpu(trace: dict[str, Any]) -> dict[str, Any]:
    """The main thread's CPU time (the trace's thread time, which a busy machine does not
    stretch as it does the wall time) of each task, and of each frame's task (a task
    that ran requestAnimationFrame callbacks or painted): count, median, p99, max."""
    events = trace["traceEvents"]
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
        if e.get("args", {}).get("name") == "CrRendererMain"
    }
    threads: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if (e.get("pid"), e.get("tid")) in mains and e.get("ph") == "X" and "dur" in e:
            threads[(e["pid"], e["tid"])].append(e)
    if not threads:
        return {}
    busiest: list[dict[str, Any]] = max(threads.values(), key=len)
    page = sorted(busiest, key=lambda e: (e["ts"], -e["dur"]))
    tasks: list[float] = []
    frames: list[float] = []
    end, frame, cpu = -1.0, False, 0.0
    for e in page:
        if e["name"] == "RunTask" and e["ts"] >= end:
            if end >= 0:
                (frames if frame else tasks).append(cpu)
            end, frame, cpu = e["ts"] + e["dur"], False, e.get("tdur", e["dur"]) / 1000
        elif e["ts"] < end and e["name"] in ("FireAnimationFrame", "Paint", "PrePaint"):
            frame = True
    if end >= 0:
        (frames if frame else tasks).append(cpu)

    def spread(xs: list[float]) -> dict[str, float]:
        xs = sorted(xs) or [0.0]
        return {
            "count": len(xs),
            "median_ms": round(xs[len(xs) // 2], 1),
            "p99_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))], 1),
            "max_ms": round(xs[-1], 1),
        }

    return {"frames": spread(frames), "other_tasks": spread(tasks)}


def profile_summary(profile: dict[str, Any], top: int = 15) -> list[tuple[str, float]]:
    """(function at file:line, self time in ms) of a CDP Profiler profile."""
    frames = {}
    for node in profile["nodes"]:
        f = node["callFrame"]
        where = f["url"].rsplit("/", 1)[-1]
        name = f["functionName"] or "(anonymous)"
        frames[node["id"]] = f"{name} {where}:{f['lineNumber'] + 1}" if where else name
    self_us: dict[str, float] = defaultdict(float)
    samples, deltas = profile.get("samples", []), profile.get("timeDeltas", [])
    for i, node_id in enumerate(samples):
        # Each sample stands for the time until the next one.
        self_us[frames[node_id]] += deltas[i + 1] if i + 1 < len(deltas) else 0
    ranked = sorted(self_us.items(), key=lambda kv: -kv[1])[:top]
    return [(name, round(us / 1000, 1)) for name, us in ranked]


async def sample_load(samples: list[tuple[float, float]]) -> None:
    """The 1-minute load average every 2 s, with the monotonic time it was read."""
    while True:
        samples.append((time.monotonic(), os.getloadavg()[0]))
        await asyncio.sleep(2)


def by_tenth(
    tasks: list[list[float]], t0: float, ms: float, loads: list[tuple[float, float]], start: float
) -> list[dict[str, Any]]:
    """The long tasks of each tenth of the scroll, and the load average during it."""
    out = []
    for i in range(10):
        lo, hi = t0 + ms * i / 10, t0 + ms * (i + 1) / 10
        mine = [d for at, d in tasks if lo <= at < hi or (i == 9 and at >= hi)]
        wall_lo, wall_hi = start + (lo - t0) / 1000, start + (hi - t0) / 1000
        near = [x for at, x in loads if wall_lo <= at <= wall_hi + 2]
        if not near and loads:  # a tenth shorter than the sampling: the nearest reading
            near = [min(loads, key=lambda s: abs(s[0] - wall_lo))[1]]
        near = near or [0.0]
        out.append(
            {
                "long_tasks": len(mine),
                "over_100ms": sum(d > 100 for d in mine),
                "longest_ms": round(max(mine, default=0), 1),
                "load": round(sum(near) / len(near), 1),
            }
        )
    return out


async def measure(url: str, token: str, limit_s: float, *, profile: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 800})
            page = await context.new_page()
            await page.add_init_script(f"localStorage.setItem('chinwag.token', {token!r})")
            await page.add_init_script(f"({OBSERVE})()")
            await page.goto(url)
            await page.wait_for_selector("#composer-input", state="visible", timeout=60_000)
            first_open = await page.evaluate(OPEN, ROOM)
            await page.wait_for_function("() => !document.querySelector('#history-status.loading')")
            before = len(await page.evaluate("() => window.longTasks"))
            cdp = None
            if profile:
                await browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
                cdp = await context.new_cdp_session(page)
                await cdp.send("Profiler.enable")
                await cdp.send("Profiler.setSamplingInterval", {"interval": 200})
                await cdp.send("Profiler.start")
            loads: list[tuple[float, float]] = []
            sampler = asyncio.create_task(sample_load(loads))
            start = time.monotonic()
            scrolled = await page.evaluate(SCROLL, limit_s * 1000)
            sampler.cancel()
            extra: dict[str, Any] = {}
            if cdp is not None:
                cpu = (await cdp.send("Profiler.stop"))["profile"]
                trace = json.loads(await browser.stop_tracing())
                extra = {"trace": trace, "cpu": cpu}
            tasks = (await page.evaluate("() => window.longTasks"))[before:]
            reopen = []
            for _ in range(5):
                await page.evaluate(OPEN, "general")
                reopen.append(await page.evaluate(OPEN, ROOM))
            reopen_tasks = (await page.evaluate("() => window.longTasks"))[before + len(tasks) :]
            held = await page.evaluate(
                f"() => window.chinwag.state.timelines.get({ROOM!r}).msgs.size"
            )
        finally:
            await browser.close()
    t0 = scrolled.pop("t0")
    return {
        "first_open_ms": round(first_open, 1),
        "scroll": {**scrolled, "ms": round(scrolled["ms"])},
        "scroll_long_tasks_ms": [round(d, 1) for _, d in tasks],
        "scroll_by_tenth": by_tenth(tasks, t0, scrolled["ms"], loads, start),
        "reopen_ms": [round(x, 1) for x in reopen],
        "reopen_long_tasks_ms": [round(d, 1) for _, d in reopen_tasks],
        "messages_held": held,
        **extra,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--limit", type=float, default=600.0, help="seconds to scroll at most")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--profile", type=Path, help="record the scroll with Chromium's tools into this folder"
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the server and the browser at this niceness (-10 as root: ahead of "
        "whatever else runs on the machine)",
    )
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)  # inherited by the server and Chromium
    with tempfile.TemporaryDirectory(prefix="chinwag-web-bench-") as tmp:
        data = Path(tmp)
        started = time.monotonic()
        plan = seed.Plan(
            users=2,
            password_hash=cheap_hash(),
            rooms=[seed.Room(ROOM, "public", [0, 1], messages=args.messages)],
            general_messages=20,
        )
        asyncio.run(seed.seed(seed_url(data), plan))
        print(f"seeded {args.messages:,} messages in {time.monotonic() - started:.1f} s")
        server = ServerProcess("chinwag", data, cpus=[])
        server.start()
        url = f"http://127.0.0.1:{server.port}/"
        try:
            figures = asyncio.run(
                measure(url, seed.token(0), args.limit, profile=args.profile is not None)
            )
        finally:
            server.stop()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        trace, cpu = figures.pop("trace"), figures.pop("cpu")
        (args.profile / "trace.json").write_text(json.dumps(trace))
        (args.profile / "scroll.cpuprofile").write_text(json.dumps(cpu))
        figures["main_thread_ms"] = trace_summary(trace)
        figures["task_cpu_ms"] = task_cpu(trace)
        figures["javascript_ms"] = profile_summary(cpu)
    s = figures["scroll"]
    tasks = figures["scroll_long_tasks_ms"]
    print(f"first opening of the room: {figures['first_open_ms']} ms")
    print(
        f"scrolled from the newest to message {s['firstSeq']} "
        f"({'the first' if s['reachedStart'] else 'NOT the first'}) in {s['ms'] / 1000:.1f} s, "
        f"{s['steps']:,} frames; at most {s['maxRows']} rows, {s['maxElements']:,} elements"
    )
    print(
        f"long tasks while scrolling: {len(tasks)}"
        + (f", longest {max(tasks)} ms: {tasks}" if tasks else "")
    )
    print("each tenth of the scroll: long tasks, over 100 ms, longest, load average")
    for i, t in enumerate(figures["scroll_by_tenth"]):
        print(
            f"  {i + 1:>2}: {t['long_tasks']:>4} {t['over_100ms']:>4} {t['longest_ms']:>7} ms"
            f"   load {t['load']}"
        )
    if "main_thread_ms" in figures:
        print("the page's main thread while scrolling, self time (ms) and count:")
        for name, ms, n in figures["main_thread_ms"]:
            print(f"  {ms:>9} {n:>7}  {name}")
        for kind, v in figures["task_cpu_ms"].items():
            print(
                f"CPU time of the main thread's {kind.replace('_', ' ')}: {v['count']:,},"
                f" median {v['median_ms']} ms, p99 {v['p99_ms']} ms, longest {v['max_ms']} ms"
            )
        print("JavaScript, self time (ms):")
        for name, ms in figures["javascript_ms"]:
            print(f"  {ms:>9}  {name}")
    print(f"messages held by the page: {figures['messages_held']:,}")
    print(f"reopening the room: {figures['reopen_ms']} ms (max {max(figures['reopen_ms'])} ms)")
    print(f"long tasks while reopening: {figures['reopen_long_tasks_ms']}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end: {load} ({os.cpu_count()} CPUs)")
    if args.json:
        args.json.write_text(json.dumps({"messages": args.messages, **figures}, indent=2) + "\n")
    ok = s["reachedStart"] and all(t <= 100 for t in tasks) and max(figures["reopen_ms"]) < 200
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
