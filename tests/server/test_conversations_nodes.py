"""Reactions, pins and thread summaries across two nodes sharing one database and one
bus (SQLite with the in-process bus, PostgreSQL with Redis), live and through `sync`
after a reconnection."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.server.support import WsClient, login, register
from tests.server.test_two_nodes import Nodes, nodes  # noqa: F401 (the fixture)

THUMBS = "\U0001f44d"


def counted(seq: int, count: int) -> Any:
    """A `message_updated` of message `seq` with `count` thumbs."""

    def match(frame: dict[str, Any]) -> bool:
        if frame["type"] != "message_updated" or frame["message"]["seq"] != seq:
            return False
        reactions = frame["message"].get("reactions", [])
        return any(r["emoji"] == THUMBS and r["count"] == count for r in reactions)

    return match


async def test_reactions_at_once_on_two_nodes_are_both_counted(nodes: Nodes) -> None:  # noqa: F811
    a, b = nodes
    ada = await register(a.url, "ada")
    bob = await register(b.url, "bob")
    cy = await register(a.url, "cy")
    seq = (await ada.ok("send", room="general", body="vote", client_msg_id="v"))["message"]["seq"]
    await bob.message("general", "vote")
    replies = await asyncio.gather(
        *(c.request("react", room="general", seq=seq, emoji=THUMBS) for c in (ada, bob, cy))
    )
    assert [r["type"] for r in replies] == ["ok"] * 3
    # Whichever committed last saw all three; every client, on either node, gets there.
    assert max(r["message"]["reactions"][0]["count"] for r in replies) == 3
    for client in (ada, bob, cy):
        final = await client.wait_for(counted(seq, 3))
        assert sorted(final["message"]["reactions"][0]["users"]) == ["ada", "bob", "cy"]
    stored = (await bob.ok("history", room="general"))["messages"]
    assert next(m for m in stored if m["seq"] == seq)["reactions"][0]["count"] == 3
    for client in (ada, bob, cy):
        await client.close()


async def test_pins_and_threads_reach_the_other_node(nodes: Nodes) -> None:  # noqa: F811
    a, b = nodes
    ada = await register(a.url, "ada")  # the first account: an admin
    bob = await register(b.url, "bob")
    root = (await bob.ok("send", room="general", body="agenda", client_msg_id="g"))["message"]
    await ada.message("general", "agenda")
    await ada.ok("pin", room="general", seq=root["seq"])
    pinned = await bob.wait_for(
        lambda f: f["type"] == "message_updated" and "pinned" in f["message"]
    )
    assert pinned["message"]["pinned"]["by"] == "ada"
    await bob.message("general", "ada pinned a message")
    assert [m["seq"] for m in (await bob.ok("pins", room="general"))["messages"]] == [root["seq"]]

    reply = await bob.ok(
        "send", room="general", body="item one", client_msg_id="t", thread=root["seq"]
    )
    summary = await ada.wait_for(
        lambda f: f["type"] == "message_updated" and "thread_summary" in f["message"]
    )
    assert summary["message"]["thread_summary"]["last_seq"] == reply["message"]["seq"]
    # A thread's read marker reaches the reader's connection on the other node.
    ada_on_b = await login(b.url, "ada")
    await ada.ok("mark_read", room="general", seq=reply["message"]["seq"], thread=root["seq"])
    marker = await ada_on_b.event("read", thread=root["seq"])
    assert marker["seq"] == reply["message"]["seq"]
    for client in (ada, bob, ada_on_b):
        await client.close()


async def test_a_client_back_on_the_other_node_syncs_what_changed(nodes: Nodes) -> None:  # noqa: F811
    a, b = nodes
    ada = await register(a.url, "ada")
    bob = await register(b.url, "bob")
    sent = await bob.ok("send", room="general", body="plans", client_msg_id="p")
    seq = sent["message"]["seq"]
    synced = await bob.ok("sync", since={"general": seq}, changes={"general": 0})
    marks = synced["changes"]
    await bob.close()
    # While bob is away: a reaction, a pin and a thread reply, all on node A.
    await ada.ok("react", room="general", seq=seq, emoji=THUMBS)
    await ada.ok("pin", room="general", seq=seq)
    await ada.ok("send", room="general", body="how?", client_msg_id="h", thread=seq)
    bob = await login(b.url, "bob")
    back: WsClient = bob
    caught = await back.ok("sync", since={"general": seq}, changes=marks)
    (changed,) = [m for m in caught["changed"] if m["seq"] == seq]
    assert changed["reactions"] == [{"emoji": THUMBS, "count": 1, "users": ["ada"]}]
    assert changed["pinned"]["by"] == "ada"
    assert changed["thread_summary"]["replies"] == 1
    assert [m["body"] for m in caught["messages"] if m["kind"] == "text"] == ["how?"]
    again = await back.ok("sync", since={"general": seq}, changes=caught["changes"])
    assert again["changed"] == []
    await ada.close()
    await back.close()
