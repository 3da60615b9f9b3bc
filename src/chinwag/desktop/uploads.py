"""Files in the desktop app: attaching (the Attach button, a pasted image, files dropped
on the window), each upload's progress bar with Cancel, then a message carrying the
file; and opening or saving a file of the timeline.

Every upload is sent as a message of its own once the server has it, with an empty body
(the text in the box stays there, unsent). An upload the server refuses stays in the
bar, in red, with the server's words, until dismissed.
"""

from __future__ import annotations

import concurrent.futures
import io
import logging
import time
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import filedialog, ttk
from typing import TYPE_CHECKING, Any

from chinwag.client import Client
from chinwag.client.files import FileError, Files, size_text
from chinwag.desktop import boot
from chinwag.protocol.types import Attachment

if TYPE_CHECKING:
    from chinwag.client.state import ChatState
    from chinwag.desktop.main_window import MainWindow
    from chinwag.desktop.network import Network
    from chinwag.desktop.theme import Palette

log = logging.getLogger("chinwag.desktop")

#: How often a progress bar is redrawn at most (seconds): a fast upload reports
#: every 64 KB, far more often than anyone can see.
PROGRESS_EVERY = 0.05


class Upload:
    """One file going up: its row in the bar above the message box."""

    def __init__(self, parent: tk.Misc, name: str, total: int, on_cancel: Callable[[], None]):
        self.name = name
        self.total = total
        self.future: concurrent.futures.Future[None] | None = None
        self.done = False
        self.error: str | None = None
        self.frame = ttk.Frame(parent, padding=(0, 2))
        self.frame.columnconfigure(1, weight=1)
        self.label = ttk.Label(self.frame, text=name, width=28)
        self.bar = ttk.Progressbar(self.frame, maximum=max(1, total), mode="determinate")
        self.status = ttk.Label(self.frame, text=self._amount(0), style="Muted.TLabel")
        self.cancel = boot.button(self.frame, "Cancel", on_cancel, "secondary-link")
        self.label.grid(row=0, column=0, sticky="w")
        self.bar.grid(row=0, column=1, sticky="ew", padx=8)
        self.status.grid(row=0, column=2, sticky="e")
        self.cancel.grid(row=0, column=3, sticky="e", padx=(8, 0))
        self.frame.pack(fill="x")
        self._drawn = 0.0

    def _amount(self, sent: int) -> str:
        return f"{size_text(sent)} of {size_text(self.total)}"

    def progress(self, sent: int) -> None:
        now = time.monotonic()
        if now - self._drawn < PROGRESS_EVERY and sent < self.total:
            return
        self._drawn = now
        self.bar.configure(value=sent)
        self.status.configure(text=self._amount(sent))

    def failed(self, message: str, palette: Palette | None) -> None:
        self.error = message
        self.bar.grid_remove()
        self.status.configure(text=message, style="TLabel")
        if palette is not None:
            self.status.configure(foreground=palette.danger)
        self.cancel.configure(text="Dismiss")
        self.status.grid(row=0, column=1, columnspan=2, sticky="w", padx=8)


