"""The HTTP doors of files: `POST /api/files` (upload), `GET /api/files/{id}`
(download, with ranges and ETags) and `GET /api/files/limits`.

Both take `Authorization: Bearer TOKEN` (a session token, as `resume` does). A file is
read by its uploader and by the members of a room where a message carrying it was
posted; to anyone else it does not exist (404). Every file response says
`X-Content-Type-Options: nosniff` and `Content-Security-Policy: default-src 'none';
sandbox`; only PNG, JPEG, GIF and WebP are served inline.
"""

from __future__ import annotations

import collections
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import aiohttp
import msgspec
from aiohttp import BodyPartReader, web

from chinwag.config import ServerConfig
from chinwag.core.models import UserRecord
from chinwag.files.intake import Intake, TooLarge, blob_key, discard, thumb_key
from chinwag.files.sniff import INLINE, clean_name, content_disposition
from chinwag.files.storage import FileStore
from chinwag.server.auth import token_hash
from chinwag.server.context import Context, now_ms
from chinwag.store.records import Banned, CannotWrite, SessionEnded
from chinwag.store.uploads import PREVIEW, THUMBNAIL, QuotaExceeded, StorageFull, attachment

log = logging.getLogger(__name__)

#: Every file response: the browser never guesses a type, and a file opened as a page
#: runs nothing and reaches nothing.
FILE_CSP = "default-src 'none'; sandbox"
_ID = re.compile(rf"([a-z2-7]{{20}})(?:\.t({THUMBNAIL}|{PREVIEW}))?")
#: Read from the network at most this much at a time.
CHUNK = 256 * 1024


@dataclass
class Files:
    """The files part of a node: its file store, intake, and uploads in progress."""

    config: ServerConfig
    store: FileStore
    intake: Intake
    #: Uploads in progress per user (and on the node: their sum).
    busy: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def origin_host(self) -> str | None:
        return urlsplit(self.config.files_origin).netloc.lower() or None


FILES = web.AppKey("files", Files)


