"""Emoji in a font that has them.

Tk draws a character with the font its tag names, falling back through fontconfig on
X11; emoji then often come out as empty boxes although the system has an emoji font.
So the timeline draws runs of emoji with an emoji font of the system's, found among
Tk's font families. On X11, colour bitmap fonts (Noto Color Emoji and the like) need
libXft 2.3.5 or newer: older ones end the program with an X error (BadLength) when
they meet such a glyph, so there they are passed over for a plain one (Noto Emoji,
Symbola). With no emoji font at all, emoji are drawn as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import re
from collections.abc import Iterable

#: Emoji fonts, preferred first: colour ones, then outline ones.
COLOUR = ("Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", "Twemoji",
          "Twitter Color Emoji", "JoyPixels", "EmojiOne Color", "OpenMoji Color")  # fmt: skip
OUTLINE = ("Noto Emoji", "OpenMoji", "Symbola", "Segoe UI Symbol", "EmojiOne")
#: libXft's version from which colour bitmap glyphs are safe (2.3.5).
XFT_COLOUR = 20305

#: A run of emoji: pictographs, symbols and dingbats, with their joiners, variation
#: selectors, skin tones, tags and regional indicators (flags).
EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff\u3030\u303d"
    "\u3297\u3299][\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u200d\ufe0f"
    "\U000e0020-\U000e007f]*"
)


def pick_family(families: Iterable[str], *, x11: bool, xft_version: int | None) -> str | None:
    """The emoji font to use among `families` (Tk's), or None."""
    have = {name.casefold(): name for name in families}
    colour_ok = not x11 or (xft_version is not None and xft_version >= XFT_COLOUR)
    for name in (*COLOUR, *OUTLINE) if colour_ok else OUTLINE:
        if name.casefold() in have:
            return have[name.casefold()]
    return None


def xft_version() -> int | None:
    """libXft's version (20306 for 2.3.6), or None when it cannot be read."""
    path = ctypes.util.find_library("Xft")
    if path is None:
        return None
    with contextlib.suppress(OSError, AttributeError):
        lib = ctypes.CDLL(path)
        lib.XftGetVersion.restype = ctypes.c_int
        return int(lib.XftGetVersion())
    return None


def split_emoji(text: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, False) runs and (emoji, True) runs."""
    runs: list[tuple[str, bool]] = []
    pos = 0
    for match in EMOJI_RE.finditer(text):
        if match.start() > pos:
            runs.append((text[pos : match.start()], False))
        runs.append((match.group(0), True))
        pos = match.end()
    if pos < len(text):
        runs.append((text[pos:], False))
    return runs
