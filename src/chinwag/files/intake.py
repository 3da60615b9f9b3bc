"""Taking an upload in: streamed to a temporary file while hashed, within a size limit;
then sniffed, thumbnailed if an image, recorded, and put in the file store.

Nothing holds a whole upload in memory: chunks go to disk as they come, and the limit is
checked at every chunk, so an upload over it stops there.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from chinwag.core.validation import random_token
from chinwag.files import images
from chinwag.files.sniff import HEAD, sniff
from chinwag.files.storage import FileStore
from chinwag.store.uploads import PREVIEW, THUMBNAIL, Blob, FileRecord, Uploads

log = logging.getLogger(__name__)

#: Length of a file id (a-z and 2-7: 100 bits).
ID_LENGTH = 20


def blob_key(sha256: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256}"


def thumb_key(sha256: str, size: int) -> str:
    return f"thumbs/{sha256[:2]}/{sha256}-{size}.webp"


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256}"


def keys_of(blob: Blob) -> list[str]:
    """Every key a blob may have in the file store."""
    sizes = (THUMBNAIL, PREVIEW) if blob.preview else (THUMBNAIL,)
    thumbs = [thumb_key(blob.sha256, s) for s in sizes] if blob.width is not None else []
    return [blob_key(blob.sha256), *thumbs, original_key(blob.sha256)]


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a file may have at most {limit} bytes")
        self.limit = limit


@dataclass
class Received:
    """An upload on disk, in its own temporary directory."""

    workdir: Path
    path: Path
    size: int
    sha256: str
    head: bytes


@dataclass
class Prepared:
    blob: Blob
    #: key -> file to put there, if the blob is new.
    objects: dict[str, Path]


class Intake:
    def __init__(
        self,
        uploads: Uploads,
        files: FileStore,
        tmp: Path,
        *,
        workers: int = 2,
        limits: images.Limits | None = None,
        keep_originals: bool = False,
    ) -> None:
        self.uploads = uploads
        self.files = files
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.limits = limits or images.Limits()
        self.keep_originals = keep_originals
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chinwag-images")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def receive(self, chunks: AsyncIterator[bytes], limit: int) -> Received:
        """Write the chunks to a new temporary file while hashing them; `TooLarge` as
        soon as they pass `limit` bytes (the partial file is removed)."""
        workdir = Path(tempfile.mkdtemp(prefix="upload-", dir=self.tmp))
        path = workdir / "upload"
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with path.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(limit)
                    digest.update(chunk)
                    if len(head) < HEAD:
                        head += chunk[: HEAD - len(head)]
                    out.write(chunk)  # into the page cache: no wait worth a thread hop
        except BaseException:
            discard(workdir)
            raise
        return Received(workdir, path, size, digest.hexdigest(), head)

    async def prepare(self, received: Received) -> Prepared:
        """Sniff the upload and, for an image, check it and make its thumbnails (in the
        worker pool); the blob as it will be served and the objects to store."""
        kind = sniff(received.head)
        served = received.path
        objects: dict[str, Path] = {}
        width = height = None
        preview = False
        if kind.startswith("image/"):
            loop = asyncio.get_running_loop()
            try:
                picture = await loop.run_in_executor(
                    self._pool,
                    images.examine,
                    received.path,
                    received.workdir,
                    (THUMBNAIL, PREVIEW),
                    self.limits,
                )
            except images.NotAnImage as exc:
                log.info("upload %s is not served as an image: %s", received.sha256[:12], exc)
                kind = "application/octet-stream"
            else:
                kind, width, height = picture.content_type, picture.width, picture.height
                preview = PREVIEW in picture.thumbnails
                for size, thumb in picture.thumbnails.items():
                    objects[thumb_key(received.sha256, size)] = thumb
                if picture.cleaned is not None:
                    served = picture.cleaned
                    if self.keep_originals:
                        objects[original_key(received.sha256)] = received.path
        objects[blob_key(received.sha256)] = served
        stored = sum(p.stat().st_size for p in objects.values())
        blob = Blob(
            sha256=received.sha256,
            size=served.stat().st_size,
            content_type=kind,
            width=width,
            height=height,
            preview=preview,
            stored=stored,
        )
        return Prepared(blob, objects)

    async def commit(
        self,
        username: str,
        session: str | None,
        name: str,
        prepared: Prepared,
        *,
        daily_quota: int,
        cap: int,
        now: int,
    ) -> FileRecord:
        """Record the upload (quota and cap checked there) and, when its bytes are new
        to the server, put them in the file store."""
        record, new = await self.uploads.add_file(
            username,
            session,
            random_token(ID_LENGTH),
            name,
            prepared.blob,
            daily_quota=daily_quota,
            cap=cap,
            now=now,
        )
        if new:
            try:
                for key, path in prepared.objects.items():
                    await self.files.put(key, path)
            except BaseException:
                # Not stored: forget the upload, so that nobody is sent a file with no bytes.
                await self.uploads.delete_file(record.id, now=now)
                raise
        return record


def discard(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)


async def remove_blobs(files: FileStore, gone: list[Blob]) -> None:
    """Delete from the file store every object of blobs the database forgot."""
    for blob in gone:
        for key in keys_of(blob):
            await files.delete(key)
