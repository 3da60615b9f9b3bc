"""Moderation people can run: the lists of mutes and bans in force, refused no-op lifts,
and the muted person told at once, after each login, and when the mute runs out."""

from __future__ import annotations

import asyncio
import time

from tests.server.conftest import RunningServer
from tests.server.support import WsClient, login, register


def now_ms() -> int:
    return time.time_ns() // 1_000_000


async def test_a_room_owner_lists_the_rooms_mutes_and_bans(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    owner = await register(server.url, "owner")
    bob = await register(server.url, "bob")
    carol = await register(server.url, "carol")
    await (await register(server.url, "eve")).close()
    await owner.ok("update_profile", display_name="Olive Owner")
    await bob.ok("update_profile", display_name="Bob Smith")
    await owner.ok("create_room", name="den")
    for client in (bob, carol):
        await client.ok("join", room="den")
    before = now_ms()
    await owner.ok("mute", user="bob", seconds=600, reason="calm down", room="den")
    await owner.ok("ban", user="eve", room="den", reason="spam")
    await owner.ok("mute", user="carol", seconds=60, room="den")
    after = now_ms()
    listed = await owner.ok("moderation", room="den")
    assert listed["room"] == "den"
    mutes = listed["mutes"]
    assert [m["user"] for m in mutes] == ["carol", "bob"]  # newest first
    bob_mute = mutes[1]
    assert bob_mute == {
        "user": "bob",
        "display_name": "Bob Smith",
        "by": "owner",
        "by_display_name": "Olive Owner",
        "reason": "calm down",
        "since": bob_mute["since"],
        "until": bob_mute["since"] + 600_000,
    }
    assert before <= bob_mute["since"] <= after
    (ban,) = listed["bans"]
    assert (ban["user"], ban["by"], ban["reason"], ban["until"]) == ("eve", "owner", "spam", None)
    assert before <= ban["since"] <= after
    # Admins see it too; nobody else, and nobody learns of a private room this way.
    assert (await admin.ok("moderation", room="den"))["mutes"] == mutes
    await bob.error("moderation", "forbidden", room="den")
    await owner.error("moderation", "forbidden")  # server-wide: admins only
    await owner.error("moderation", "not_found", room="nowhere")
    secret = (await admin.ok("create_room", name="secret", private=True))["room"]["id"]
    await owner.error("moderation", "not_found", room=secret)
    # A mute outlives leaving the room, and stays listed.
    await carol.ok("leave", room="den")
    assert [m["user"] for m in (await owner.ok("moderation", room="den"))["mutes"]] == [
        "carol",
        "bob",
    ]
    # Lifted from the list: gone from it.
    await owner.ok("mute", user="carol", seconds=0, room="den")
    await owner.ok("unban", user="eve", room="den")
    listed = await owner.ok("moderation", room="den")
    assert ([m["user"] for m in listed["mutes"]], listed["bans"]) == (["bob"], [])
    for client in (admin, owner, bob, carol):
        await client.close()


async def test_an_admin_lists_the_servers_mutes_and_bans(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    bob = await register(server.url, "bob")
    await (await register(server.url, "eve")).close()
    await admin.ok("mute", user="bob", seconds=1, reason="a second")
    await admin.ok("ban", user="eve", reason="spam")
    listed = await admin.ok("moderation")
    assert listed["room"] is None
    assert [(m["user"], m["by"], m["reason"]) for m in listed["mutes"]] == [
        ("bob", "admin", "a second")
    ]
    assert [(b["user"], b["by"], b["reason"], b["until"]) for b in listed["bans"]] == [
        ("eve", "admin", "spam", None)
    ]
    await bob.error("moderation", "forbidden")
    await asyncio.sleep(1.1)  # the mute runs out: an expired mute is not listed
    assert (await admin.ok("moderation"))["mutes"] == []
    for client in (admin, bob):
        await client.close()


async def test_lifting_what_is_not_there_is_refused_and_not_announced(
    server: RunningServer,
) -> None:
    admin = await register(server.url, "admin")
    owner = await register(server.url, "owner")
    bob = await register(server.url, "bob")
    await bob.ok("update_profile", display_name="Bob Smith")
    await owner.ok("create_room", name="den")
    await bob.ok("join", room="den")
    await owner.ok("mute", user="bob", seconds=600, room="den")  # in the room only
    refusals = [
        (admin, {"type": "mute", "seconds": 0}, "Bob Smith is not muted on this server"),
        (admin, {"type": "unban"}, "Bob Smith is not banned on this server"),
        (owner, {"type": "unban", "room": "den"}, "Bob Smith is not banned in this room"),
    ]
    for who, fields, message in refusals:
        reply = await who.error(fields.pop("type"), "no_change", user="bob", **fields)
        assert reply["message"] == message
    # Lifted for real, the second lift is the no-op.
    await owner.ok("mute", user="bob", seconds=0, room="den")
    reply = await owner.error("mute", "no_change", user="bob", seconds=0, room="den")
    assert reply["message"] == "Bob Smith is not muted in this room"
    await owner.ok("send", room="den", body="done", client_msg_id="1")
    await admin.ok("send", room="general", body="done", client_msg_id="1")
    den = [m["body"] for m in (await owner.ok("history", room="den"))["messages"]]
    general = [m["body"] for m in (await admin.ok("history", room="general"))["messages"]]
    assert den[-3:] == ["owner muted bob for 10 min", "owner unmuted bob", "done"]
    assert general[-1] == "done" and not [b for b in general if "unmuted" in b or "unban" in b]
    for client in (admin, owner, bob):
        await client.close()


async def test_the_muted_person_is_told_on_every_connection(server: RunningServer) -> None:
    owner = await register(server.url, "owner")
    bob = await register(server.url, "bob")
    bob_phone = await login(server.url, "bob")
    await owner.ok("update_profile", display_name="Olive Owner")
    await owner.ok("create_room", name="den")
    await bob.ok("join", room="den")
    started = now_ms()
    await owner.ok("mute", user="bob", seconds=3600, reason="calm down", room="den")
    for client in (bob, bob_phone):
        muted = await client.event("muted")
        assert muted == {
            "type": "muted",
            "room": "den",
            "until": muted["until"],
            "reason": "calm down",
            "by": "owner",
            "by_display_name": "Olive Owner",
        }
        assert started + 3_600_000 <= muted["until"] <= now_ms() + 3_600_000
    # Every login or resume hears of every mute in force, after its reply.
    laptop = await WsClient.connect(server.url)
    await laptop.ok("resume", token=bob.token)
    assert (await laptop.event("muted"))["room"] == "den"
    await owner.ok("mute", user="bob", seconds=0, room="den")
    for client in (bob, bob_phone, laptop):
        assert await client.event("unmuted") == {"type": "unmuted", "room": "den"}
    fresh = await login(server.url, "bob")
    await fresh.ok("ping")
    assert not [e for e in fresh.events if e["type"] == "muted"]
    for client in (owner, bob, bob_phone, laptop, fresh):
        await client.close()


async def test_a_mute_that_runs_out_is_told_within_a_second(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    bob = await register(server.url, "bob")
    await admin.ok("mute", user="bob", seconds=1, reason="short")
    muted = await bob.event("muted")
    assert muted["room"] is None
    await bob.error("send", "muted", room="general", body="hi", client_msg_id="1")
    assert await bob.event("unmuted", timeout=5) == {"type": "unmuted", "room": None}
    late = now_ms() - muted["until"]
    print(f"unmuted told {late} ms after the mute's end")
    assert 0 <= late < 1000
    await bob.ok("send", room="general", body="hi", client_msg_id="1")
    for client in (admin, bob):
        await client.close()


async def test_a_mute_made_longer_is_not_told_as_run_out(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    bob = await register(server.url, "bob")
    await admin.ok("mute", user="bob", seconds=1)
    first = await bob.event("muted")
    await admin.ok("mute", user="bob", seconds=60, reason="longer")
    # (A mute may be told twice, by the login's read and the change's: the same state.)
    second = await bob.event("muted", reason="longer")
    assert second["until"] >= first["until"] + 59_000
    await asyncio.sleep(1.3)  # past the first mute's end
    assert not [e for e in bob.events if e["type"] == "unmuted"]
    for client in (admin, bob):
        await client.close()


async def test_a_mute_parked_on_leaving_is_told_on_coming_back(server: RunningServer) -> None:
    owner = await register(server.url, "owner")
    bob = await register(server.url, "bob")
    await owner.ok("create_room", name="den")
    await bob.ok("join", room="den")
    await owner.ok("mute", user="bob", seconds=600, room="den")
    await bob.event("muted", room="den")
    await bob.ok("leave", room="den")
    await bob.ok("join", room="den")
    assert (await bob.event("muted", room="den"))["by"] == "owner"
    # Someone joining unmuted is told nothing.
    carol = await register(server.url, "carol")
    await carol.ok("join", room="den")
    await carol.ok("ping")
    assert not [e for e in carol.events if e["type"] == "muted"]
    for client in (owner, bob, carol):
        await client.close()
