"""An image of the timeline at full size, in a window of its own, with Save."""

from __future__ import annotations

import base64
import tkinter as tk
from tkinter import ttk
from typing import TYPE_CHECKING, Any

from chinwag.client.files import Files, size_text
from chinwag.desktop import boot
from chinwag.desktop.thumbs import decode, display_size
from chinwag.protocol.types import Attachment

if TYPE_CHECKING:
    from chinwag.desktop.uploads import FileActions


class ImageViewer:
    """Shows the image's preview (at most 1280 pixels a side; the file itself when it is
    no larger than the thumbnail), fitted to the screen."""

    def __init__(self, app: FileActions, att: Attachment) -> None:
        self.app = app
        self.att = att
        self.top = boot.toplevel(att.name)
        self.top.transient(app.root)
        screen = (app.root.winfo_screenwidth() - 80, app.root.winfo_screenheight() - 160)
        self.size = display_size(att, (min(1280, screen[0]), min(1280, screen[1])))
        self.photo = tk.PhotoImage(master=self.top, width=self.size[0], height=self.size[1])
        self.image = ttk.Label(self.top, image=self.photo, text="Loading…", compound="center")
        self.image.pack(padx=8, pady=8)
        bar = ttk.Frame(self.top, padding=(8, 0, 8, 8))
        bar.pack(fill="x")
        shown = f"{att.name} · {att.width} x {att.height} · {size_text(att.size)}"
        ttk.Label(bar, text=shown, style="Muted.TLabel").pack(side="left")
        boot.button(bar, "Close", self.close, "secondary-outline").pack(side="right")
        boot.button(bar, "Save…", lambda: app.save_file(att)).pack(side="right", padx=8)
        self.top.bind("<Escape>", lambda _e: self.close())
        self.top.protocol("WM_DELETE_WINDOW", self.close)
        self.loaded = False
        wanted = att.preview or att.id

        async def get(files: Files) -> bytes:
            return await files.download(wanted)

        app.network.files_call(get, self._show)

    def _show(self, data: bytes | None, error: BaseException | None) -> None:
        if not self.top.winfo_exists():
            return
        if error is not None or data is None:
            self.image.configure(text=f"Could not load the image: {error}")
            return
        png = decode(data, self.size)
        self.photo.configure(data=base64.b64encode(png).decode("ascii"), format="png")
        self.image.configure(text="")
        self.loaded = True

    def close(self, *_: Any) -> None:
        if self in self.app.dialogs:
            self.app.dialogs.remove(self)
        self.top.destroy()
