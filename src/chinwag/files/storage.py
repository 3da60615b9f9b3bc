"""Where the bytes of files live: one small interface, two implementations.

`LocalFileStore` keeps them in a directory under the data dir (the default, nothing to
install); `chinwag.files.s3.S3FileStore` in an S3-compatible object store, which several
nodes share. Keys are paths of our own making (`blobs/ab/abcd...`), never a name a user
gave.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

CHUNK = 256 * 1024


class FileStore(Protocol):
    async def put(self, key: str, source: Path) -> None:
        """Store the file at `source` under `key` (replacing what was there)."""
        ...

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes of `key` from `start` up to `end` (exclusive; None: the end), in
        chunks. Raises `FileNotFoundError` if there is no such key."""
        ...

    async def size(self, key: str) -> int | None:
        """The size of `key`, or None if there is none."""
        ...

    def local_path(self, key: str) -> Path | None:
        """Where `key` is on this machine's disk, for a store that keeps files there (the
        server then sends it with sendfile, ranges and all); None otherwise."""
        ...

    async def delete(self, key: str) -> None:
        """Remove `key`; nothing if it is not there."""
        ...

    async def close(self) -> None: ...


class LocalFileStore:
    """Files in a directory: each key a file below `root`, written by an atomic rename."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"not a key: {key!r}")
        return path

    async def put(self, key: str, source: Path) -> None:
        target = self._path(key)

        def copy() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + f".{os.getpid()}.part")
            try:
                os.link(source, partial)  # the same disk: no copy at all
            except OSError:
                shutil.copyfile(source, partial)
            os.replace(partial, target)

        await asyncio.to_thread(copy)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(open, self._path(key), "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            left = None if end is None else end - start
            while left is None or left > 0:
                chunk = await asyncio.to_thread(
                    handle.read, CHUNK if left is None else min(CHUNK, left)
                )
                if not chunk:
                    break
                if left is not None:
                    left -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def size(self, key: str) -> int | None:
        try:
            return (await asyncio.to_thread(self._path(key).stat)).st_size
        except FileNotFoundError:
            return None

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def close(self) -> None:
        return None


def open_file_store(url: str, data_dir: Path, *, endpoint: str = "") -> FileStore:
    """The file store `url` names: empty for `files/` under the data dir, a directory
    path (or `file:///path`), or `s3://bucket/prefix` (with `endpoint`, else the usual
    AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION)."""
    if url.startswith("s3://"):
        from chinwag.files.s3 import S3FileStore

        return S3FileStore.from_url(url, endpoint=endpoint or None)
    if not url:
        return LocalFileStore(data_dir / "files")
    return LocalFileStore(Path(url.removeprefix("file://")).expanduser())
