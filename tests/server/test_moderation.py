"""Kick, ban, unban and mute: server-wide by admins, in a room by its owner."""

from __future__ import annotations

from tests.server.conftest import RunningServer
from tests.server.support import WsClient, login, register


async def test_server_kick(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    bob = await register(server.url, "bob")
    bob_phone = await login(server.url, "bob")
    carol = await register(server.url, "carol")
    await carol.error("kick", "forbidden", user="bob", reason="no")
    await admin.error("kick", "forbidden", user="admin")
    await admin.error("kick", "not_found", user="nobody")
    await admin.ok("kick", user="bob", reason="spamming")
    for client in (bob, bob_phone):
        kicked = await client.event("kicked")
        assert kicked["reason"] == "spamming" and kicked["by"] == "admin"
        assert await client.wait_closed() == 4001
    announcement = await carol.message("general", "admin kicked bob: spamming")
    assert announcement["kind"] == "system"
    probe = await WsClient.connect(server.url)
    await probe.error("resume", "invalid_token", token=bob.token)
    await probe.ok("login", username="bob", password="correct horse")  # may come back
    for client in (admin, carol, probe, bob, bob_phone):
        await client.close()


async def test_server_ban_and_unban(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    bob = await register(server.url, "bob")
    await admin.ok("ban", user="bob", reason="rude")
    assert (await bob.event("kicked"))["reason"] == "rude"
    assert await bob.wait_closed() == 4002
    probe = await WsClient.connect(server.url)
    await probe.error("resume", "invalid_token", token=bob.token)
    banned = await probe.error("login", "banned", username="bob", password="correct horse")
    assert "rude" in banned["message"]
    await admin.message("general", "admin banned bob: rude")
    await admin.ok("unban", user="bob")
    await admin.message("general", "admin unbanned bob")
    await probe.ok("login", username="bob", password="correct horse")
    for client in (admin, bob, probe):
        await client.close()


async def test_server_mute(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    bob = await register(server.url, "bob")
    await admin.ok("mute", user="bob", seconds=600, reason="cool off")
    await bob.message("general", "admin muted bob for 10 min: cool off")
    muted = await bob.error("send", "muted", room="general", body="hey", client_msg_id="1")
    assert 590 < muted["retry_after"] <= 600
    await bob.ok("ping")  # muted, not disconnected
    await admin.ok("mute", user="bob", seconds=0)
    await bob.message("general", "admin unmuted bob")
    await bob.ok("send", room="general", body="thanks", client_msg_id="2")
    for client in (admin, bob):
        await client.close()


async def test_room_owner_moderates_own_room_only(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    owner = await register(server.url, "owner")
    bob = await register(server.url, "bob")
    await owner.ok("create_room", name="den")
    await bob.ok("join", room="den")
    # an owner has no power outside their room, nor over admins or themselves
    await owner.error("kick", "forbidden", user="bob", reason="x")
    await owner.error("kick", "forbidden", user="bob", room="general")
    await admin.ok("join", room="den")
    await owner.error("mute", "forbidden", user="admin", seconds=60, room="den")
    await bob.error("kick", "forbidden", user="owner", room="den")

    await owner.ok("mute", user="bob", seconds=60, room="den")
    await bob.error("send", "muted", room="den", body="hi", client_msg_id="d1")
    await bob.ok("send", room="general", body="still fine here", client_msg_id="g1")
    await owner.ok("mute", user="bob", seconds=0, room="den")

    await owner.ok("kick", user="bob", room="den", reason="off topic")
    kicked = await bob.event("kicked", room="den")
    assert kicked["reason"] == "off topic"
    await bob.ok("ping")  # a room kick keeps the connection
    await bob.error("send", "not_member", room="den", body="back?", client_msg_id="d2")
    await owner.message("den", "owner kicked bob: off topic")
    await bob.ok("join", room="den")  # a kick is not a ban

    await owner.ok("ban", user="bob", room="den", reason="again")
    await bob.event("kicked", room="den")
    await bob.error("join", "forbidden", room="den")
    await owner.error("invite", "forbidden", room="den", user="bob")
    await owner.ok("unban", user="bob", room="den")
    await bob.ok("join", room="den")
    for client in (admin, owner, bob):
        await client.close()


async def test_admin_moderates_room_owners(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    owner = await register(server.url, "owner")
    await owner.ok("create_room", name="den")
    await admin.ok("join", room="den")
    await admin.ok("mute", user="owner", seconds=30, room="den")
    await owner.error("send", "muted", room="den", body="x", client_msg_id="1")
    await admin.close()
    await owner.close()


async def test_notice_reaches_everyone_online(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    bob = await register(server.url, "bob")
    await bob.error("notice", "forbidden", text="I am in charge")
    await admin.error("notice", "invalid", text="  \u200b ")
    await admin.ok("notice", text="Pizza is here")
    for client in (admin, bob):
        assert (await client.event("server_notice"))["text"] == "Pizza is here"
    for client in (admin, bob):
        await client.close()


async def test_general_takes_server_wide_kicks_and_bans_only(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    bob = await register(server.url, "bob")
    await admin.error("kick", "forbidden", user="bob", room="general")
    await admin.error("ban", "forbidden", user="bob", room="general")
    await admin.ok("mute", user="bob", seconds=60, room="general")
    await bob.error("send", "muted", room="general", body="x", client_msg_id="1")
    for client in (admin, bob):
        await client.close()


async def test_room_kick_updates_the_member_count(server: RunningServer) -> None:
    owner = await register(server.url, "owner")
    bob = await register(server.url, "bob")
    await owner.ok("create_room", name="den")
    await bob.ok("join", room="den")
    await owner.wait_for(lambda f: f["type"] == "room_updated" and f["room"]["member_count"] == 2)
    await owner.ok("kick", user="bob", room="den")
    updated = await owner.wait_for(
        lambda f: f["type"] == "room_updated" and f["room"]["member_count"] == 1
    )
    assert updated["room"]["id"] == "den"
    for client in (owner, bob):
        await client.close()


async def test_a_room_mute_survives_leaving_and_rejoining(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    owner = await register(server.url, "owner")
    bob = await register(server.url, "bob")
    await owner.ok("create_room", name="den")
    await bob.ok("join", room="den")
    await owner.ok("mute", user="bob", seconds=600, room="den")
    await bob.error("send", "muted", room="den", body="hey", client_msg_id="1")
    await bob.ok("leave", room="den")
    await bob.ok("join", room="den")
    muted = await bob.error("send", "muted", room="den", body="hey", client_msg_id="2")
    assert 590 < muted["retry_after"] <= 600
    await bob.ok("send", room="general", body="still fine here", client_msg_id="3")
    await owner.ok("mute", user="bob", seconds=0, room="den")
    await bob.ok("send", room="den", body="thanks", client_msg_id="4")
    for client in (admin, owner, bob):
        await client.close()