class FileActions:
    """The app's file actions (a part of `DesktopApp`)."""

    root: Any
    state: ChatState
    network: Network
    main: MainWindow | None
    palette: Palette
    uploads: list[Upload]
    dialogs: list[Any]

    if TYPE_CHECKING:

        def _render(self, update: Any) -> None: ...

    # -- attaching -------------------------------------------------------------------------
    def attach_files(self) -> None:
        """The Attach button: choose files; each is uploaded and sent."""
        paths = filedialog.askopenfilenames(parent=self.root, title="Attach files")
        for path in self.root.tk.splitlist(paths) if paths else ():
            self.upload(Path(path))

    def paste_image(self) -> bool:
        """An image (or files) on the clipboard: uploaded, and True. Pillow reads the
        clipboard on Windows and macOS, and on Linux through wl-paste or xclip."""
        if not self._may_hold_image():
            return False
        try:
            from PIL import ImageGrab

            grabbed = ImageGrab.grabclipboard()
        except Exception as exc:  # no clipboard tool, or nothing Pillow can read
            log.debug("clipboard: %s", exc)
            return False
        if isinstance(grabbed, list):
            files = [Path(p) for p in grabbed if Path(p).is_file()]
            for path in files:
                self.upload(path)
            return bool(files)
        if grabbed is None:
            return False
        out = io.BytesIO()
        grabbed.save(out, "PNG")
        self.upload(out.getvalue(), name=time.strftime("pasted %Y-%m-%d %H.%M.%S.png"))
        return True

    def _may_hold_image(self) -> bool:
        """On X11, whether the clipboard offers an image, asked through Tk: Pillow runs
        xclip, which would wait forever on this very thread when the clipboard holds
        text copied in this app (and need not run at all for text)."""
        if self.root.tk.call("tk", "windowingsystem") != "x11":
            return True
        try:
            targets = self.root.tk.splitlist(self.root.clipboard_get(type="TARGETS"))
        except tk.TclError:
            return False  # the clipboard is empty
        return any(str(t).startswith("image/") or str(t) == "text/uri-list" for t in targets)

    def dropped(self, data: str) -> None:
        """Files dropped on the window (`data`: a Tcl list of paths)."""
        for path in self.root.tk.splitlist(data):
            if Path(path).is_file():
                self.upload(Path(path))

    def upload(self, source: Path | bytes, name: str | None = None) -> Upload | None:
        room = self.state.current
        if self.main is None or room is None:
            return None
        try:
            total = len(source) if isinstance(source, bytes) else source.stat().st_size
        except OSError as exc:
            shown = name or getattr(source, "name", "the file")
            self.main.show_notice(f"Could not attach {shown}: {exc.strerror or exc}.")
            return None
        composer = self.main.composer
        item = Upload(
            composer.uploads,
            name or (source.name if isinstance(source, Path) else "file"),
            total,
            lambda: self._cancel_upload(item),
        )
        self.uploads.append(item)
        composer.show_uploads(True)

        def progress(sent: int, _total: int) -> None:
            self.network.report(lambda value, _e: item.progress(value), sent)

        async def go(files: Files) -> Attachment:
            return await files.upload(source, name, progress=progress)

        def done(att: Attachment | None, error: BaseException | None) -> None:
            if item.done:
                return  # cancelled meanwhile
            if error is not None or att is None:
                item.failed(_words(error), self.palette)
                return
            self._finish(item)
            self._send_file(room, att)

        item.future = self.network.files_call(go, done)
        return item

    def _send_file(self, room: str, att: Attachment) -> None:
        cmid = Client.new_client_msg_id()

        async def send(client: Client) -> str:
            return client.queue_send(room, "", cmid, attachments=[att.id])

        def sent(_result: Any, error: BaseException | None) -> None:
            if error is not None and self.main is not None:
                self.main.show_notice(f"{att.name} was uploaded but not sent: {_words(error)}")

        self.network.call(send, sent)

    def _cancel_upload(self, item: Upload) -> None:
        if item.future is not None and not item.done and item.error is None:
            item.future.cancel()
        self._finish(item)

    def _finish(self, item: Upload) -> None:
        item.done = True
        item.frame.destroy()
        if item in self.uploads:
            self.uploads.remove(item)
        if not self.uploads and self.main is not None:
            self.main.composer.show_uploads(False)

    # -- files in the timeline -------------------------------------------------------------
    def fetch_thumb(self, thumb_id: str, done: Callable[[bytes | None], None]) -> None:
        async def get(files: Files) -> bytes:
            return await files.download(thumb_id)

        self.network.files_call(get, lambda data, error: done(None if error else data))

    def file_action(self, kind: str, att: Attachment) -> None:
        if kind == "save":
            self.save_file(att)
        else:
            from chinwag.desktop.viewer import ImageViewer

            self.dialogs.append(ImageViewer(self, att))

    def save_file(self, att: Attachment) -> None:
        target = filedialog.asksaveasfilename(
            parent=self.root, title="Save file", initialfile=att.name
        )
        if not target:
            return

        async def save(files: Files) -> None:
            await files.save(att.id, Path(target))

        def saved(_result: Any, error: BaseException | None) -> None:
            if self.main is not None:
                said = f"Saved {att.name}." if error is None else f"Not saved: {_words(error)}"
                self.main.show_notice(said)

        self.network.files_call(save, saved)


def _words(error: BaseException | None) -> str:
    if isinstance(error, FileError):
        text = error.message or error.code
        return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    if error is None:
        return "Something went wrong."
    if isinstance(error, OSError):
        return f"Could not read the file: {error.strerror or error}."
    return str(error) or type(error).__name__
