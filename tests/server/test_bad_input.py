"""Bad input: each case gets a clear error or closes only that connection; the server
keeps serving everyone else and loses nothing."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from tests.server.conftest import RunningServer, StartServer
from tests.server.support import RawWs, WsClient, register


async def _still_serving(server: RunningServer, witness: WsClient, tag: str) -> None:
    """The rest of the server works: a message from a fresh user reaches the witness."""
    probe = await register(server.url, f"probe{tag}")
    await probe.ok("send", room="general", body=f"alive {tag}", client_msg_id=tag)
    await witness.message("general", f"alive {tag}")
    await probe.close()


@pytest.mark.parametrize(
    ("frame", "code", "rid"),
    [
        ("this is not json", "bad_request", None),
        ("{", "bad_request", None),
        ("[1, 2, 3]", "bad_request", None),
        ('"just a string"', "bad_request", None),
        ('{"id": "1"}', "bad_request", "1"),
        ('{"type": 7, "id": "2"}', "bad_request", "2"),
        ('{"type": "fly", "id": "3"}', "unknown_type", "3"),
        ('{"type": "send", "id": "4", "room": "general"}', "bad_request", "4"),
        (
            '{"type": "send", "id": "5", "room": 1, "body": "x", "client_msg_id": "c"}',
            "bad_request",
            "5",
        ),
        ('{"type": "history", "id": "6", "room": "general", "limit": "ten"}', "bad_request", "6"),
        ('{"type": "ping", "id": 42}', "bad_request", None),
    ],
)
async def test_malformed_frames_get_errors(
    server: RunningServer, frame: str, code: str, rid: str | None
) -> None:
    alice = await register(server.url, "alice")
    await alice.send_raw(frame)
    error = await alice.event("error")
    assert error["code"] == code and error["id"] == rid
    assert error["message"]
    await alice.ok("ping")  # the same connection goes on
    await alice.ok("send", room="general", body="after", client_msg_id="ok1")
    await alice.close()


async def test_wrong_field_types_name_the_field(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    reply = await alice.request("send", room="general", body=["x"], client_msg_id="c")
    assert reply["code"] == "bad_request" and reply["message"].startswith("`body` ")
    await alice.close()


async def test_oversized_frame_closes_only_that_connection(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    witness = await register(server.url, "witness")
    big = json.dumps(
        {
            "type": "send",
            "id": "1",
            "room": "general",
            "body": "x" * 1_000_000,
            "client_msg_id": "b",
        }
    )
    await alice.send_raw(big)
    assert await alice.wait_closed() == 1009
    await _still_serving(server, witness, "big")
    history = (await witness.ok("history", room="general"))["messages"]
    assert all(len(m["body"]) < 1000 for m in history)
    await alice.close()
    await witness.close()


async def test_binary_frame_closes_with_unsupported_data(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    witness = await register(server.url, "witness")
    await alice.send_raw(b'{"type": "ping", "id": "1"}')
    assert await alice.wait_closed() == 1003
    await _still_serving(server, witness, "bin")
    await alice.close()
    await witness.close()


async def test_invalid_utf8_closes_with_invalid_payload(server: RunningServer) -> None:
    witness = await register(server.url, "witness")
    raw = await RawWs.connect(server.url)
    await raw.send(b'{"type": "ping", "id": "\xff\xfe"}')
    closing = await raw.recv()
    assert closing["type"] == "_close" and closing["code"] == 1007
    await raw.close()
    await _still_serving(server, witness, "utf8")
    await witness.close()


async def test_send_before_login_and_to_a_room_not_joined(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    await alice.ok("create_room", name="closed club")
    stranger = await WsClient.connect(server.url)
    await stranger.error("send", "not_authenticated", room="general", body="x", client_msg_id="1")
    bob = await register(server.url, "bob")
    await bob.error("send", "not_member", room="closed-club", body="x", client_msg_id="1")
    history = (await alice.ok("history", room="closed-club"))["messages"]
    assert [m["kind"] for m in history] == ["system"]
    for client in (alice, stranger, bob):
        await client.close()


async def test_burst_of_500_requests(start_server: StartServer) -> None:
    """Each request is answered (ok or rate_limited) until the flood limit closes the
    connection; every acknowledged message is stored, nothing else is."""
    server = await start_server(rate_limit=5.0, rate_burst=10, flood_limit=50.0, flood_burst=200)
    flooder = await register(server.url, "flooder")
    witness = await register(server.url, "witness")
    frames = [
        json.dumps(
            {
                "type": "send",
                "id": f"f{i}",
                "room": "general",
                "body": f"flood {i}",
                "client_msg_id": f"f{i}",
            }
        )
        for i in range(500)
    ]
    for frame in frames:
        if flooder.closed.is_set():
            break
        try:
            await flooder.send_raw(frame)
        except ConnectionError:
            break
    code = await flooder.wait_closed()
    assert code == 4003
    replies = [f for f in flooder.events if f.get("type") in ("ok", "error")]
    acked = [f["message"]["body"] for f in replies if f["type"] == "ok"]
    codes = {f["code"] for f in replies if f["type"] == "error"}
    # the burst of 10, less the one `register` took
    assert len(acked) >= 9 and codes == {"rate_limited"}
    assert len(replies) >= 190  # answered up to the flood limit
    await _still_serving(server, witness, "flood")
    stored = [
        m["body"]
        for m in (await witness.ok("history", room="general", limit=200))["messages"]
        if m["body"].startswith("flood ")
    ]
    assert stored == acked
    await flooder.close()
    await witness.close()


async def test_close_without_logout_goes_offline(server: RunningServer) -> None:
    witness = await register(server.url, "witness")
    raw = await RawWs.connect(server.url)
    assert (await raw.request("register", username="leaver", password="correct horse"))[
        "type"
    ] == "ok"
    await witness.event("presence", user="leaver", online=True)
    raw.abort()  # no close frame, no logout: the socket just goes
    await witness.event("presence", user="leaver", online=False)
    await _still_serving(server, witness, "abort")
    await witness.close()


async def test_half_sent_frame_then_dropped_socket(server: RunningServer) -> None:
    witness = await register(server.url, "witness")
    raw = await RawWs.connect(server.url)
    assert (await raw.request("register", username="halfway", password="correct horse"))[
        "type"
    ] == "ok"
    payload = json.dumps(
        {
            "type": "send",
            "id": "h",
            "room": "general",
            "body": "never complete",
            "client_msg_id": "h",
        }
    ).encode()
    frame = RawWs.frame(payload)
    raw.writer.write(frame[: len(frame) // 2])
    await raw.writer.drain()
    await asyncio.sleep(0.05)
    raw.abort()
    await witness.event("presence", user="halfway", online=False)
    await _still_serving(server, witness, "half")
    history = (await witness.ok("history", room="general"))["messages"]
    assert "never complete" not in [m["body"] for m in history]
    await witness.close()


async def test_slow_reader_is_dropped_and_never_slows_the_others(
    start_server: StartServer,
) -> None:
    server = await start_server(
        rate_limit=0, flood_limit=0, max_outgoing=64 * 1024, max_body=60_000
    )
    slow = await RawWs.connect(server.url, rcvbuf=4096)
    assert (await slow.request("register", username="slow", password="correct horse"))[
        "type"
    ] == "ok"
    fast = await register(server.url, "fast")
    sender = await register(server.url, "sender")
    body = "y" * 59_000
    sent = 0
    for i in range(500):  # bounded: at most 30 MB in all
        await sender.ok("send", room="general", body=f"{i} {body}", client_msg_id=f"s{i}")
        sent += 1
        await fast.message("general", f"{i} {body}")  # the fast reader keeps up throughout
        if server.ctx.metrics.queue_drops._value.get() >= 1:
            break
    assert server.ctx.metrics.queue_drops._value.get() == 1
    assert sent < 500
    print(f"slow reader dropped after {sent} messages of 60 kB")
    await sender.event("presence", user="slow", online=False)
    await _still_serving(server, fast, "slow")
    with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
        for _ in range(1000):  # its backlog was thrown away with the connection
            await slow.recv()
    slow.abort()
    await fast.close()
    await sender.close()


async def test_unauthenticated_http_upgrade_only_at_ws(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as session, session.get(server.http("/ws")) as response:
        assert response.status in (400, 426)
