"""`S3FileStore`: the file store in an S3-compatible object store (AWS S3, MinIO, Ceph,
Garage...), for several nodes. boto3's client is thread-safe; its calls run in a small
thread pool of the store's own, so that the event loop never waits on the network."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from chinwag.files.storage import CHUNK

T = TypeVar("T")

#: Multipart above 8 MB, one part at a time: an upload holds one part in memory, not
#: the whole file (and 20 uploads at once hold 20 parts, not 20 files).
TRANSFER = TransferConfig(
    multipart_threshold=8 * 1024 * 1024,
    multipart_chunksize=8 * 1024 * 1024,
    max_concurrency=1,
    use_threads=False,
)


class S3FileStore:
    def __init__(self, bucket: str, prefix: str = "", *, endpoint: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="chinwag-s3")
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            config=Config(max_pool_connections=16, retries={"max_attempts": 3}),
        )

    @classmethod
    def from_url(cls, url: str, *, endpoint: str | None = None) -> S3FileStore:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
        return cls(parts.netloc, parts.path, endpoint=endpoint)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def _call(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: work(*args, **kwargs))

    async def put(self, key: str, source: Path) -> None:
        await self._call(
            self._client.upload_file, str(source), self.bucket, self._key(key), Config=TRANSFER
        )

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        extra = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            reply = await self._call(
                self._client.get_object, Bucket=self.bucket, Key=self._key(key), **extra
            )
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from None
            raise
        body = reply["Body"]
        try:
            while chunk := await self._call(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def size(self, key: str) -> int | None:
        try:
            head = await self._call(
                self._client.head_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return int(head["ContentLength"])

    def local_path(self, key: str) -> Path | None:
        return None

    async def delete(self, key: str) -> None:
        await self._call(self._client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def close(self) -> None:
        await asyncio.to_thread(self._pool.shutdown)
        self._client.close()


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")