class Refused(Exception):
    """A request refused with a JSON error: {"code": ..., "message": ...}."""

    def __init__(self, status: int, code: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers

    def response(self) -> web.Response:
        body = {"code": self.code, "message": self.message}
        response = web.json_response(body, status=self.status)
        response.headers.update(self.headers)
        response.headers["Cache-Control"] = "no-store"
        return response


def _not_found() -> Refused:
    return Refused(404, "not_found", "no such file")


async def _user(request: web.Request, ctx: Context) -> tuple[UserRecord, str]:
    """The user whose session token the request carries, and the token's hash."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(
            401,
            "not_authenticated",
            "send Authorization: Bearer TOKEN (a session token)",
            **{"WWW-Authenticate": 'Bearer realm="chinwag"'},
        )
    digest = token_hash(token.strip())
    user = await ctx.store.session_user(
        digest, now=now_ms(), max_idle=ctx.config.session_days * 86_400_000, touch=False
    )
    if user is None:
        raise Refused(
            401,
            "invalid_token",
            "this session has ended: log in again",
            **{"WWW-Authenticate": 'Bearer realm="chinwag", error="invalid_token"'},
        )
    return user, digest


def _cors(response: web.StreamResponse) -> None:
    """Any page may use these doors with a token it holds (no cookie is ever read, so
    a page cannot act on anyone's behalf but its own user's)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = (
        "Content-Disposition, Content-Length, Content-Range, ETag, Retry-After"
    )


async def preflight(request: web.Request) -> web.Response:
    response = web.Response(status=204)
    _cors(response)
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST"
    response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Range"
    response.headers["Access-Control-Max-Age"] = "600"
    return response


async def limits(request: web.Request, ctx: Context) -> web.Response:
    config = ctx.config
    response = web.json_response(
        {
            "max_upload": config.max_upload,
            "upload_quota": config.upload_quota,
            "max_attachments": config.max_attachments,
            "files_origin": config.files_origin or None,
        }
    )
    _cors(response)
    return response


# -- upload ------------------------------------------------------------------------------
async def upload(request: web.Request, ctx: Context) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await _upload(request, ctx, request.app[FILES])
    except Refused as refused:
        response = refused.response()
        if not request.content.at_eof():
            # The rest of the body is not read: the connection cannot carry another request.
            response.force_close()
    _cors(response)
    return response


async def _upload(request: web.Request, ctx: Context, files: Files) -> web.Response:
    config = ctx.config
    if ctx.stopping:
        raise Refused(503, "unavailable", "the server is restarting", **{"Retry-After": "1"})
    user, digest = await _user(request, ctx)
    if user.banned:
        raise Refused(403, "banned", "your account is banned")
    key = user.username.lower()
    if files.busy[key] >= config.uploads_per_user:
        message = f"at most {config.uploads_per_user} uploads at a time"
        raise Refused(429, "rate_limited", message, **{"Retry-After": "1"})
    if sum(files.busy.values()) >= config.max_uploads:
        raise Refused(503, "unavailable", "the server is busy: try again", **{"Retry-After": "1"})
    declared = request.content_length
    limit = config.max_upload
    if declared is not None and declared > limit + FRAMING:
        raise _too_large(limit)
    if config.upload_quota:
        used = await ctx.store.upload_usage(user.username, since=now_ms() - 86_400_000)
        if used >= config.upload_quota or used + (declared or 0) > config.upload_quota + FRAMING:
            raise _over_quota(used, config.upload_quota, 3600.0)
    files.busy[key] += 1
    try:
        name, chunks = await _body(request)
        try:
            received = await files.intake.receive(chunks, limit)
        except TooLarge:
            raise _too_large(limit) from None
        except (aiohttp.ClientPayloadError, ConnectionError):
            raise Refused(400, "bad_request", "the upload was cut off") from None
        try:
            if received.size == 0:
                raise Refused(400, "invalid", "the file is empty")
            prepared = await files.intake.prepare(received)
            record = await files.intake.commit(
                user.username,
                digest,
                name,
                prepared,
                daily_quota=config.upload_quota,
                cap=config.files_cap,
                now=now_ms(),
            )
        finally:
            discard(received.workdir)
    except QuotaExceeded as exc:
        raise _over_quota(exc.used, exc.quota, exc.retry_after) from None
    except StorageFull:
        raise Refused(507, "storage_full", "the server has no room for more files") from None
    except (SessionEnded, Banned):
        raise Refused(401, "invalid_token", "this session has ended: log in again") from None
    except CannotWrite as exc:
        message = f"the server cannot store files now ({exc.reason})"
        raise Refused(503, "unavailable", message) from None
    finally:
        files.busy[key] -= 1
        if not files.busy[key]:
            del files.busy[key]
    return web.json_response(msgspec.to_builtins(attachment(record)), status=201)


#: Parts of a multipart body looked through for the file.
MAX_PARTS = 8
#: Bytes a multipart body may hold beyond its file (boundaries, part headers).
FRAMING = 64 * 1024


def _too_large(limit: int) -> Refused:
    return Refused(413, "too_large", f"a file may have at most {limit} bytes ({_mb(limit)})")


def _over_quota(used: int, quota: int, retry_after: float) -> Refused:
    return Refused(
        429,
        "quota_exceeded",
        f"you have uploaded {_mb(used)} of your {_mb(quota)} a day: try again later",
        **{"Retry-After": str(max(1, round(retry_after)))},
    )


def _mb(n: int) -> str:
    """A size as people read it: "812 bytes", "4.0 kB", "25.0 MB", "1.5 GB"."""
    if n < 1000:
        return f"{n} bytes"
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


async def _body(request: web.Request) -> tuple[str, AsyncIterator[bytes]]:
    """The file's name and its bytes: the first part of a multipart/form-data body that
    has a filename, or the whole body (named by `?name=`)."""
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        for _ in range(MAX_PARTS):
            part = await reader.next()
            if part is None:
                break
            if isinstance(part, BodyPartReader) and part.filename is not None:
                # (Some clients percent-encode the name; browsers send it as it is.)
                return clean_name(unquote(part.filename)), _part_chunks(part)
            if isinstance(part, BodyPartReader):
                await part.release()
        raise Refused(400, "bad_request", f"no file in the first {MAX_PARTS} parts of this body")
    return clean_name(request.query.get("name", "")), request.content.iter_chunked(CHUNK)


async def _part_chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK):
        yield chunk


