"""Sending, history, sync, typing and deletion through real connections."""

from __future__ import annotations

import asyncio

from tests.server.conftest import RunningServer, StartServer
from tests.server.support import WsClient, login, register


async def test_send_is_committed_and_fanned_out_in_seq_order(server: RunningServer) -> None:
    clients = [await register(server.url, f"user{i}") for i in range(5)]
    base = (await clients[0].ok("rooms"))["rooms"][0]["last_seq"]
    sent = []
    for i in range(20):
        sender = clients[i % 5]
        reply = await sender.ok("send", room="general", body=f"m{i}", client_msg_id=f"c{i}")
        sent.append(reply["message"])
    assert [m["seq"] for m in sent] == list(range(base + 1, base + 21))
    for client in clients:
        for i in range(20):
            message = await client.message("general", f"m{i}")
            assert message == sent[i]
        assert [m for m in client.messages("general") if m["kind"] == "text"] == []
    for client in clients:
        await client.close()


async def test_retry_with_same_client_msg_id_returns_the_stored_message(
    server: RunningServer,
) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    first = (await alice.ok("send", room="general", body="once", client_msg_id="dup"))["message"]
    again = (await alice.ok("send", room="general", body="once", client_msg_id="dup"))["message"]
    assert again == first
    await bob.message("general", "once")
    await alice.ok("send", room="general", body="after", client_msg_id="next")
    await bob.message("general", "after")
    assert bob.messages("general", kind="text") == []  # "once" arrived exactly one time
    history = (await bob.ok("history", room="general"))["messages"]
    assert [m["body"] for m in history].count("once") == 1
    await alice.close()
    await bob.close()


