"""Light and dark themes: a ttkbootstrap theme for the widgets, and a palette for what
the app draws itself (the timeline, the lists), with names kept readable on both."""

from __future__ import annotations

import colorsys
import dataclasses
from typing import Any

LIGHT, DARK = "light", "dark"

#: ttkbootstrap theme names, newest first (2.x names, then 1.x ones).
_CANDIDATES = {
    LIGHT: ("bootstrap-light", "flatly", "litera", "cosmo"),
    DARK: ("bootstrap-dark", "darkly", "superhero", "cyborg"),
}


@dataclasses.dataclass(frozen=True)
class Palette:
    mode: str
    bg: str
    fg: str
    muted: str
    surface: str
    border: str
    accent: str
    danger: str
    success: str
    warning: str
    link: str
    select_bg: str
    select_fg: str
    input_bg: str
    marker: str
    #: A message that @mentions the user: its background and the bar at its left.
    mention_bg: str
    mention_edge: str


_LIGHT = Palette(
    mode=LIGHT,
    bg="#ffffff",
    fg="#1f2328",
    muted="#6b7280",
    surface="#f3f4f6",
    border="#d6d8db",
    accent="#0a58ca",
    danger="#c0392b",
    success="#1f9d55",
    warning="#b7791f",
    link="#0a58ca",
    select_bg="#dbe7fb",
    select_fg="#1f2328",
    input_bg="#ffffff",
    marker="#d6336c",
    mention_bg="#fff7dc",
    mention_edge="#e0a800",
)
_DARK = Palette(
    mode=DARK,
    bg="#1e2227",
    fg="#e8eaed",
    muted="#9aa0a6",
    surface="#171a1e",
    border="#3a3f45",
    accent="#5b9cff",
    danger="#ff6b6b",
    success="#3ecf8e",
    warning="#f0b429",
    link="#7ab4ff",
    select_bg="#2f3b4d",
    select_fg="#ffffff",
    input_bg="#262b30",
    marker="#ff6b9a",
    mention_bg="#3a321c",
    mention_edge="#e3b341",
)


def theme_name(style: Any, mode: str) -> str:
    """The installed ttkbootstrap theme to use for `mode`."""
    names = set(style.theme_names())
    for name in _CANDIDATES.get(mode, _CANDIDATES[LIGHT]):
        if name in names:
            return name
    return str(style.theme_use())


def palette_for(style: Any, mode: str) -> Palette:
    """Our palette, taking the theme's own background, text and accent when it has them."""
    base = _DARK if mode == DARK else _LIGHT
    colors = getattr(style, "colors", None)
    if colors is None:
        return base

    def pick(name: str, fallback: str) -> str:
        value = getattr(colors, name, None)
        return value if isinstance(value, str) and value.startswith("#") else fallback

    return dataclasses.replace(
        base,
        bg=pick("bg", base.bg),
        fg=pick("fg", base.fg),
        input_bg=pick("inputbg", base.input_bg),
    )


def _luminance(color: str) -> float:
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(color: str, background: str, minimum: float = 3.2) -> str:
    """`color`, made lighter or darker until it stands out on `background`."""
    try:
        r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#808080"
    h, lightness, s = colorsys.rgb_to_hls(r, g, b)
    lighten = _luminance(background) < 0.5
    for _ in range(20):
        candidate = _hex(colorsys.hls_to_rgb(h, lightness, s))
        if contrast(candidate, background) >= minimum:
            return candidate
        lightness = min(1.0, lightness + 0.05) if lighten else max(0.0, lightness - 0.05)
    return _hex(colorsys.hls_to_rgb(h, lightness, s))


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def tint(color: str, background: str, amount: float) -> str:
    """`color` laid at `amount` (0 to 1) over `background`: a soft shade of it."""
    mixed = (
        round(int(color[i : i + 2], 16) * amount + int(background[i : i + 2], 16) * (1 - amount))
        for i in (1, 3, 5)
    )
    return "#" + "".join(f"{c:02x}" for c in mixed)
