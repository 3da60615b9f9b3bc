"""Types from bytes, names that are never paths, and RFC 6266 headers."""

from __future__ import annotations

import pytest

from chinwag.files.sniff import INLINE, clean_name, content_disposition, sniff
from tests.files.support import jpeg_with_exif, png


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (png(), "image/png"),
        (jpeg_with_exif(8, 8), "image/jpeg"),
        (b"GIF89a....", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "text/plain; charset=utf-8"),
        (b"<!doctype html><script>x</script>", "text/plain; charset=utf-8"),
        ("caf\u00e9".encode()[:4], "text/plain; charset=utf-8"),  # a character cut short
        (b"\x00\x01\x02binary", "application/octet-stream"),
        (b"\xff\xfe\xfd", "application/octet-stream"),
    ],
)
def test_sniff(head: bytes, kind: str) -> None:
    assert sniff(head[:512]) == kind


def test_only_raster_images_are_inline() -> None:
    assert {"image/png", "image/jpeg", "image/gif", "image/webp"} == INLINE


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\system32\\cmd.exe", "cmd.exe"),
        ("..", "file"),
        ("", "file"),
        ("a\x00b\u202ec.txt", "abc.txt"),  # NUL and a bidi override
        ("x" * 300 + ".jpeg", "x" * 195 + ".jpeg"),
    ],
)
def test_clean_name(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_content_disposition() -> None:
    assert content_disposition("a b.png", inline=True) == (
        "inline; filename=\"a b.png\"; filename*=UTF-8''a%20b.png"
    )
    assert content_disposition('\u65e5\u672c"\\.txt', inline=False) == (
        "attachment; filename=\"____.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%22%5C.txt"
    )