async def test_sender_is_always_the_session_user(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    reply = await bob.ok(
        "send", room="general", body="I am alice", client_msg_id="x", sender="alice"
    )
    assert reply["message"]["sender"] == "bob"
    assert (await alice.message("general", "I am alice"))["sender"] == "bob"
    await alice.close()
    await bob.close()


async def test_bodies(start_server: StartServer) -> None:
    server = await start_server(max_body=50)
    alice = await register(server.url, "alice")
    assert alice.hello["max_body"] == 50
    await alice.error("send", "invalid", room="general", body="x" * 51, client_msg_id="1")
    await alice.error("send", "invalid", room="general", body=" \n\t ", client_msg_id="2")
    text = "héllo 👋🏽 مرحبا 你好 <b>&amp;</b>\nsecond line"
    reply = await alice.ok("send", room="general", body=f"  {text}\r\n", client_msg_id="3")
    assert reply["message"]["body"] == text
    assert (await alice.message("general", text))["body"] == text
    await alice.ok("send", room="general", body="🎉" * 50, client_msg_id="4")
    await alice.close()


async def test_history_pages_backwards(start_server: StartServer) -> None:
    server = await start_server(rate_limit=0)
    alice = await register(server.url, "alice")
    for i in range(1, 121):
        await alice.ok("send", room="general", body=f"n{i}", client_msg_id=f"c{i}")
    # seq 1 is "alice joined"; n1..n120 are seqs 2..121
    page = await alice.ok("history", room="general", before=None, limit=50)
    assert [m["seq"] for m in page["messages"]] == list(range(72, 122))
    assert page["more"] is True
    page = await alice.ok("history", room="general", before=72, limit=50)
    assert [m["seq"] for m in page["messages"]] == list(range(22, 72))
    page = await alice.ok("history", room="general", before=22, limit=50)
    assert [m["seq"] for m in page["messages"]] == list(range(1, 22))
    assert page["more"] is False
    assert (await alice.ok("history", room="general", before=1))["messages"] == []
    await alice.error("history", "bad_request", room="general", limit=1000)
    await alice.close()


async def test_sync_returns_exactly_what_was_missed(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    await alice.ok("create_room", name="side")
    await bob.ok("join", room="side")
    await alice.ok("send", room="general", body="before", client_msg_id="a0")
    seen = (await bob.message("general", "before"))["seq"]
    side_seen = (await bob.ok("history", room="side"))["messages"][-1]["seq"]
    token = bob.token
    await bob.close()
    for i in range(5):
        await alice.ok("send", room="general", body=f"missed {i}", client_msg_id=f"g{i}")
    for i in range(3):
        await alice.ok("send", room="side", body=f"side {i}", client_msg_id=f"s{i}")
    bob = await WsClient.connect(server.url)
    await bob.ok("resume", token=token)
    reply = await bob.ok("sync", since={"general": seen, "side": side_seen})
    bodies = [(m["room"], m["body"]) for m in reply["messages"]]
    assert bodies == [("general", f"missed {i}") for i in range(5)] + [
        ("side", f"side {i}") for i in range(3)
    ]
    assert reply["more"] == []
    # paging a long absence
    reply = await bob.ok("sync", since={"general": seen}, limit=2)
    assert [m["body"] for m in reply["messages"]] == ["missed 0", "missed 1"]
    assert reply["more"] == ["general"]
    # rooms one is not in are skipped, not leaked
    hidden = (await alice.ok("create_room", name="hidden", private=True))["room"]["id"]
    await alice.ok("send", room=hidden, body="private", client_msg_id="h1")
    assert (await bob.ok("sync", since={hidden: 0}))["messages"] == []
    await alice.close()
    await bob.close()


async def test_typing_reaches_the_room(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    await alice.ok("typing", room="general")
    event = await bob.event("typing", room="general")
    assert event["user"] == "alice"
    for _ in range(5):  # a typing storm is relayed once per interval
        await alice.ok("typing", room="general")
    await alice.ok("ping")
    await bob.ok("ping")
    assert [f for f in bob.events if f["type"] == "typing"] == []
    await alice.error("typing", "not_found", room="nowhere")
    await alice.close()
    await bob.close()


async def test_delete_message(server: RunningServer) -> None:
    alice = await register(server.url, "alice")  # admin: first account
    bob = await register(server.url, "bob")
    carol = await register(server.url, "carol")
    mine = (await bob.ok("send", room="general", body="oops", client_msg_id="b1"))["message"]
    theirs = (await carol.ok("send", room="general", body="mine", client_msg_id="c1"))["message"]
    await bob.error("delete_message", "forbidden", room="general", seq=theirs["seq"])
    await bob.ok("delete_message", room="general", seq=mine["seq"])
    event = await carol.event("message_deleted", room="general")
    assert event["seq"] == mine["seq"]
    await alice.ok("delete_message", room="general", seq=theirs["seq"])
    await alice.error("delete_message", "not_found", room="general", seq=9999)
    history = {m["seq"]: m for m in (await carol.ok("history", room="general"))["messages"]}
    assert history[mine["seq"]]["deleted"] is True and history[mine["seq"]]["body"] == ""
    assert history[theirs["seq"]]["deleted"] is True
    for client in (alice, bob, carol):
        await client.close()


async def test_sync_replays_edits_and_deletions_made_while_away(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    sent = [
        (await alice.ok("send", room="general", body=f"m{i}", client_msg_id=f"a{i}"))["message"]
        for i in range(4)
    ]
    await bob.message("general", "m3")
    seen = sent[-1]["seq"]
    # a client new to the room learns the room's change number, and nothing else
    first = await bob.ok("sync", since={"general": seen})
    assert first["changed"] == [] and first["changes"] == {"general": 0}
    token = bob.token
    await bob.close()
    await alice.ok("delete_message", room="general", seq=sent[1]["seq"])
    await alice.ok("edit_message", room="general", seq=sent[2]["seq"], body="m2, edited")
    later = (await alice.ok("send", room="general", body="m4", client_msg_id="a4"))["message"]
    await alice.ok("edit_message", room="general", seq=later["seq"], body="m4, edited")
    bob = await WsClient.connect(server.url)
    await bob.ok("resume", token=token)
    reply = await bob.ok("sync", since={"general": seen}, changes={"general": 0})
    # changed at or before `since`: listed in change order; after it: the message itself
    assert [(m["seq"], m["body"], m["deleted"]) for m in reply["changed"]] == [
        (sent[1]["seq"], "", True),
        (sent[2]["seq"], "m2, edited", False),
    ]
    assert reply["changed"][1]["edited_ts"] is not None
    assert [(m["seq"], m["body"]) for m in reply["messages"]] == [(later["seq"], "m4, edited")]
    assert reply["changes"] == {"general": 3}
    # up to date: nothing more
    again = await bob.ok("sync", since={"general": later["seq"]}, changes=reply["changes"])
    assert again["changed"] == [] and again["messages"] == [] and again["changes"] == {"general": 3}
    rooms = {r["id"]: r for r in (await bob.ok("rooms"))["rooms"]}
    assert rooms["general"]["last_change"] == 3
    await alice.close()
    await bob.close()


async def test_only_the_sender_edits_and_everyone_sees_it(server: RunningServer) -> None:
    admin = await register(server.url, "admin")
    bob = await register(server.url, "bob")
    mine = (await bob.ok("send", room="general", body="teh plan", client_msg_id="b1"))["message"]
    edited = (await bob.ok("edit_message", room="general", seq=mine["seq"], body=" the plan "))[
        "message"
    ]
    assert (edited["body"], edited["seq"], edited["client_msg_id"]) == (
        "the plan",
        mine["seq"],
        "b1",
    )
    assert edited["edited_ts"] >= mine["ts"]
    event = await admin.event("message_edited")
    assert event["message"] == edited
    # the same body again changes nothing and tells nobody
    same = await bob.ok("edit_message", room="general", seq=mine["seq"], body="the plan")
    assert same["message"] == edited
    await admin.error("edit_message", "forbidden", room="general", seq=mine["seq"], body="x")
    await bob.error("edit_message", "not_found", room="general", seq=1, body="x")  # system
    await bob.error("edit_message", "not_found", room="general", seq=999, body="x")
    await bob.error("edit_message", "invalid", room="general", seq=mine["seq"], body="  ")
    await admin.ok("mute", user="bob", seconds=60)
    await bob.error("edit_message", "muted", room="general", seq=mine["seq"], body="sneaky")
    await admin.ok("mute", user="bob", seconds=0)
    await bob.ok("delete_message", room="general", seq=mine["seq"])
    await bob.error("edit_message", "not_found", room="general", seq=mine["seq"], body="back")
    history = await admin.ok("history", room="general")
    assert next(m for m in history["messages"] if m["seq"] == mine["seq"])["body"] == ""
    assert [e for e in admin.events if e["type"] == "message_edited"] == []
    for client in (admin, bob):
        await client.close()


async def test_rate_limit_answers_without_disconnecting(start_server: StartServer) -> None:
    server = await start_server(rate_limit=1.0, rate_burst=3)
    alice = await register(server.url, "alice")
    replies = [
        await alice.request("send", room="general", body=f"b{i}", client_msg_id=f"r{i}")
        for i in range(6)
    ]
    # a burst of 3, one of which `register` took
    assert [r["type"] for r in replies[:2]] == ["ok"] * 2
    limited = [r for r in replies[2:] if r["type"] == "error"]
    assert limited and all(r["code"] == "rate_limited" for r in limited)
    assert all(0 < r["retry_after"] <= 1.0 for r in limited)
    await alice.ok("ping")
    await alice.close()


async def test_read_markers_follow_the_user_across_connections(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    laptop = await register(server.url, "bob")
    phone = await login(server.url, "bob")
    for i in range(3):
        await alice.ok("send", room="general", body=f"m{i}", client_msg_id=f"a{i}")
    last = (await laptop.message("general", "m2"))["seq"]
    assert (await laptop.ok("rooms"))["read"] == {}
    await laptop.ok("mark_read", room="general", seq=last)
    for client in (laptop, phone):  # every connection of the user hears of it
        assert (await client.event("read", room="general"))["seq"] == last
    assert [e for e in alice.events if e["type"] == "read"] == []  # nobody else does
    assert (await phone.ok("rooms"))["read"] == {"general": last}
    # never backwards, never past the room's last message; no event when nothing moves
    await phone.ok("mark_read", room="general", seq=1)
    await phone.ok("mark_read", room="general", seq=last + 100)
    await phone.ok("ping")
    assert [e for e in phone.events if e["type"] == "read"] == []
    assert (await laptop.ok("rooms"))["read"] == {"general": last}
    # rooms one is not in
    hidden = (await alice.ok("create_room", name="hidden", private=True))["room"]["id"]
    await alice.ok("create_room", name="open")
    await laptop.error("mark_read", "not_found", room=hidden, seq=1)
    await laptop.error("mark_read", "not_member", room="open", seq=1)
    await laptop.error("mark_read", "not_found", room="nowhere", seq=1)
    for client in (alice, laptop, phone):
        await client.close()


async def test_search_sees_only_the_users_rooms(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    hidden = (await alice.ok("create_room", name="hidden", private=True))["room"]["id"]
    await alice.ok("send", room=hidden, body="the launch code is 1234", client_msg_id="h")
    await alice.ok("send", room="general", body="Launch at noon", client_msg_id="g1")
    await alice.ok("send", room="general", body="lunch first", client_msg_id="g2")
    found = await bob.ok("search", query="  LAUNCH ")
    assert [(m["room"], m["body"]) for m in found["messages"]] == [("general", "Launch at noon")]
    assert found["more"] is False
    mine = await alice.ok("search", query="launch", limit=1)
    assert [m["body"] for m in mine["messages"]] == ["Launch at noon"] and mine["more"] is True
    assert len((await alice.ok("search", query="launch", room=hidden))["messages"]) == 1
    await bob.error("search", "not_found", query="launch", room=hidden)
    await bob.error("search", "invalid", query=" a ")
    await bob.error("search", "bad_request", query="x" * 201)
    for client in (alice, bob):
        await client.close()


async def test_search_pages_marks_and_narrows(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    for n in range(5):
        await alice.ok("send", room="general", body=f"Report {n}: all good", client_msg_id=f"a{n}")
    await bob.ok("send", room="general", body="my report, part two", client_msg_id="b")
    first = await bob.ok("search", query="REPORT", limit=2)
    assert first["words"] == ["REPORT"]
    assert [m["body"] for m in first["messages"]] == ["my report, part two", "Report 4: all good"]
    assert first["highlights"] == [[[3, 9]], [[0, 6]]]
    assert first["more"] is True and first["next"]
    seen = [m["body"] for m in first["messages"]]
    cursor = first["next"]
    while cursor:
        page = await bob.ok("search", query="report", limit=2, cursor=cursor)
        seen += [m["body"] for m in page["messages"]]
        cursor = page["next"]
    assert seen == ["my report, part two"] + [f"Report {n}: all good" for n in reversed(range(5))]
    # words in any order, a sender, a time window
    assert len((await bob.ok("search", query="good report"))["messages"]) == 5
    assert len((await bob.ok("search", query="report", sender="BOB"))["messages"]) == 1
    last = first["messages"][1]["ts"]
    assert len((await bob.ok("search", query="report", since=last + 1))["messages"]) <= 1
    await bob.error("search", "invalid", query="report", cursor="nonsense")
    await bob.error("search", "invalid", query="!!")
    for client in (alice, bob):
        await client.close()


async def test_searches_wait_their_turn_and_overflow_is_refused(
    start_server: StartServer,
) -> None:
    server = await start_server(search_concurrency=1, search_waiting=1)
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    cat = await register(server.url, "cat")
    await alice.ok("send", room="general", body="needle", client_msg_id="n")
    turns = server.ctx.searches
    async with turns.turn():  # a search running: the next waits, the one after is refused
        waiting = asyncio.ensure_future(bob.request("search", query="needle"))
        while turns.waiting == 0:  # noqa: ASYNC110 - the server is in this process
            await asyncio.sleep(0.01)
        busy = await cat.error("search", "rate_limited", query="needle")
        assert busy["retry_after"] == 1.0
        # a send is not held up by searches
        await alice.ok("send", room="general", body="still sending", client_msg_id="s")
    assert len((await waiting)["messages"]) == 1
    for client in (alice, bob, cat):
        await client.close()
