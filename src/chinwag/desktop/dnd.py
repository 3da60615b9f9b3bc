"""Files dropped on the window, through tkdnd (the tkinterdnd2 package ships it for
Linux, Windows and macOS, for Tcl/Tk 8.6 and 9). Without it, or where it does not load
into this Tk, there is no drop target and the Attach button and paste remain."""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable

log = logging.getLogger("chinwag.desktop")

DND_FILES = "DND_Files"


def enable_drop(root: tk.Misc, widgets: list[tk.Misc], on_drop: Callable[[str], None]) -> bool:
    """Make `widgets` take files dropped on them: `on_drop(data)` gets the Tcl list of
    their paths. False when drag-and-drop is not available here."""
    try:
        from tkinterdnd2 import TkinterDnD  # type: ignore[import-untyped, unused-ignore]

        TkinterDnD._require(root)  # loads the tkdnd package into this interpreter
    except Exception as exc:  # not installed, or no build of tkdnd for this Tk
        log.info("drag and drop is not available: %s", exc)
        return False

    def dropped(data: str) -> str:
        try:
            on_drop(data)
        except Exception:
            log.exception("error handling a drop")
        return "copy"

    command = root.register(dropped)
    for widget in widgets:
        root.tk.call("tkdnd::drop_target", "register", widget, (DND_FILES,))
        root.tk.call("bind", widget, "<<Drop>>", f"{command} %D")
    return True
