"""The Tk side of formatted bodies (formatting.py lays them out): the tags that draw
them, and links that show their real address under the mouse and open on a click."""

from __future__ import annotations

import contextlib
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from chinwag.desktop.formatting import DEPTH, Links
from chinwag.desktop.theme import Palette, tint

QUOTE_STEP, LIST_STEP = 4, 20
MONO = ("DejaVu Sans Mono", "Liberation Mono", "Menlo", "Consolas", "Courier New", "Courier")


def configure_tags(text: tk.Text, base: tkfont.Font) -> dict[str, tkfont.Font]:
    """Create the formatting tags on `text` (fonts from the body font `base`)."""
    family, size = base.actual("family"), base.actual("size")
    mono = next((f for f in MONO if f in tkfont.families(text)), "TkFixedFont")
    fonts = {
        "md_b": tkfont.Font(family=family, size=size, weight="bold"),
        "md_i": tkfont.Font(family=family, size=size, slant="italic"),
        "md_bi": tkfont.Font(family=family, size=size, weight="bold", slant="italic"),
        "md_code": tkfont.Font(family=mono, size=max(8, abs(int(size)) - 1)),
    }
    for tag, font in fonts.items():
        text.tag_configure(tag, font=font)
    text.tag_configure("md_pre", font=fonts["md_code"])
    text.tag_configure("md_s", overstrike=True)
    text.tag_configure("md_gap", spacing1=6)
    for q in range(DEPTH + 1):
        for lv in range(DEPTH + 1):
            # A quote's margin is its bar (the margin's colour), as a mention's edge is.
            indent = q * QUOTE_STEP + lv * LIST_STEP
            if q or lv:
                text.tag_configure(
                    f"blk:{q}:{lv}", lmargin1=indent, lmargin2=indent + LIST_STEP * (lv > 0)
                )
            text.tag_configure(f"pre:{q}:{lv}", lmargin1=indent + 8, lmargin2=indent + 8)
    return fonts


def apply_theme(text: tk.Text, pal: Palette) -> None:
    code_bg = tint(pal.fg, pal.bg, 0.07)
    quote_bg = tint(pal.fg, pal.bg, 0.035)
    text.tag_configure("md_code", background=code_bg)
    text.tag_configure("md_marker", foreground=pal.muted)
    for q in range(DEPTH + 1):
        for lv in range(DEPTH + 1):
            # A quote is drawn muted; its bar is the colour of the margin on its left.
            pre = f"pre:{q}:{lv}"
            text.tag_configure(pre, background=code_bg)
            if q:  # muted text on a tint, the bar at its left
                text.tag_configure(f"blk:{q}:{lv}", foreground=pal.muted, background=quote_bg)
            with contextlib.suppress(tk.TclError):  # lmargincolor needs Tk 8.6.6
                text.tag_configure(pre, lmargincolor=code_bg)
                if q:
                    text.tag_configure(f"blk:{q}:{lv}", lmargincolor=tint(pal.muted, pal.bg, 0.6))


class LinkHover:
    """Clicks on links, and the real address of the one under the mouse shown at the
    bottom left of `frame` (as a browser's status bubble does)."""

    def __init__(
        self,
        text: tk.Text,
        frame: ttk.Frame,
        links: Links,
        target: Callable[[str], str],
        on_url: Callable[[str], Any],
    ) -> None:
        self.text, self.links, self.target, self.on_url = text, links, target, on_url
        self.tip = ttk.Label(frame, text="", style="LinkTip.TLabel", padding=(6, 2))
        text.tag_bind("url", "<Enter>", self._hover, add="+")
        text.tag_bind("url", "<Motion>", self._hover, add="+")
        text.tag_bind("url", "<Leave>", lambda _e: self.hide(), add="+")
        text.tag_bind("url", "<ButtonRelease-1>", self._click)

    def href_at(self, index: str) -> str | None:
        """The address of the link drawn at `index`, or None."""
        tags = self.text.tag_names(index)
        if "url" not in tags:
            return None
        for tag in tags:
            href = self.links.href(tag)
            if href is not None:
                return href
        found = self.text.tag_prevrange("url", f"{index} + 1c")
        return self.target(self.text.get(*found)) if found else None

    def _hover(self, event: Any) -> None:
        href = self.href_at(f"@{event.x},{event.y}")
        if href is None:
            self.hide()
            return
        self.tip.configure(text=href)
        self.tip.place(x=2, rely=1.0, y=-2, anchor="sw")
        self.tip.lift()

    def hide(self) -> None:
        self.tip.place_forget()

    def _click(self, event: Any) -> None:
        href = self.href_at(f"@{event.x},{event.y}")
        if href is not None:
            self.on_url(href)
