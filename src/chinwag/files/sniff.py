"""What a file is, from its first bytes (never from its name), and how to serve it."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

#: Images served inline: nothing that can hold script (no SVG, HTML or XML).
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
#: Bytes `sniff` reads.
HEAD = 512

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"fLaC", "audio/flac"),
    (4, b"ftyp", "video/mp4"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
)


def sniff(head: bytes) -> str:
    """The content type of a file that starts with `head`: a known signature; else
    `text/plain; charset=utf-8` for UTF-8 text without NULs (HTML, SVG and XML too: they
    are never served as themselves); else `application/octet-stream`."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    for offset, signature, kind in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return kind
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "text/plain; charset=utf-8"
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data":  # a character cut by the head's end
                return "text/plain; charset=utf-8"
    return "application/octet-stream"


#: Longest name kept, in characters.
MAX_NAME = 200
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_name(name: str) -> str:
    """The name a file is shown by: its last path part (never a path), without control
    or format characters, at most `MAX_NAME` characters; "file" if nothing is left."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROLS.sub("", name)
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cf", "Cs", "Co", "Cn"))
    name = name.strip().strip(".").strip()
    if len(name) > MAX_NAME:
        _, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 16 else ""
        name = name[: MAX_NAME - len(keep) - 1] + "." + keep if keep else name[:MAX_NAME]
    return name or "file"


def content_disposition(name: str, *, inline: bool) -> str:
    """`inline` or `attachment`, with the name as RFC 6266 says: `filename*` in UTF-8,
    percent-encoded, and a plain ASCII `filename` for old clients."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\%' else "_" for c in name
    )
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
