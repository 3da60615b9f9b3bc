"""The few ttkbootstrap calls the app makes, typed in one place (ttkbootstrap's own
signatures are not all typed, and differ between its 1.x and 2.x releases)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

import ttkbootstrap


def button(
    parent: tk.Misc, text: str, command: Callable[[], Any], style: str = "primary", **kw: Any
) -> ttk.Button:
    """A themed button; `style` is a bootstyle such as "primary" or "danger-outline"."""
    widget: ttk.Button = ttkbootstrap.Button(
        parent, text=text, command=command, bootstyle=style, **kw
    )
    return widget


def toggle(
    parent: tk.Misc, text: str, variable: tk.Variable, command: Callable[[], Any]
) -> ttk.Checkbutton:
    """A switch-like check button."""
    widget: ttk.Checkbutton = ttkbootstrap.Checkbutton(
        parent, text=text, variable=variable, command=command, bootstyle="round-toggle"
    )
    return widget


def radio(
    parent: tk.Misc, text: str, value: str, variable: tk.Variable, command: Callable[[], Any]
) -> ttk.Radiobutton:
    """A radio button drawn in the accent colour when chosen."""
    widget: ttk.Radiobutton = ttkbootstrap.Radiobutton(
        parent, text=text, value=value, variable=variable, command=command, bootstyle="primary"
    )
    return widget


def restyle(widget: tk.Misc, style: str) -> None:
    """Draw `widget` with the images of the theme now in use: ttkbootstrap makes a
    style's images for the theme in use when a widget asks for them, and a widget made
    under another theme keeps the old ones (a light radio button in the dark theme
    looks inverted)."""
    widget.configure(bootstyle=style)  # type: ignore[call-arg]


def scrollbar(parent: tk.Misc, command: Callable[..., Any]) -> ttk.Scrollbar:
    """A slim rounded vertical scroll bar."""
    widget: ttk.Scrollbar = ttkbootstrap.Scrollbar(
        parent, orient="vertical", command=command, bootstyle="round"
    )
    return widget


def window(title: str, minsize: tuple[int, int]) -> Any:
    """The application's root window (a Tk with a `style` attribute)."""
    root = ttkbootstrap.Window(title=title, minsize=minsize)
    # ttkbootstrap gives buttons Enter but takes Space away from them; Space is how a
    # keyboard presses the focused button everywhere else.
    root.bind_class("TButton", "<Key-space>", "ttk::button::activate %W")
    return root


def toplevel(title: str) -> tk.Toplevel:
    top: tk.Toplevel = ttkbootstrap.Toplevel(title=title)
    return top
