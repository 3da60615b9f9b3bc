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


def scrollbar(parent: tk.Misc, command: Callable[..., Any]) -> ttk.Scrollbar:
    """A slim rounded vertical scroll bar."""
    widget: ttk.Scrollbar = ttkbootstrap.Scrollbar(
        parent, orient="vertical", command=command, bootstyle="round"
    )
    return widget


def window(title: str, minsize: tuple[int, int]) -> Any:
    """The application's root window (a Tk with a `style` attribute)."""
    return ttkbootstrap.Window(title=title, minsize=minsize)


def toplevel(title: str) -> tk.Toplevel:
    top: tk.Toplevel = ttkbootstrap.Toplevel(title=title)
    return top
