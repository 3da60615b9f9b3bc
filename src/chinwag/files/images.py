"""Images: checked within a pixel cap, thumbnailed, and cleaned of EXIF location.

Everything here is synchronous Pillow work for a worker thread (`chinwag.files.intake`
runs it in a small pool). An image's size is read from its header and checked against
the caps before any pixel is decoded, so a decompression bomb costs a header read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

#: Pillow's own bomb check stays on (it raises beyond twice this); ours is lower.
Image.MAX_IMAGE_PIXELS = 100_000_000

#: EXIF tags: where the picture was taken, and which way up it is.
GPS_INFO = 0x8825
ORIENTATION = 0x0112
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


@dataclass(frozen=True)
class Limits:
    max_pixels: int = 40_000_000
    max_side: int = 10_000


@dataclass
class Picture:
    """An image as served: its type, displayed size, the cleaned copy to serve instead
    of the upload (EXIF location removed, orientation applied) if one was needed, and
    thumbnails by size."""

    content_type: str
    width: int
    height: int
    cleaned: Path | None = None
    thumbnails: dict[int, Path] = field(default_factory=dict)


class NotAnImage(Exception):
    """Not an image we serve as one: an unknown format, corrupt, or over the caps."""


def examine(source: Path, workdir: Path, sizes: tuple[int, ...], limits: Limits) -> Picture:
    """Check the image at `source`, and write its thumbnails (WebP, at most each of
    `sizes` a side; a size larger than the image only for the smallest) and, if needed,
    a cleaned copy into `workdir`. Raises `NotAnImage`."""
    try:
        with Image.open(source) as im:
            kind = FORMATS.get(im.format or "")
            if kind is None:
                raise NotAnImage(f"not an image format we show: {im.format}")
            width, height = im.size
            if max(width, height) > limits.max_side or width * height > limits.max_pixels:
                raise NotAnImage(f"{width}x{height} is over the limits")
            exif = im.getexif()
            turned = exif.get(ORIENTATION, 1) not in (0, 1)
            located = GPS_INFO in exif
            im.load()  # decodes every pixel: a corrupt image fails here
            upright = ImageOps.exif_transpose(im)
            width, height = upright.size
            picture = Picture(kind, width, height)
            if turned or located:
                picture.cleaned = _clean(upright, exif, im.format or "", workdir)
            frame = upright if upright.mode in ("RGB", "RGBA") else upright.convert("RGBA")
            for size in sorted(sizes):
                if size != min(sizes) and max(width, height) <= min(sizes):
                    continue
                thumb = frame.copy()
                thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
                path = workdir / f"thumb-{size}.webp"
                thumb.save(path, "WEBP", quality=80, method=4)
                picture.thumbnails[size] = path
            return picture
    except NotAnImage:
        raise
    except Exception as exc:  # Pillow raises many kinds: all mean "not an image"
        raise NotAnImage(f"cannot decode: {exc}") from exc


def _clean(upright: Image.Image, exif: Image.Exif, fmt: str, workdir: Path) -> Path:
    """The image upright, with its EXIF minus location and orientation."""
    kept = Image.Exif()
    for tag, value in exif.items():
        if tag not in (GPS_INFO, ORIENTATION):
            kept[tag] = value
    path = workdir / "cleaned"
    options: dict[str, object] = {"exif": kept.tobytes()}
    if fmt == "JPEG":
        options["quality"] = 95
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
    if "icc_profile" in upright.info:
        options["icc_profile"] = upright.info["icc_profile"]
    upright.save(path, fmt, **options)
    return path
