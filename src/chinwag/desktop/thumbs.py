"""Thumbnails in the timeline: a Tk image per attached picture, of the size the
Attachment gives, drawn blank at once (so rows never jump) and filled in when the
thumbnail's bytes arrive (decoded with Pillow: Tk reads no WebP)."""

from __future__ import annotations

import base64
import io
import logging
import tkinter as tk
from collections.abc import Callable

from PIL import Image

from chinwag.protocol.types import Attachment

log = logging.getLogger("chinwag.desktop")

#: The box a thumbnail is drawn in, in pixels.
BOX = (320, 240)

Fetch = Callable[[str, Callable[[bytes | None], None]], None]


def display_size(att: Attachment, box: tuple[int, int] = BOX) -> tuple[int, int]:
    """The size an image is drawn at in the timeline: its own, shrunk to fit `box`."""
    width, height = att.width or box[0], att.height or box[1]
    scale = min(1.0, box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def decode(data: bytes, size: tuple[int, int]) -> bytes:
    """Image bytes (any type Pillow reads) as a PNG of exactly `size`, for Tk."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", size)
        out = img.convert("RGBA").resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    out.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


class Thumbs:
    """The thumbnails of one timeline, by file id. `fetch(thumb_id, done)` downloads
    a thumbnail and calls `done(bytes or None)` on the Tk thread."""

    def __init__(self, master: tk.Misc) -> None:
        self.master = master
        self.fetch: Fetch | None = None
        self.photos: dict[str, tk.PhotoImage] = {}
        #: File ids whose thumbnail has been drawn.
        self.loaded: set[str] = set()
        self.background = "#dddddd"

    def photo(self, att: Attachment) -> tk.PhotoImage:
        photo = self.photos.get(att.id)
        if photo is not None:
            return photo
        width, height = display_size(att)
        photo = tk.PhotoImage(master=self.master, width=width, height=height)
        photo.put(self.background, to=(0, 0, width, height))
        self.photos[att.id] = photo
        thumb = att.thumbnail
        if thumb and self.fetch is not None:
            self.fetch(thumb, lambda data: self._fill(att.id, data, (width, height)))
        return photo

    def place(self, text: tk.Text, attachments: dict[str, Attachment]) -> None:
        """Put each image's thumbnail where its slot character (rows.THUMB_SLOT, tagged
        `thumbslot` and `file:ID`) was inserted in `text`."""
        ranges = text.tag_ranges("thumbslot")
        for start in reversed(ranges[::2]):
            tags = [tag for tag in text.tag_names(start) if tag != "thumbslot"]
            ids = [tag[5:] for tag in tags if tag.startswith("file:")]
            att = attachments.get(ids[0]) if ids else None
            text.delete(start, f"{start} + 1c")
            if att is None:
                continue
            text.image_create(start, image=self.photo(att), padx=0, pady=2)
            for tag in tags:
                text.tag_add(tag, start)

    def _fill(self, file_id: str, data: bytes | None, size: tuple[int, int]) -> None:
        photo = self.photos.get(file_id)
        if photo is None or data is None:
            return
        try:
            png = decode(data, size)
        except Exception as exc:  # a thumbnail that does not decode stays blank
            log.info("thumbnail %s: %s", file_id, exc)
            return
        photo.configure(data=base64.b64encode(png).decode("ascii"), format="png")
        self.loaded.add(file_id)
