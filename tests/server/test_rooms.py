"""Rooms, membership and direct messages through real connections."""

from __future__ import annotations

from tests.server.conftest import RunningServer
from tests.server.support import register


async def test_public_room_lifecycle(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    room = (await alice.ok("create_room", name="LAN Party!", topic="saturday"))["room"]
    assert room["id"] == "lan-party"
    assert room["kind"] == "public" and room["owner"] == "alice" and room["member"] is True
    listed = {r["id"]: r for r in (await bob.ok("rooms"))["rooms"]}
    assert listed["general"]["member"] is True
    assert listed["lan-party"]["member"] is False
    # bob cannot read or post before joining
    await bob.error("history", "not_member", room="lan-party")
    await bob.error("send", "not_member", room="lan-party", body="hi", client_msg_id="b0")
    joined = await bob.ok("join", room="lan-party")
    assert joined["room"]["member_count"] == 2
    event = await alice.event("member_joined", room="lan-party")
    assert event["user"] == "bob"
    await bob.ok("send", room="lan-party", body="hello party", client_msg_id="b1")
    await alice.message("lan-party", "hello party")
    members = (await alice.ok("members", room="lan-party"))["members"]
    assert members == [{"user": "alice", "role": "owner"}, {"user": "bob", "role": "member"}]
    # a second room with the same name gets its own id
    second = (await bob.ok("create_room", name="lan party"))["room"]
    assert second["id"] == "lan-party-2"
    await bob.ok("leave", room="lan-party")
    left = await alice.event("member_left", room="lan-party")
    assert left["user"] == "bob"
    await bob.error("send", "not_member", room="lan-party", body="x", client_msg_id="b2")
    history = (await alice.ok("history", room="lan-party"))["messages"]
    assert [(m["kind"], m["body"]) for m in history] == [
        ("system", "alice created LAN Party!"),
        ("system", "bob joined"),
        ("text", "hello party"),
        ("system", "bob left"),
    ]
    await alice.close()
    await bob.close()


async def test_general_cannot_be_left_and_unknown_rooms(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    await alice.error("leave", "forbidden", room="general")
    await alice.error("join", "not_found", room="nowhere")
    await alice.error("send", "not_found", room="nowhere", body="x", client_msg_id="1")
    await alice.error("create_room", "invalid", name="   ")
    await alice.close()


async def test_private_room_is_invite_only_and_invisible(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    carol = await register(server.url, "carol")
    room = (await alice.ok("create_room", name="secret", private=True))["room"]
    assert room["kind"] == "private"
    secret = room["id"]
    await alice.ok("send", room=secret, body="the plan", client_msg_id="a1")
    assert secret not in {r["id"] for r in (await bob.ok("rooms"))["rooms"]}
    for op, fields in [
        ("join", {}),
        ("history", {}),
        ("members", {}),
        ("send", {"body": "let me in", "client_msg_id": "b1"}),
    ]:
        reply = await bob.error(op, "not_found", room=secret, **fields)
        assert "plan" not in reply["message"]
    await carol.error("invite", "not_found", room=secret, user="carol")
    await alice.ok("invite", room=secret, user="BOB")
    await bob.event("room_updated")
    added = await bob.message(secret)
    assert added["body"] == "alice added bob" and added["sender"] == "alice"
    history = (await bob.ok("history", room=secret))["messages"]
    assert "the plan" in [m["body"] for m in history]
    await alice.error("invite", "conflict", room=secret, user="bob")
    await alice.error("invite", "not_found", room=secret, user="nobody")
    for client in (alice, bob, carol):
        await client.close()


async def test_direct_messages(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "Bob")
    eve = await register(server.url, "eve")
    room = (await alice.ok("open_dm", user="bob"))["room"]
    assert room["kind"] == "dm" and room["id"] == "dm:alice:bob"
    assert sorted(room["members"]) == ["Bob", "alice"]
    assert (await bob.ok("open_dm", user="Alice"))["room"]["id"] == room["id"]
    await bob.event("room_updated")
    await alice.ok("send", room=room["id"], body="psst", client_msg_id="a1")
    assert (await bob.message(room["id"]))["body"] == "psst"
    await eve.error("history", "not_found", room=room["id"])
    await eve.error("join", "not_found", room=room["id"])
    await eve.error("send", "not_found", room=room["id"], body="hi", client_msg_id="e1")
    await alice.error("invite", "forbidden", room=room["id"], user="eve")
    await alice.error("leave", "forbidden", room=room["id"])
    await alice.error("open_dm", "forbidden", user="alice")
    await alice.error("open_dm", "not_found", user="nobody")
    rooms = {r["id"]: r for r in (await alice.ok("rooms"))["rooms"]}
    assert rooms[room["id"]]["last_seq"] == 1
    assert room["id"] not in {r["id"] for r in (await eve.ok("rooms"))["rooms"]}
    assert eve.messages(room["id"]) == []
    for client in (alice, bob, eve):
        await client.close()


async def test_someone_added_to_a_room_learns_of_it_before_its_first_message(
    server: RunningServer,
) -> None:
    """A DM opened and written to at once: its other member gets the room, then the
    message; an invitee the same. A client can then place and announce the message."""
    ada = await register(server.url, "ada")
    others = [await register(server.url, f"user{i}") for i in range(6)]
    for i, other in enumerate(others):
        dm = (await other.ok("open_dm", user="ada"))["room"]["id"]
        await other.ok("send", room=dm, body="psst", client_msg_id=f"d{i}")
        room = (await other.ok("create_room", name=f"corner {i}", private=True))["room"]["id"]
        await other.ok("invite", room=room, user="ada")
        await other.ok("send", room=room, body="over here", client_msg_id=f"r{i}")
        for rid in (dm, room):
            first = await ada.wait_for(
                lambda f, rid=rid: (
                    (f["type"] == "room_updated" and f["room"]["id"] == rid)
                    or (f["type"] == "message" and f["message"]["room"] == rid)
                )
            )
            assert first["type"] == "room_updated", first
            await ada.message(rid)
    for client in (ada, *others):
        await client.close()


async def test_owner_updates_room(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    await alice.ok("create_room", name="books")
    await bob.ok("join", room="books")
    await bob.error("update_room", "forbidden", room="books", topic="mine now")
    reply = await alice.ok("update_room", room="books", name="Book club", topic="Dune")
    assert reply["room"]["name"] == "Book club" and reply["room"]["topic"] == "Dune"
    updated = await bob.wait_for(
        lambda f: f["type"] == "room_updated" and f["room"]["name"] == "Book club"
    )
    assert updated["room"]["topic"] == "Dune"
    await alice.close()
    await bob.close()


async def test_a_new_account_joins_general_visibly(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    joined = await alice.event("member_joined", room="general")
    assert joined["user"] == "bob"
    updated = await alice.event("room_updated")
    assert updated["room"]["id"] == "general" and updated["room"]["member_count"] == 2
    await alice.message("general", "bob joined")
    await alice.close()
    await bob.close()
