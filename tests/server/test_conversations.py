"""Reactions, pins, threads and mentions of everyone through real connections to a
real server: who may, what the others see live, and what `sync` replays."""

from __future__ import annotations

from typing import Any

from tests.server.conftest import RunningServer, StartServer
from tests.server.support import WsClient, register

THUMBS = "\U0001f44d"


async def send(client: WsClient, body: str, cid: str, room: str = "general", **more: Any) -> Any:
    return (await client.ok("send", room=room, body=body, client_msg_id=cid, **more))["message"]


def updated(seq: int) -> Any:
    return lambda f: f["type"] == "message_updated" and f["message"]["seq"] == seq


async def test_reactions_live_and_replayed_by_sync(server: RunningServer) -> None:
    ada = await register(server.url, "ada")
    bob = await register(server.url, "bob")
    message = await send(bob, "lunch?", "l1")
    marks = (await ada.ok("sync", since={"general": message["seq"]}))["changes"]
    reply = await ada.ok("react", room="general", seq=message["seq"], emoji=THUMBS)
    assert reply["message"]["reactions"] == [{"emoji": THUMBS, "count": 1, "users": ["ada"]}]
    assert reply["message"]["edited_ts"] is None  # not an edit
    event = await bob.wait_for(updated(message["seq"]))
    assert event["message"] == reply["message"]
    again = await ada.error("react", "no_change", room="general", seq=message["seq"], emoji=THUMBS)
    assert THUMBS in again["message"]
    await bob.ok("react", room="general", seq=message["seq"], emoji=THUMBS)
    gone = await ada.ok("react", room="general", seq=message["seq"], emoji=THUMBS, add=False)
    assert gone["message"]["reactions"] == [{"emoji": THUMBS, "count": 1, "users": ["bob"]}]
    # Each change numbers the message anew, so that a client keeps the newest copy.
    assert "changed" not in message
    assert 0 < reply["message"]["changed"] < gone["message"]["changed"]
    # A client that was away gets the message as it is now, once.
    synced = await ada.ok("sync", since={"general": message["seq"]}, changes=marks)
    assert [m["reactions"] for m in synced["changed"]] == [gone["message"]["reactions"]]
    later = await ada.ok("sync", since={"general": message["seq"]}, changes=synced["changes"])
    assert later["changed"] == []
    await ada.close()
    await bob.close()


async def test_what_cannot_be_reacted_with_or_to(start_server: StartServer) -> None:
    server = await start_server(max_reaction_kinds=2)
    ada = await register(server.url, "ada")
    bob = await register(server.url, "bob")
    seq = (await send(bob, "hi", "h"))["seq"]
    for emoji in ("ok", THUMBS * 2, "\u200d"):
        reply = await ada.error("react", "invalid", room="general", seq=seq, emoji=emoji)
        assert reply["message"] == "a reaction is one emoji"
    await ada.ok("react", room="general", seq=seq, emoji="\U0001f469\u200d\U0001f4bb")
    await ada.ok("react", room="general", seq=seq, emoji="\U0001f44d\U0001f3fd")
    reply = await bob.error("react", "invalid", room="general", seq=seq, emoji="\U0001f680")
    assert "at most 2 different reactions" in reply["message"]
    await ada.error("react", "not_found", room="general", seq=999, emoji=THUMBS)
    system = (await ada.ok("history", room="general"))["messages"][0]
    assert system["kind"] == "system"
    await ada.error("react", "invalid", room="general", seq=system["seq"], emoji=THUMBS)
    # A private room one is not in is not found; a public one not joined, not a member.
    await bob.ok("create_room", name="hideout", private=True)
    hideout = (await bob.ok("rooms"))["rooms"]
    secret = next(r for r in hideout if r["name"] == "hideout")["id"]
    inside = await send(bob, "psst", "p", room=secret)
    await ada.error("react", "not_found", room=secret, seq=inside["seq"], emoji=THUMBS)
    await bob.ok("create_room", name="open")
    await ada.error("react", "not_member", room="open", seq=1, emoji=THUMBS)
    await ada.close()
    await bob.close()


async def test_reactions_draw_on_the_sending_allowance(start_server: StartServer) -> None:
    server = await start_server(rate_limit=0.5, rate_burst=2)
    ada = await register(server.url, "ada")
    seq = (await send(ada, "one", "1"))["seq"]
    await ada.ok("react", room="general", seq=seq, emoji=THUMBS)
    reply = await ada.error("react", "rate_limited", room="general", seq=seq, emoji="\U0001f389")
    assert reply["retry_after"] > 0
    await ada.close()


