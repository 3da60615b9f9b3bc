"""A connection's requests run one at a time, in order, while its frames keep being read:
a slow request never makes the heartbeat cut a client that answers, a client that
pipelines too much is told so, and a disconnect or a shutdown loses nothing that was
acknowledged. Real server, real SQLite file; a request is made slow by holding
SQLite's write lock from another connection, as another process writing would."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from chinwag.server.connection import Connection
from chinwag.server.inbox import MAX_BACKLOG
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import RawWs, WriteLock, register

HEARTBEAT = 1.0


def database(server: RunningServer) -> Path:
    return server.ctx.config.data_dir / "chinwag.db"


def stored(server: RunningServer, body: str) -> int:
    """Copies of a message with this body in the database file."""
    with sqlite3.connect(database(server)) as db:
        (count,) = db.execute("SELECT count(*) FROM messages WHERE body = ?", (body,)).fetchone()
    return int(count)


async def server_side(server: RunningServer, username: str) -> Connection:
    for _ in range(500):
        for conn in server.ctx.hub.connections:
            if conn.username == username:
                return conn
        await asyncio.sleep(0.01)
    raise AssertionError(f"{username} is not connected")


async def until(check: Callable[[], object], what: str) -> None:
    """Wait (bounded) until `check()` is true."""
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still not {what}")


def request(rid: str, type_: str, **fields: object) -> bytes:
    return json.dumps({"type": type_, "id": rid, **fields}).encode()


async def read_so_far(raw: RawWs) -> None:
    """Return once the server has read every frame sent before: it answers a ping in
    the order frames come, whatever request runs."""
    await raw.send(b"barrier", opcode=0x9)
    while await raw.recv_frame() != (0xA, b"barrier"):
        pass


async def reply(raw: RawWs) -> dict[str, object]:
    """The next reply (`ok` or `error`), past any events."""
    while (frame := await raw.recv())["type"] not in ("ok", "error"):
        pass
    return frame


async def test_a_request_slower_than_the_heartbeat_keeps_a_client_that_answers(
    start_server: StartServer,
) -> None:
    server = await start_server(heartbeat=HEARTBEAT)
    alice = await register(server.url, "alice")  # aiohttp answers pings by itself
    conn = await server_side(server, "alice")
    lock = WriteLock(database(server))
    try:
        send = asyncio.create_task(
            alice.request("send", room="general", body="patience", client_msg_id="p1")
        )
        await asyncio.sleep(HEARTBEAT * 3)  # the send waits for the lock all along
        assert not send.done()
        assert not alice.closed.is_set()
        assert conn.ping_at > 0  # the heartbeat did ping, and heard the pong
        assert conn in server.ctx.hub.connections
    finally:
        lock.release()
    reply = await send
    assert reply["type"] == "ok" and reply["message"]["body"] == "patience"
    assert (await alice.request("ping"))["type"] == "ok"
    assert stored(server, "patience") == 1
    await alice.close()


async def test_pings_are_answered_while_a_request_runs(start_server: StartServer) -> None:
    server = await start_server()
    raw = await RawWs.connect(server.url)
    assert (await raw.request("register", username="bob", password="correct horse"))["type"]
    lock = WriteLock(database(server))
    try:
        await raw.send(request("s1", "send", room="general", body="wait", client_msg_id="w"))
        await until(lambda: server.ctx.inflight == 1, "running")
        await raw.send(b"are you there", opcode=0x9)
        assert await raw.recv_frame() == (0xA, b"are you there")
    finally:
        lock.release()
    assert (await reply(raw))["id"] == "s1"
    await raw.close()


async def test_replies_come_in_request_order_bad_frames_included(
    start_server: StartServer,
) -> None:
    server = await start_server()
    raw = await RawWs.connect(server.url)
    assert (await raw.request("register", username="mixed", password="correct horse"))["type"]
    lock = WriteLock(database(server))
    try:
        await raw.send(request("s", "send", room="general", body="slow", client_msg_id="s"))
        await until(lambda: server.ctx.inflight == 1, "running")
        await raw.send(b"this is not json")
        await raw.send(request("h", "history", room="general", limit="ten"))
        await raw.send(request("p", "ping"))
        await read_so_far(raw)
    finally:
        lock.release()
    answers = [await reply(raw) for _ in range(4)]
    assert [(a["type"], a["id"], a.get("code")) for a in answers] == [
        ("ok", "s", None),
        ("error", None, "bad_request"),
        ("error", "h", "bad_request"),
        ("ok", "p", None),
    ]
    await raw.close()


async def test_requests_past_the_backlog_bound_are_refused_in_order(
    start_server: StartServer,
) -> None:
    server = await start_server(flood_limit=0)
    raw = await RawWs.connect(server.url)
    assert (await raw.request("register", username="piper", password="correct horse"))["type"]
    conn = await server_side(server, "piper")
    lock = WriteLock(database(server))
    extra = 5
    try:
        await raw.send(request("s", "send", room="general", body="first", client_msg_id="f"))
        await until(lambda: server.ctx.inflight == 1, "running")
        for i in range(MAX_BACKLOG + extra):
            await raw.send(request(f"p{i}", "ping"))
        # The excess is refused at once, in order, while the send still waits.
        for i in range(MAX_BACKLOG, MAX_BACKLOG + extra):
            refusal = await reply(raw)
            assert refusal["type"] == "error" and refusal["id"] == f"p{i}", refusal
            assert refusal["code"] == "rate_limited" and refusal["retry_after"] > 0
        assert len(conn.backlog or ()) == MAX_BACKLOG
    finally:
        lock.release()
    first = await reply(raw)
    assert (first["type"], first["id"]) == ("ok", "s")
    for i in range(MAX_BACKLOG):  # then every request taken, in order
        answer = await reply(raw)
        assert (answer["type"], answer["id"]) == ("ok", f"p{i}"), answer
    assert (await raw.request("ping"))["type"] == "ok"  # still connected
    # Idle again: no task, no queue held for the connection.
    await until(lambda: conn.worker is None and conn.backlog is None, "idle")
    assert stored(server, "first") == 1
    await raw.close()


async def test_a_disconnect_lets_the_running_request_finish_then_logs_out(
    start_server: StartServer,
) -> None:
    server = await start_server()
    witness = await register(server.url, "witness")
    raw = await RawWs.connect(server.url)
    assert (await raw.request("register", username="leaver", password="correct horse"))["type"]
    await witness.event("presence", user="leaver", online=True)
    conn = await server_side(server, "leaver")
    lock = WriteLock(database(server))
    try:
        await raw.send(request("a", "send", room="general", body="in flight", client_msg_id="a"))
        await until(lambda: server.ctx.inflight == 1, "running")
        await raw.send(request("b", "send", room="general", body="queued", client_msg_id="b"))
        await read_so_far(raw)
        raw.abort()
        await until(lambda: conn.closing, "seen as gone")
        # Still logged in: the logout waits for the send that is running.
        assert server.ctx.hub.is_online("leaver")
    finally:
        lock.release()
    await witness.event("presence", user="leaver", online=False)
    assert stored(server, "in flight") == 1  # committed, as the client may have seen
    assert stored(server, "queued") == 0  # never handled
    await until(lambda: conn not in server.ctx.hub.connections, "removed")
    await witness.close()


async def test_shutdown_lets_the_running_request_finish_and_refuses_the_queued(
    start_server: StartServer,
) -> None:
    server = await start_server()
    raw = await RawWs.connect(server.url)
    assert (await raw.request("register", username="late", password="correct horse"))["type"]
    lock = WriteLock(database(server))
    try:
        await raw.send(request("a", "send", room="general", body="before", client_msg_id="a"))
        await until(lambda: server.ctx.inflight == 1, "running")
        await raw.send(request("b", "send", room="general", body="after", client_msg_id="b"))
        await raw.send(request("c", "ping"))
        await read_so_far(raw)
        closing = asyncio.create_task(server.close())
        await until(lambda: server.ctx.stopping, "stopping")
    finally:
        lock.release()
    replies = {}
    while True:
        frame = await raw.recv()
        if frame["type"] == "_close":
            assert frame["code"] == 1012
            break
        if frame.get("id"):
            replies[frame["id"]] = (frame["type"], frame.get("code"))
    await closing
    assert replies == {
        "a": ("ok", None),
        "b": ("error", "unavailable"),
        "c": ("error", "unavailable"),
    }
    assert stored(server, "before") == 1 and stored(server, "after") == 0
    await raw.close()
