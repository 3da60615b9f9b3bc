"""The two file stores behind one interface: the same round trip on both, with a hash
check; S3 against a real S3-protocol server (moto's) on loopback."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chinwag.files.s3 import S3FileStore
from chinwag.files.storage import FileStore, LocalFileStore, open_file_store


@pytest.fixture(params=["local", "s3"])
async def file_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FileStore]:
    if request.param == "local":
        store: FileStore = LocalFileStore(tmp_path / "files")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = request.getfixturevalue("s3_bucket")
        store = open_file_store(f"s3://{bucket}/some/prefix", tmp_path, endpoint=endpoint)
        assert isinstance(store, S3FileStore) and store.prefix == "some/prefix"
    yield store
    await store.close()


async def read_all(store: FileStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in store.read(key, start, end)])


async def test_round_trip_with_a_hash_check(file_store: FileStore, tmp_path: Path) -> None:
    data = os.urandom(9 * 1024 * 1024 + 17)  # over the 8 MB multipart threshold of S3
    source = tmp_path / "source"
    source.write_bytes(data)
    await file_store.put("blobs/ab/abc", source)
    assert await file_store.size("blobs/ab/abc") == len(data)
    got = await read_all(file_store, "blobs/ab/abc")
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()
    assert await read_all(file_store, "blobs/ab/abc", 100, 200) == data[100:200]
    assert await read_all(file_store, "blobs/ab/abc", len(data) - 5) == data[-5:]
    await file_store.delete("blobs/ab/abc")
    assert await file_store.size("blobs/ab/abc") is None
    with pytest.raises(FileNotFoundError):
        await read_all(file_store, "blobs/ab/abc")
    await file_store.delete("blobs/ab/abc")  # twice is fine


def test_a_local_key_never_leaves_the_root(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")
    with pytest.raises(ValueError):
        store.local_path("../outside")
    assert store.local_path("blobs/x") == (tmp_path / "files" / "blobs" / "x").resolve()
