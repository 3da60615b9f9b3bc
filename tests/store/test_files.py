"""Uploads in the store, on every backend: dedup by hash, quota and cap in the upload's
transaction (also under concurrent uploads), who may read a file, the sweep."""

from __future__ import annotations

import asyncio

import pytest

from chinwag.core.validation import GENERAL
from chinwag.store.records import Actor, NoSuchFile
from chinwag.store.sql import SqlStore
from chinwag.store.uploads import Blob, QuotaExceeded, StorageFull
from tests.store.helpers import make_user

DAY = 86_400_000
NOW = 10 * DAY


def blob(n: int, size: int = 100, kind: str = "application/octet-stream", **kw: int) -> Blob:
    return Blob(f"{n:064x}", size, kind, stored=size, **kw)  # type: ignore[arg-type]


async def add(store: SqlStore, user: str, file_id: str, b: Blob, **kw: int) -> bool:
    limits = {"daily_quota": 0, "cap": 0, "now": NOW} | kw
    _, new = await store.add_file(user, None, file_id, "f.bin", b, **limits)
    return new


async def test_the_same_bytes_are_one_blob_and_the_cap_counts_them_once(
    store: SqlStore,
) -> None:
    await make_user(store, "alice")
    assert await add(store, "alice", "f1", blob(1), cap=250) is True
    assert await add(store, "alice", "f2", blob(1), cap=250) is False  # known bytes
    assert await add(store, "alice", "f3", blob(2), cap=250) is True
    with pytest.raises(StorageFull):
        await add(store, "alice", "f4", blob(3), cap=250)
    assert await store.readable_file("f4", "alice") is None  # nothing was recorded
    # Deleting the only upload of some bytes gives their room back.
    swept = await store.delete_file("f3", now=NOW)
    assert swept is not None and [b.sha256 for b in swept.blobs] == [blob(2).sha256]
    swept = await store.delete_file("f1", now=NOW)
    assert swept is not None and swept.blobs == []  # f2 still has those bytes
    assert await add(store, "alice", "f5", blob(3), cap=250) is True


async def test_the_daily_quota_holds_under_concurrent_uploads(store: SqlStore) -> None:
    await make_user(store, "alice")
    await add(store, "alice", "old", blob(0, 900), daily_quota=1000, now=NOW - DAY - 1)
    results = await asyncio.gather(
        *(add(store, "alice", f"f{n}", blob(n, 300), daily_quota=1000) for n in range(1, 7)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(refused) == 3, results  # 3 x 300 fit in 1000 (yesterday's no longer count)
    assert 1 <= refused[0].retry_after <= DAY / 1000
    assert await store.upload_usage("alice", since=NOW - DAY) == 900


async def test_readers_are_the_uploader_and_members_of_a_room_it_went_to(
    store: SqlStore,
) -> None:
    for name in ("alice", "bob", "carol"):
        await make_user(store, name)
    await store.ensure_room(GENERAL, "general", "public", now=NOW)
    room = await store.create_room("den", "den", "public", owner="alice", topic="", now=NOW)
    await store.add_member(room.id, "bob", role="member", now=NOW)
    await add(store, "alice", "pic", blob(1, 10, "image/png", width=4, height=3))
    with pytest.raises(NoSuchFile):  # someone else's upload
        await store.post(Actor("bob"), room.id, "x", client_msg_id="b", now=NOW, files=("pic",))
    assert await store.readable_file("pic", "bob") is None
    posted = await store.post(
        Actor("alice"), room.id, "", client_msg_id="a", now=NOW, files=("pic",)
    )
    (att,) = posted.message.attachments  # type: ignore[misc]
    assert (att.id, att.thumbnail, att.preview, att.width) == ("pic", "pic.t320", None, 4)
    assert [m.attachments for m in await store.history_before(room.id, None, 5)][-1] == [att]
    assert await store.readable_file("pic", "bob") is not None
    assert await store.readable_file("pic", "carol") is None
    assert await store.delete_message(room.id, posted.message.seq) is True
    assert await store.readable_file("pic", "bob") is None
    assert await store.readable_file("pic", "alice") is not None


async def test_the_sweep(store: SqlStore) -> None:
    await make_user(store, "alice")
    await store.ensure_room(GENERAL, "general", "public", now=NOW)
    await store.add_member(GENERAL, "alice", role="member", now=NOW)
    await add(store, "alice", "sent", blob(1), now=NOW - 2 * DAY)
    await add(store, "alice", "old", blob(2), now=NOW - 2 * DAY)
    await add(store, "alice", "new", blob(3), now=NOW)
    await add(store, "alice", "gone", blob(4), now=NOW)
    await store.post(Actor("alice"), GENERAL, "a", client_msg_id="1", now=NOW, files=("sent",))
    posted = await store.post(
        Actor("alice"), GENERAL, "b", client_msg_id="2", now=NOW, files=("gone",)
    )
    await store.delete_message(GENERAL, posted.message.seq)
    swept = await store.sweep_files(unattached_before=NOW - DAY, unused_before=NOW + 1)
    assert swept.files == 2
    assert sorted(b.sha256 for b in swept.blobs) == [blob(2).sha256, blob(4).sha256]
    for file_id, there in (("sent", True), ("old", False), ("new", True), ("gone", False)):
        assert (await store.readable_file(file_id, "alice") is not None) is there
    again = await store.sweep_files(unattached_before=NOW - DAY, unused_before=NOW + 1)
    assert (again.files, again.blobs) == (0, [])