# -- download ----------------------------------------------------------------------------
async def download(request: web.Request, ctx: Context) -> web.StreamResponse:
    try:
        response = await _download(request, ctx, request.app[FILES])
    except Refused as refused:
        response = refused.response()
    _cors(response)
    return response


async def _download(request: web.Request, ctx: Context, files: Files) -> web.StreamResponse:
    origin = files.origin_host
    if origin is not None and request.host.lower() != origin:
        message = f"files are served from {ctx.config.files_origin}"
        raise Refused(421, "wrong_origin", message)
    match = _ID.fullmatch(request.match_info["id"])
    if match is None:
        raise _not_found()
    user, _ = await _user(request, ctx)
    record = await ctx.store.readable_file(match[1], user.username)
    if record is None:
        raise _not_found()
    blob = record.blob
    if match[2] is None:
        key, kind, etag = blob_key(blob.sha256), blob.content_type, blob.sha256
        inline = kind in INLINE
        name = record.name
    else:
        size = int(match[2])
        if blob.width is None or (size == PREVIEW and not blob.preview):
            raise _not_found()
        key, kind, etag = thumb_key(blob.sha256, size), "image/webp", f"{blob.sha256}-{size}"
        inline = True
        name = f"{record.name.rsplit('.', 1)[0]}-{size}.webp"
    headers = {
        "Content-Type": kind,
        "Content-Disposition": content_disposition(name, inline=inline),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": FILE_CSP,
        "Cache-Control": "private, max-age=31536000, immutable",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    local = files.store.local_path(key)
    if local is not None:
        if not local.is_file():
            log.warning("file %s: %s is missing from the file store", record.id, key)
            raise _not_found()
        return web.FileResponse(local, headers=headers)
    return await _stream(request, files.store, key, f'"{etag}"', headers)


async def _stream(
    request: web.Request, store: FileStore, key: str, etag: str, headers: dict[str, str]
) -> web.StreamResponse:
    """Serve `key` from a remote file store: ETag and If-None-Match, and one byte range
    passed through to the store (`Range: bytes=a-b`, `a-`, `-n`)."""
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        kept = {k: v for k, v in headers.items() if k != "Content-Disposition"}
        kept.pop("Content-Type")
        return web.Response(status=304, headers={"ETag": etag, **kept})
    total = await store.size(key)
    if total is None:
        log.warning("%s is missing from the file store", key)
        raise _not_found()
    status, start, end = 200, 0, total
    try:
        wanted = request.http_range
    except ValueError:
        wanted = slice(None)
    if wanted.start is not None or wanted.stop is not None:
        start, end = _bounds(wanted, total)
        if start >= end:
            return web.Response(status=416, headers={"Content-Range": f"bytes */{total}"})
        status = 206
    response = web.StreamResponse(status=status, headers=headers)
    response.headers["ETag"] = etag
    response.headers["Accept-Ranges"] = "bytes"
    response.content_length = end - start
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{total}"
    await response.prepare(request)
    if request.method != "HEAD":
        async for chunk in store.read(key, start, end):
            await response.write(chunk)
    await response.write_eof()
    return response


def _bounds(wanted: slice, total: int) -> tuple[int, int]:
    """[start, end) of a parsed Range header within `total` bytes."""
    if wanted.start is None:  # the last n bytes
        return max(0, total + wanted.stop), total
    if wanted.start < 0:
        return max(0, total + wanted.start), total
    end = total if wanted.stop is None else min(wanted.stop, total)
    return wanted.start, end


@web.middleware
async def origin_guard(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """With `files_origin`, that host serves files and nothing else (no page of ours
    runs next to what users uploaded)."""
    files = request.app.get(FILES)
    origin = files.origin_host if files is not None else None
    files_host = origin is not None and request.host.lower() == origin
    if files_host and not request.path.startswith("/api/files/"):
        return Refused(404, "not_found", "this host serves files only").response()
    return await handler(request)
