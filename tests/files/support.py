"""Files for the tests: images made with Pillow, and an HTTP client for /api/files."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import aiohttp
from PIL import Image

from tests.server.conftest import RunningServer


def png(width: int = 64, height: int = 48, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif(width: int = 600, height: int = 400) -> bytes:
    """A JPEG lying on its side (orientation 6: to be turned 90°) with a GPS position."""
    im = Image.new("RGB", (width, height), "blue")
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def upload(
    server: RunningServer,
    token: str | None,
    data: bytes,
    name: str = "file.bin",
    *,
    multipart: bool = True,
    expect: int | None = 201,
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http:
        if multipart:
            form = aiohttp.FormData()
            form.add_field(
                "file", io.BytesIO(data), filename=name, content_type="application/octet-stream"
            )
            reply = await http.post(server.http("/api/files"), data=form, headers=headers)
        else:
            url = server.http("/api/files")
            body = io.BytesIO(data)
            reply = await http.post(url, data=body, headers=headers, params={"name": name})
        async with reply:
            body = await reply.json()
            if expect is not None:
                assert reply.status == expect, body
            return reply.status, body


async def download(
    server: RunningServer, token: str | None, file_id: str, **headers: str
) -> tuple[int, bytes, Any]:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = server.http(f"/api/files/{file_id}")
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as reply:
        return reply.status, await reply.read(), reply.headers
