"""Budgets on what a reply holds: listings come in pages, history and sync are capped."""

from __future__ import annotations

from typing import Any

import pytest

from chinwag.client import Client
from chinwag.server import messaging
from chinwag.server.context import now_ms
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import WsClient, register


async def _pages(client: WsClient, type_: str, key: str, **fields: Any) -> list[list[Any]]:
    """Every page of a listing, as the lists of `key`, following `next`."""
    pages: list[list[Any]] = []
    cursor = None
    for _ in range(100):
        reply = await client.ok(type_, cursor=cursor, **fields)
        pages.append(reply[key])
        cursor = reply["next"]
        if cursor is None:
            return pages
    raise AssertionError("a listing that never ends")


async def _users(server: RunningServer, names: list[str]) -> None:
    for name in names:
        await server.ctx.store.create_user(name, "x", display_name=name, color="#112233", now=1)


async def test_users_come_in_pages_that_add_up_to_everyone(server: RunningServer) -> None:
    ada = await register(server.url, "ada")
    await _users(server, [f"user{n:02}" for n in range(11)])
    pages = await _pages(ada, "users", "users", limit=5)
    assert [len(page) for page in pages] == [5, 5, 2]
    names = [u["username"] for page in pages for u in page]
    assert names == ["ada", *(f"user{n:02}" for n in range(11))]
    assert (await ada.ok("users"))["next"] is None  # the default page holds them all
    await ada.close()


async def test_rooms_come_in_pages_mine_first_then_the_public_ones(
    server: RunningServer,
) -> None:
    ada = await register(server.url, "ada")
    bob = await register(server.url, "bob")
    for name in ("Mine one", "Mine two"):
        await ada.ok("create_room", name=name)
    for name in ("Other one", "Other two", "Other three"):
        await bob.ok("create_room", name=name)
    secret = (await bob.ok("create_room", name="Hidden", private=True))["room"]["id"]
    await ada.ok("mark_read", room="general", seq=1)

    pages = await _pages(ada, "rooms", "rooms", limit=2)
    rooms = [room for page in pages for room in page]
    assert [len(page) for page in pages] == [2, 2, 2]
    assert [room["member"] for room in rooms] == [True, True, True, False, False, False]
    assert {room["id"] for room in rooms if room["member"]} == {"general", "mine-one", "mine-two"}
    assert secret not in {room["id"] for room in rooms}
    first = await ada.ok("rooms", limit=2)
    assert first["read"] == {"general": 1} or "general" not in {r["id"] for r in first["rooms"]}
    await ada.error("rooms", "bad_request", cursor="nonsense")
    await ada.error("rooms", "bad_request", cursor="x:general")
    for client in (ada, bob):
        await client.close()


async def test_members_come_in_pages_owner_first(server: RunningServer) -> None:
    owner = await register(server.url, "zed")
    room = (await owner.ok("create_room", name="Club"))["room"]["id"]
    others = [await register(server.url, f"m{n}") for n in range(4)]
    for client in others:
        await client.ok("join", room=room)
    pages = await _pages(owner, "members", "members", room=room, limit=2)
    members = [m for page in pages for m in page]
    assert [(m["user"], m["role"]) for m in members] == [
        ("zed", "owner"),
        *((f"m{n}", "member") for n in range(4)),
    ]
    for client in (owner, *others):
        await client.close()


async def test_one_sync_reads_a_bounded_number_of_rooms(server: RunningServer) -> None:
    ada = await register(server.url, "ada")
    store = server.ctx.store
    count = messaging.SYNC_ROOMS + 20
    for n in range(count):
        room = await store.create_room(f"r{n:03}", f"R{n}", "public", owner="ada", topic="", now=1)
        await store.append_message(room.id, "ada", "hi", client_msg_id=None, now=1)
    since = {f"r{n:03}": 0 for n in range(count)}
    reply = await ada.ok("sync", since=since)
    read = {m["room"] for m in reply["messages"]}
    assert len(read) == messaging.SYNC_ROOMS
    assert set(reply["more"]) == set(since) - read
    again = await ada.ok("sync", since={room: 0 for room in reply["more"]})
    assert {m["room"] for m in again["messages"]} == set(reply["more"])
    assert again["more"] == []
    await ada.close()


async def test_sync_and_history_replies_stay_within_the_character_budget(
    start_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messaging, "REPLY_CHARS", 50_000)
    server = await start_server(max_body=4000)
    ada = await register(server.url, "ada")
    store = server.ctx.store
    for n in range(30):
        await store.append_message(
            "general", "ada", f"{n:04}" + "x" * 3996, client_msg_id=None, now=1
        )
    page = await ada.ok("history", room="general", limit=30)
    assert len(page["messages"]) == 12  # 12 bodies of 4,000 fit in 50,000; 13 would not
    assert page["more"] is True
    assert page["messages"][-1]["body"].startswith("0029")  # the newest ones
    reply = await ada.ok("sync", since={"general": 1}, changes={"general": 0})
    assert len(reply["messages"]) == 12 and reply["more"] == ["general"]
    assert reply["messages"][0]["seq"] == 2
    last = reply["messages"][-1]["seq"]
    rest = await ada.ok("sync", since={"general": last}, changes=reply["changes"])
    assert rest["messages"][0]["seq"] == last + 1
    # a single message beyond the budget still goes: paging always moves on
    monkeypatch.setattr(messaging, "REPLY_CHARS", 10)
    one = await ada.ok("history", room="general", limit=5)
    assert len(one["messages"]) == 1 and one["more"] is True
    await ada.close()


async def test_the_python_client_reads_every_page(server: RunningServer) -> None:
    store = server.ctx.store
    ada = await register(server.url, "ada")
    now = now_ms()
    for n in range(450):  # more than two default pages of `rooms`
        await store.create_room(f"p{n:03}", f"P{n}", "public", owner="ada", topic="", now=now)
    await _users(server, [f"user{n:03}" for n in range(600)])
    client = Client(server.url.removeprefix("ws://").removesuffix("/ws"))
    try:
        await client.login("ada", "correct horse")
        rooms = await client.rooms()
        assert len(rooms) == 451  # general and the 450
        assert len(await client.users()) == 601
    finally:
        await client.close()
        await ada.close()
