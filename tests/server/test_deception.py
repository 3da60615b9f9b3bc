"""Names and texts that cannot deceive, through a real server: what an adversary tried.

Invisible names and bodies, a display name taken from someone else, room ids that give
private rooms away, and the powers a ban or a mute must take away.
"""

from __future__ import annotations

import re

import pytest

from tests.server.conftest import RunningServer
from tests.server.support import WsClient, register

#: Texts that show nothing: Hangul filler, blank braille pattern, Hangul choseong
#: filler, a non-character, private use, zero-width space, bidi override, variation
#: selector, grapheme joiner.
GHOSTS = ["\u3164", "\u2800", "\u115f", "\uffff", "\ue000", "\u200b\u202e", "\ufe0f\u034f"]


async def test_names_and_bodies_that_show_nothing_are_refused(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    await alice.ok("create_room", name="den")
    for ghost in GHOSTS:
        for blank in (ghost, f" {ghost} {ghost}\t"):
            await alice.error("send", "invalid", room="general", body=blank, client_msg_id="g")
            await alice.error("update_profile", "invalid", display_name=blank)
            await alice.error("create_room", "invalid", name=blank)
            await alice.error("update_room", "invalid", room="den", name=blank)
            room = (await alice.ok("update_room", room="den", topic=blank))["room"]
            assert room["topic"] == ""
    assert (await alice.ok("users"))["users"][0]["display_name"] == "alice"
    assert alice.messages("general", kind="text") == []
    await alice.close()


async def test_non_characters_are_dropped_and_bidi_controls_kept_in_bodies(
    server: RunningServer,
) -> None:
    alice = await register(server.url, "alice")
    sent = await alice.ok(
        "send", room="general", body="a\uffffb\ufdd0 \u202egnp.exe", client_msg_id="m1"
    )
    assert sent["message"]["body"] == "ab \u202egnp.exe"  # the clients draw it harmless
    me = await alice.ok("update_profile", display_name="\u202eecila\u202c \u2066x\u2069")
    assert me["user"]["display_name"] == "ecila x"
    room = (await alice.ok("create_room", name="a\u200fb\u3164c"))["room"]
    assert room["name"] == "ab c"
    await alice.close()


async def test_display_names_are_unique_among_names_of_every_kind(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    mallory = await register(server.url, "mallory")
    # another's username, in any case, full-width or with Cyrillic letters
    for disguise in ("alice", "ALICE", " Alice ", "\uff41lice", "\u0430lice", "ali\u200bce"):
        taken = await mallory.error("update_profile", "conflict", display_name=disguise)
        assert "taken" in taken["message"]
    # another's display name
    await bob.ok("update_profile", display_name="Bob the Builder")
    await mallory.error("update_profile", "conflict", display_name="bob THE  builder")
    # one's own names are one's own
    await alice.ok("update_profile", display_name="ALICE")
    await bob.ok("update_profile", display_name="bob")
    # a name given up is free again; the one who takes it is announced as usual
    taken = await mallory.ok("update_profile", display_name="Bob the Builder")
    assert taken["user"]["display_name"] == "Bob the Builder"
    updated = await alice.wait_for(
        lambda f: f["type"] == "user_updated" and f["user"]["username"] == "mallory"
    )
    assert updated["user"]["display_name"] == "Bob the Builder"
    shown = {u["username"]: u["display_name"] for u in (await alice.ok("users"))["users"]}
    assert shown == {"alice": "ALICE", "bob": "bob", "mallory": "Bob the Builder"}
    assert len({name.casefold() for name in shown.values()}) == 3
    for client in (alice, bob, mallory):
        await client.close()


async def test_a_new_username_is_nobody_elses_display_name(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    await alice.ok("update_profile", display_name="Zed")
    probe = await WsClient.connect(server.url)
    for spelling in ("zed", "ZED"):
        taken = await probe.error(
            "register", "username_taken", username=spelling, password="correct horse"
        )
        assert "taken" in taken["message"]
    await alice.ok("update_profile", display_name="Alice")
    await probe.ok("register", username="zed", password="correct horse")
    for client in (alice, probe):
        await client.close()


async def test_a_private_rooms_id_tells_nothing(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    eve = await register(server.url, "eve")
    hidden = (await alice.ok("create_room", name="Secret plans", private=True))["room"]
    assert re.fullmatch(r"p:[a-z2-7]{16}", hidden["id"])
    # eve cannot tell, by making a public room of that name, that it exists
    mine = (await eve.ok("create_room", name="Secret plans"))["room"]
    assert mine["id"] == "secret-plans"
    again = (await eve.ok("create_room", name="secret PLANS!"))["room"]
    assert again["id"] == "secret-plans-2"
    await eve.error("join", "not_found", room=hidden["id"])
    for client in (alice, eve):
        await client.close()


async def test_a_muted_user_speaks_through_no_name_or_topic(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    owner = await register(server.url, "owner")
    await owner.ok("create_room", name="den")
    await admin.ok("mute", user="owner", seconds=600)
    muted = await owner.error("update_room", "muted", room="den", topic="BUY NOW")
    assert 590 < muted["retry_after"] <= 600
    await owner.error("update_room", "muted", room="den", name="BUY NOW")
    await owner.error("update_profile", "muted", display_name="BUY NOW")
    await owner.error("create_room", "muted", name="BUY NOW")
    recoloured = await owner.ok("update_profile", color="#000000")  # a colour says nothing
    assert recoloured["user"]["display_name"] == "owner"
    await owner.ok("create_room", name="notes", private=True)  # seen by its members only
    await admin.ok("mute", user="owner", seconds=0)
    # and muted in the room only
    await admin.ok("join", room="den")
    await admin.ok("mute", user="owner", room="den", seconds=60)
    await owner.error("update_room", "muted", room="den", topic="still loud")
    await owner.ok("update_profile", display_name="Owner")  # not muted server-wide
    await admin.ok("mute", user="owner", room="den", seconds=0)
    room = (await owner.ok("update_room", room="den", topic="quiet now"))["room"]
    assert room["topic"] == "quiet now"
    for client in (admin, owner):
        await client.close()


@pytest.mark.parametrize("private", [False, True])
async def test_an_owner_banned_from_the_room_can_do_nothing_to_it(
    server: RunningServer, private: bool
) -> None:
    admin = await register(server.url, "admin")
    owner = await register(server.url, "owner")
    bob = await register(server.url, "bob")
    carol = await register(server.url, "carol")
    den = (await owner.ok("create_room", name="den", private=private, topic="t"))["room"]["id"]
    await owner.ok("invite", room=den, user="bob")
    await owner.ok("invite", room=den, user="admin")
    said = await bob.ok("send", room=den, body="hello", client_msg_id="b1")
    await admin.ok("ban", user="owner", room=den, reason="abuse")
    await owner.event("kicked", room=den)
    # a private room is not even shown to someone out of it
    refused = "not_found" if private else "forbidden"
    gone = "not_found" if private else "not_member"
    await owner.error("update_room", refused, room=den, name="Mine")
    await owner.error("update_room", refused, room=den, topic="mine")
    for action, extra in (("kick", {}), ("ban", {}), ("unban", {}), ("mute", {"seconds": 60})):
        await owner.error(action, refused, user="bob", room=den, **extra)
    await owner.error("invite", gone, room=den, user="carol")
    await owner.error("delete_message", gone, room=den, seq=said["message"]["seq"])
    await owner.error("join", "not_found" if private else "forbidden", room=den)
    # nothing changed
    room = (await bob.ok("history", room=den))["messages"]
    assert [m["body"] for m in room if m["kind"] == "text"] == ["hello"]
    members = {m["user"] for m in (await bob.ok("members", room=den))["members"]}
    assert members == {"admin", "bob"}
    await bob.ok("send", room=den, body="still here", client_msg_id="b2")
    for client in (admin, owner, bob, carol):
        await client.close()
