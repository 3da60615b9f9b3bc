"""Formatted messages in the real app under Xvfb: the ten cases both clients render alike,
read back from the Tk Text's tags; links show their real address under the mouse and
open it on a click. The layout rules without a display come first."""

from __future__ import annotations

import tkinter.font as tkfont
import webbrowser
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from chinwag.client import Client
from chinwag.desktop.formatting import Links
from chinwag.desktop.rows import Layout
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump_until

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    import tkinter as tk


def test_layout_of_formatted_bodies() -> None:
    lay = Layout(str.title, me=lambda: "ada")
    runs = lay.body("**hi** @ada `@ada`\n- one", ("body",), mention="ada")
    assert runs == [
        ("hi", ("body", "md_b")),
        (" ", ("body",)),
        ("@ada", ("body", "mention_name")),
        (" ", ("body",)),
        ("@ada", ("body", "md_code")),
        ("\n", ("body",)),
        ("• ", ("body", "blk:0:1", "md_gap", "md_marker")),
        ("one", ("body", "blk:0:1", "md_gap")),
        ("\n", ("body", "blk:0:1", "md_gap")),
    ]
    # a link's address is kept by index, one tag per address
    runs = lay.body("[a](https://x.org) [b](https://x.org) https://y.org", ("body",))
    assert [(t, tags) for t, tags in runs if "url" in tags] == [
        ("a", ("body", "url", "href:0")),
        ("b", ("body", "url", "href:0")),
        ("https://y.org", ("body", "url")),
    ]
    assert lay.links.href("href:0") == "https://x.org"
    assert Links().href("href:0") is None and lay.links.href("url") is None
    # emoji keep their font inside formatting; bidi controls stay tags, even in code
    lay.emoji = True
    assert lay.body("**ship 🚀** `a\u202eb`", ("body",)) == [
        ("ship ", ("body", "md_b")),
        ("🚀", ("body", "md_b", "emoji")),
        (" ", ("body",)),
        ("a", ("body", "md_code")),
        ("\u200aRLO\u200a", ("body", "md_code", "bidi")),
        ("b", ("body", "md_code")),
        ("\n", ("body",)),
    ]


CASES = [
    "**bold** and *italic* and ~~gone~~",
    "use `make test` now",
    "```\nline 1\n  line 2\n```",
    "```\n**x** stays\n```",
    "- one\n- two\n1. first",
    "> quoted\nreply",
    "> quoted alone\n\nreply after",
    "[docs](https://example.com/x)",
    "[x](javascript:alert(1))",
    "<b>not bold</b> <img src=x onerror=alert(1)>",
    "# not a heading",
    "    four spaces",
    "**@ada** look",
    "a\nb",
]


def tagged(text: tk.Text, tag: str) -> list[str]:
    ranges = text.tag_ranges(tag)
    return [text.get(a, b) for a, b in zip(ranges[::2], ranges[1::2], strict=True)]


@pytest.mark.display
def test_the_ten_cases_render_as_formatted(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    bob = other("bob")
    for body in CASES:
        loop_thread.run(bob.send("general", body))
    assert app.main is not None
    timeline = app.main.timeline
    text = timeline.text
    pump_until(app.root, lambda: "a\nb\n" in text.get("1.0", "end"), what="the messages")
    shown = text.get("1.0", "end")

    # 1, 2: bold, italic, struck out; inline code in a monospace font
    assert "bold and italic and gone\n" in shown
    assert "bold" in tagged(text, "md_b") and "italic" in tagged(text, "md_i")
    assert tagged(text, "md_s") == ["gone"]
    assert "make test" in tagged(text, "md_code")
    code_font = tkfont.Font(font=text.tag_cget("md_code", "font"))
    assert code_font.metrics("fixed") == 1
    assert text.tag_cget("md_code", "background") != text.cget("background")
    # 3: a code block keeps its indentation, and nothing is formatted inside
    assert tagged(text, "md_pre") == ["line 1\n  line 2", "**x** stays"]
    assert "**x** stays\n" in shown
    # 4: a bullet list of two, then a numbered one
    assert "• one\n• two\n1. first\n" in shown
    assert tagged(text, "md_marker") == ["• ", "• ", "1. "]
    assert int(text.tag_cget("blk:0:1", "lmargin2")) > int(text.tag_cget("blk:0:1", "lmargin1"))
    # 5: a quote holds the line after it; after a blank line, a paragraph of its own
    (quotes,) = tagged(text, "blk:1:0")  # two messages in a row: one quote after another
    assert quotes == "quoted\nreply\nquoted alone\n"
    assert "quoted alone\nreply after\n" in shown
    assert "blk:1:0" not in text.tag_names(text.search("reply after", "1.0"))
    # 6: a link shows its text; a javascript: one stays literal text
    assert "docs" in tagged(text, "url")
    assert "[x](javascript:alert(1))\n" in shown
    assert all("javascript" not in piece for piece in tagged(text, "url"))
    # 7, 8: raw HTML, headings and indented code are plain text
    assert "<b>not bold</b> <img src=x onerror=alert(1)>\n" in shown
    assert "# not a heading\n" in shown and "\nfour spaces\n" in shown
    # 9: a bold mention, highlighted as a mention
    assert tagged(text, "mention_name") == ["@ada"]
    start = text.search("@ada", "1.0")
    assert {"md_b", "mention_name"} <= set(text.tag_names(start))
    # 10: a newline is a line break
    assert "\na\nb\n" in shown

    # Under the mouse, a link shows where it goes; a click opens that address.
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0: opened.append(url))
    text.see(text.search("docs", "1.0"))
    app.root.update()
    x, y, _w, h = text.bbox(text.search("docs", "1.0"))
    text.event_generate("<Motion>", x=x + 2, y=y + h // 2, warp=True)
    tip = timeline.links.tip
    pump_until(app.root, lambda: tip.winfo_ismapped(), what="the address under the mouse")
    assert tip.cget("text") == "https://example.com/x"
    text.event_generate("<ButtonPress-1>", x=x + 2, y=y + h // 2)
    text.event_generate("<ButtonRelease-1>", x=x + 2, y=y + h // 2)
    pump_until(app.root, lambda: opened, what="the link opened")
    assert opened == ["https://example.com/x"]
    text.event_generate("<Motion>", x=2, y=2, warp=True)
    pump_until(app.root, lambda: not tip.winfo_ismapped(), what="the tip hidden")


@pytest.mark.display
def test_a_notification_reads_without_the_markup(
    make_app: MakeApp,
    chat_server: RestartableServer,
    other: Callable[..., Client],
    loop_thread: LoopThread,
) -> None:
    app = make_app(chat_server.address)
    log_in(app, "ada", create=True)
    bob = other("bob")
    pump_until(app.root, lambda: app.state.rooms["general"].loaded, what="general")
    app.set_focused(False)
    loop_thread.run(bob.send("general", "**standup** in `5`, see [notes](https://x.org)"))
    pump_until(app.root, lambda: app.notifier.sent, what="the notification")
    assert app.notifier.sent == [("bob in #general", "standup in 5, see notes")]
