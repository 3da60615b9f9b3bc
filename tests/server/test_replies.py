"""Replies, history around a message, and search for messages with files, through real
connections to a real server."""

from __future__ import annotations

from tests.files.support import upload
from tests.server.conftest import RunningServer
from tests.server.support import WsClient, register


async def send(
    client: WsClient, body: str, cid: str, room: str = "general", **more: object
) -> dict:
    return (await client.ok("send", room=room, body=body, client_msg_id=cid, **more))["message"]


async def test_a_reply_quotes_the_original_as_it_is_when_read(server: RunningServer) -> None:
    ada = await register(server.url, "ada")
    bob = await register(server.url, "bob")
    original = await send(bob, "x" * 250, "o1")
    reply = await send(ada, "agreed", "r1", reply_to=original["seq"])
    quote = {"seq": original["seq"], "sender": "bob", "excerpt": "x" * 200, "deleted": False}
    assert reply["reply_to"] == quote
    event = await bob.message("general", "agreed")
    assert event["reply_to"] == quote
    # The original edited, then deleted: every read shows it as it is then.
    await bob.ok("edit_message", room="general", seq=original["seq"], body="shorter now")
    page = (await ada.ok("history", room="general"))["messages"]
    assert page[-1]["reply_to"]["excerpt"] == "shorter now"
    await bob.ok("delete_message", room="general", seq=original["seq"])
    synced = (await ada.ok("sync", since={"general": reply["seq"] - 1}))["messages"]
    assert synced[0]["reply_to"] == {
        "seq": original["seq"],
        "sender": "bob",
        "excerpt": "",
        "deleted": True,
    }
    found = (await ada.ok("search", query="agreed"))["messages"]
    assert found[0]["reply_to"]["deleted"] is True
    await ada.close()
    await bob.close()


async def test_a_retried_reply_returns_the_same_message(server: RunningServer) -> None:
    ada = await register(server.url, "ada")
    first = await send(ada, "root", "o1")
    reply = await send(ada, "re", "r1", reply_to=first["seq"])
    # Retried, even once the original is gone: the stored reply, not a refusal.
    await ada.ok("delete_message", room="general", seq=first["seq"])
    again = await send(ada, "re", "r1", reply_to=first["seq"])
    assert again["seq"] == reply["seq"]
    assert again["reply_to"]["deleted"] is True
    texts = [m for m in (await ada.ok("history", room="general"))["messages"] if m["body"] == "re"]
    assert len(texts) == 1
    await ada.close()


async def test_what_cannot_be_replied_to(server: RunningServer) -> None:
    ada = await register(server.url, "ada")
    joined = (await ada.ok("history", room="general"))["messages"][-1]
    assert joined["kind"] == "system"
    gone = await send(ada, "soon gone", "g")
    await ada.ok("delete_message", room="general", seq=gone["seq"])
    reply = await ada.error(
        "send", "not_found", room="general", body="?", client_msg_id="a", reply_to=999
    )
    assert "999" in reply["message"]
    await ada.error(
        "send", "invalid", room="general", body="?", client_msg_id="b", reply_to=joined["seq"]
    )
    reply = await ada.error(
        "send", "invalid", room="general", body="?", client_msg_id="c", reply_to=gone["seq"]
    )
    assert "deleted" in reply["message"]
    # A message of another room is not one of this room's.
    await ada.ok("create_room", name="elsewhere")
    other = await send(ada, "there", "t", room="elsewhere")
    high = other["seq"] + 50
    await ada.error("send", "not_found", room="general", body="?", client_msg_id="d", reply_to=high)
    await ada.close()


async def test_history_around_a_message(server: RunningServer) -> None:
    ada = await register(server.url, "ada")
    sent = [await send(ada, f"m{i}", f"c{i}") for i in range(30)]
    target = sent[15]["seq"]
    reply = await ada.ok("history", room="general", around=target, limit=9)
    seqs = [m["seq"] for m in reply["messages"]]
    assert seqs == list(range(target - 4, target + 5))
    assert (reply["more"], reply["more_after"]) == (True, True)
    # Near the start of the room: fewer before, more after.
    first = await ada.ok("history", room="general", around=1, limit=6)
    assert [m["seq"] for m in first["messages"]] == [1, 2, 3, 4, 5, 6]
    assert (first["more"], first["more_after"]) == (False, True)
    # Near the end: what there is after, nothing more.
    last = sent[-1]["seq"]
    end = await ada.ok("history", room="general", around=last, limit=10)
    assert [m["seq"] for m in end["messages"]] == list(range(last - 4, last + 1))
    assert (end["more"], end["more_after"]) == (True, False)
    plain = await ada.ok("history", room="general", limit=3)
    assert plain["more_after"] is False
    reply = await ada.error("history", "invalid", room="general", before=10, around=5)
    assert "not both" in reply["message"]
    await ada.close()


async def test_search_for_messages_with_files(server: RunningServer) -> None:
    ada = await register(server.url, "ada")
    assert ada.token is not None
    _, file = await upload(server, ada.token, b"minutes of the meeting", "minutes.txt")
    await send(ada, "meeting notes attached", "f1", attachments=[file["id"]])
    await send(ada, "meeting at noon", "f2")
    await send(ada, "", "f3", attachments=[file["id"]])
    both = (await ada.ok("search", query="meeting"))["messages"]
    assert {m["body"] for m in both} == {"meeting notes attached", "meeting at noon"}
    files = (await ada.ok("search", query="meeting", has_file=True))["messages"]
    assert [m["body"] for m in files] == ["meeting notes attached"]
    # `has:file` alone: every message with files, newest first.
    alone = await ada.ok("search", query="", has_file=True)
    assert [m["body"] for m in alone["messages"]] == ["", "meeting notes attached"]
    assert alone["highlights"] == [[], []]
    await ada.error("search", "invalid", query="")
    await ada.close()
