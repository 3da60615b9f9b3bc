"""Uploading and downloading files over HTTP, beside the WebSocket ("Files" in
docs/protocol.md).

    files = Files(client.url, client.token)
    att = await files.upload(path, progress=lambda sent, total: ...)
    await client.send(room, "", attachments=[att.id])
    data = await files.download(att.thumbnail)
    await files.close()

An upload streams the file in chunks (never read whole into memory) and sends its
`Content-Length`, so the server refuses a file over its limit at once. Cancelling the
task that awaits `upload` stops it (the server drops the partial file).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp
import msgspec

from chinwag.client.address import WS_PATH
from chinwag.client.errors import ClientError
from chinwag.protocol.types import Attachment

CHUNK = 64 * 1024
Progress = Callable[[int, int], None]


class FileError(ClientError):
    """The server refused a file request: `status`, its `code` and `message`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Limits(msgspec.Struct, kw_only=True):
    max_upload: int
    upload_quota: int
    max_attachments: int
    files_origin: str | None = None


def http_base(ws_url: str) -> str:
    """The HTTP root of the server whose WebSocket is at `ws_url`: `ws://h:p/ws` ->
    `http://h:p`, `wss://h/chat/ws` -> `https://h/chat`."""
    parts = urlsplit(ws_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    path = parts.path
    if path.endswith(WS_PATH):
        path = path[: -len(WS_PATH)]
    return urlunsplit((scheme, parts.netloc, path.rstrip("/"), "", ""))


class Files:
    """The file endpoints of one server, for the holder of `token`."""

    def __init__(self, ws_url: str, token: str | None, *, timeout: float = 300.0) -> None:
        self.base = http_base(ws_url)
        self.token = token
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._limits: Limits | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_read=self.timeout)
            )
        return self._session

    def _auth(self) -> dict[str, str]:
        if not self.token:
            raise ClientError("log in before using files")
        return {"Authorization": f"Bearer {self.token}"}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def limits(self, *, fresh: bool = False) -> Limits:
        if self._limits is None or fresh:
            async with self._http().get(self.base + "/api/files/limits") as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise _error(resp.status, body)
            self._limits = msgspec.json.decode(body, type=Limits)
        return self._limits

    async def upload(
        self,
        source: Path | str | bytes,
        name: str | None = None,
        *,
        progress: Progress | None = None,
    ) -> Attachment:
        """Upload a file (a path, or bytes with a `name`); returns its Attachment.
        `progress(sent, total)` is called as the bytes go out."""
        if isinstance(source, bytes):
            total = len(source)
            name = name or "file"
            chunks = _bytes_chunks(source, progress)
        else:
            path = Path(source)
            total = (await asyncio.to_thread(path.stat)).st_size
            name = name or path.name
            chunks = _file_chunks(path, total, progress)
        limits = await self.limits()
        if total > limits.max_upload:
            await chunks.aclose()
            raise FileError(
                413, "too_large", f"a file may have at most {size_text(limits.max_upload)}"
            )
        headers = {
            **self._auth(),
            "Content-Type": "application/octet-stream",
            "Content-Length": str(total),
        }
        url = f"{self.base}/api/files?name={quote(name, safe='')}"
        try:
            async with self._http().post(url, data=chunks, headers=headers) as resp:
                body = await resp.read()
                if resp.status != 201:
                    raise _error(resp.status, body)
        except aiohttp.ClientError as exc:
            raise FileError(0, "connection_lost", f"the upload failed: {exc}") from exc
        return msgspec.json.decode(body, type=Attachment)

    async def download(self, file_id: str, *, progress: Progress | None = None) -> bytes:
        """A file's bytes (or a thumbnail's or preview's: their ids are file ids)."""
        limits = await self.limits()
        base = limits.files_origin.rstrip("/") if limits.files_origin else self.base
        url = f"{base}/api/files/{quote(file_id, safe='')}"
        async with self._http().get(url, headers=self._auth()) as resp:
            if resp.status != 200:
                raise _error(resp.status, await resp.read())
            total = resp.content_length or 0
            parts: list[bytes] = []
            got = 0
            async for chunk in resp.content.iter_chunked(CHUNK):
                parts.append(chunk)
                got += len(chunk)
                if progress is not None:
                    progress(got, total)
        return b"".join(parts)

    async def save(self, file_id: str, target: Path, *, progress: Progress | None = None) -> None:
        """Download a file into `target`, chunk by chunk (a partial file is removed)."""
        limits = await self.limits()
        base = limits.files_origin.rstrip("/") if limits.files_origin else self.base
        url = f"{base}/api/files/{quote(file_id, safe='')}"
        try:
            async with self._http().get(url, headers=self._auth()) as resp:
                if resp.status != 200:
                    raise _error(resp.status, await resp.read())
                total, got = resp.content_length or 0, 0
                out = await asyncio.to_thread(target.open, "wb")
                try:
                    async for chunk in resp.content.iter_chunked(CHUNK):
                        await asyncio.to_thread(out.write, chunk)
                        got += len(chunk)
                        if progress is not None:
                            progress(got, total)
                finally:
                    out.close()
        except BaseException:
            await asyncio.to_thread(target.unlink, missing_ok=True)
            raise


async def _file_chunks(
    path: Path, total: int, progress: Progress | None
) -> AsyncGenerator[bytes, None]:
    sent = 0
    f = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(f.read, CHUNK):
            yield chunk
            sent += len(chunk)
            if progress is not None:
                progress(sent, total)
    finally:
        f.close()


async def _bytes_chunks(data: bytes, progress: Progress | None) -> AsyncGenerator[bytes, None]:
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        yield chunk
        if progress is not None:
            progress(start + len(chunk), len(data))


class _ErrorBody(msgspec.Struct):
    code: str = "error"
    message: str = ""


def _error(status: int, body: bytes) -> FileError:
    try:
        err = msgspec.json.decode(body, type=_ErrorBody)
    except msgspec.DecodeError:
        err = _ErrorBody("error", f"the server answered {status}")
    return FileError(status, err.code, err.message or f"the server answered {status}")


def size_text(n: int) -> str:
    """A byte count for people: "912 bytes", "48 KB", "3.4 MB"."""
    if n < 1000:
        return f"{n} bytes" if n != 1 else "1 byte"
    for unit, scale in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if n < scale * 1000 or unit == "GB":
            value = n / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{n} bytes"  # pragma: no cover