async def test_pins_by_owner_with_a_system_message(server: RunningServer) -> None:
    ada = await register(server.url, "ada")
    bob = await register(server.url, "bob")
    room = (await ada.ok("create_room", name="club"))["room"]["id"]
    await bob.ok("join", room=room)
    seq = (await send(bob, "rules: be kind", "r", room=room))["seq"]
    reply = await bob.error("pin", "forbidden", room=room, seq=seq)
    assert "owner" in reply["message"]
    pinned = (await ada.ok("pin", room=room, seq=seq))["message"]
    assert pinned["pinned"]["by"] == "ada"
    assert (await bob.wait_for(updated(seq)))["message"]["pinned"] == pinned["pinned"]
    notice = await bob.message(room, "ada pinned a message")
    assert notice["kind"] == "system"
    await ada.error("pin", "no_change", room=room, seq=seq)
    listed = await bob.ok("pins", room=room)
    assert listed["room"] == room and [m["seq"] for m in listed["messages"]] == [seq]
    unpinned = (await ada.ok("unpin", room=room, seq=seq))["message"]
    assert "pinned" not in unpinned
    await bob.message(room, "ada unpinned a message")
    assert (await bob.ok("pins", room=room))["messages"] == []
    await ada.error("unpin", "no_change", room=room, seq=seq)
    stranger = await register(server.url, "eve")
    await stranger.error("pins", "not_member", room=room)
    for client in (ada, bob, stranger):
        await client.close()


async def test_a_pin_budget_per_room(start_server: StartServer) -> None:
    server = await start_server(max_pins=1)
    ada = await register(server.url, "ada")
    bob = await register(server.url, "bob")
    dm = (await ada.ok("open_dm", user="bob"))["room"]["id"]
    first = await send(ada, "one", "1", room=dm)
    second = await send(ada, "two", "2", room=dm)
    await bob.ok("pin", room=dm, seq=first["seq"])  # either member of a DM
    reply = await ada.error("pin", "invalid", room=dm, seq=second["seq"])
    assert "at most 1 pinned" in reply["message"]
    await ada.close()
    await bob.close()


async def test_threads_summaries_and_read_markers(server: RunningServer) -> None:
    ada = await register(server.url, "ada")
    bob = await register(server.url, "bob")
    root = await send(ada, "which day?", "q")
    reply = await send(bob, "saturday", "t1", thread=root["seq"])
    assert reply["thread"] == root["seq"] and "in_room" not in reply
    summary = (await ada.wait_for(updated(root["seq"])))["message"]["thread_summary"]
    assert summary == {
        "replies": 1,
        "last_seq": reply["seq"],
        "last_ts": reply["ts"],
        "participants": ["bob"],
    }
    also = await send(ada, "saturday it is", "t2", thread=root["seq"], in_room=True)
    assert also["in_room"] is True
    page = await bob.ok("thread", room="general", root=root["seq"])
    assert page["root"]["thread_summary"]["participants"] == ["ada", "bob"]
    assert [m["body"] for m in page["messages"]] == ["saturday", "saturday it is"]
    assert page["more"] is False
    short = await bob.ok("thread", room="general", root=root["seq"], limit=1)
    assert ([m["body"] for m in short["messages"]], short["more"]) == (["saturday it is"], True)
    listed = await ada.ok("threads", room="general")
    assert [(t["root"]["seq"], t["read"]) for t in listed["threads"]] == [(root["seq"], 0)]
    await ada.ok("mark_read", room="general", seq=reply["seq"], thread=root["seq"])
    marker = await ada.event("read", thread=root["seq"])
    assert marker == {"type": "read", "room": "general", "seq": reply["seq"], "thread": root["seq"]}
    listed = await ada.ok("threads", room="general")
    assert listed["threads"][0]["read"] == reply["seq"]
    await ada.error("thread", "invalid", room="general", root=reply["seq"])
    await ada.error("thread", "not_found", room="general", root=999)
    await ada.error(
        "send", "invalid", room="general", body="x", client_msg_id="t3", thread=reply["seq"]
    )
    await ada.error("mark_read", "invalid", room="general", seq=5, thread=reply["seq"])
    await ada.close()
    await bob.close()


async def test_mentions_of_everyone_are_the_servers_to_grant(start_server: StartServer) -> None:
    server = await start_server(mention_all_max=2)
    ada = await register(server.url, "ada")  # the first account: an admin
    bob = await register(server.url, "bob")
    small = await send(bob, "@room hello", "m1")
    assert small["mentions_all"] == "room"  # general has 2 members: within the limit
    carol = await register(server.url, "carol")
    big = await send(bob, "@here hello", "m2")
    assert "mentions_all" not in big and big["body"] == "@here hello"
    assert (await send(ada, "@here from the admin", "m3"))["mentions_all"] == "here"
    edited = await bob.ok("edit_message", room="general", seq=small["seq"], body="hello all")
    assert "mentions_all" not in edited["message"]
    for client in (ada, bob, carol):
        await client.close()
