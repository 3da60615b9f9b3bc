"""Abuse at the doors: each case an attacker would try, with the budget that stops it
and its figure (docs/reliability.md, "Abuse"). Clients come from many loopback
addresses (127.x.y.z), as from many machines; the login lock-out uses X-Forwarded-For
from a trusted proxy instead (tests/server/test_throttle.py has its rules)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from tests.reliability.conftest import Record
from tests.reliability.figures import scale
from tests.server.conftest import StartServer
from tests.server.support import WsClient, register
from tests.server.test_throttle import PASSWORD, connect, log_in

pytestmark = pytest.mark.reliability

#: Seconds a test allows beyond a deadline for the server to act on it (a functional
#: bound: without the deadline nothing would be closed at all).
SLACK = 3.0


def _addresses(count: int, block: int) -> list[str]:
    return [f"127.{block}.{n // 250}.{n % 250 + 1}" for n in range(count)]


async def _open_ws(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    return await session.ws_connect(url, autoping=True)


@pytest.mark.slow
async def test_connections_that_never_log_in_are_closed_at_the_deadline(
    start_server: StartServer, figure: Record
) -> None:
    held = scale(200, 1000)
    server = await start_server(login_timeout=1.0, max_per_address=64)
    spread = held // 40  # 40 from each address: under max_per_address
    sessions = [
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(a, 0), limit=0))
        for a in _addresses(spread, 20)
    ]
    try:
        sockets = await asyncio.gather(
            *(_open_ws(sessions[n % spread], server.url) for n in range(held))
        )
        opened = time.monotonic()
        codes: Counter[int | None] = Counter()

        async def until_closed(ws: aiohttp.ClientWebSocketResponse) -> float:
            while (await ws.receive(timeout=10)).type not in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
            ):
                pass
            codes[ws.close_code] += 1
            return time.monotonic() - opened

        closing = asyncio.gather(*(until_closed(ws) for ws in sockets))
        user = await register(server.url, "worker")
        sent = await user.request("send", room="general", body="at work", client_msg_id="w")
        waited = await closing
        still = (await user.request("ping"))["type"]
        await user.close()
    finally:
        for session in sessions:
            await session.close()
    figure(
        "abuse",
        "connections that never log in (deadline 1 s)",
        held=held,
        closed_by_deadline=server.ctx.doors.refusals["login_timeout"],
        seen_1008=codes[1008],
        last_closed_s=round(max(waited), 2),
        user_sent=sent["type"],
        user_still_in=still,
    )
    assert server.ctx.doors.refusals["login_timeout"] == held
    # A client that reads sees why (1008); one whose unread frames the closing socket
    # discards (a reset) sees 1006. Alone, every client here sees 1008; after other
    # tests in the same process (the bus contract's, the client library's), a third to
    # two thirds see 1006, for a reason not yet found (the server's close never fails).
    assert set(codes) <= {1008, 1006} and codes[1008] > 0
    assert max(waited) < 1.0 + SLACK
    assert sent["type"] == "ok" and still == "ok"


async def test_one_address_cannot_take_every_connection(
    start_server: StartServer, figure: Record
) -> None:
    tries = scale(200, 1000)
    server = await start_server(max_per_address=64, max_anonymous=1000)
    connector = aiohttp.TCPConnector(local_addr=("127.21.0.1", 0), limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        sockets = []
        codes: Counter[int | None] = Counter()
        for _ in range(tries):
            ws = await _open_ws(session, server.url)
            msg = await ws.receive(timeout=10)
            if msg.type == aiohttp.WSMsgType.CLOSE:
                codes[ws.close_code] += 1
            else:
                sockets.append(ws)
        other = await WsClient.connect(server.url, local="127.21.0.2")
        other_ok = (await other.request("ping"))["type"]
        await other.close()
        for ws in sockets:
            await ws.close()
    figure(
        "abuse",
        "one address opening connections (cap 64)",
        tried=tries,
        held=len(sockets),
        refused_1013=codes[1013],
        other_address=other_ok,
    )
    assert len(sockets) == 64 and codes == {1013: tries - 64}
    assert other_ok == "ok"


async def test_slowloris_request_heads_are_cut(start_server: StartServer, figure: Record) -> None:
    count = scale(100, 500)
    server = await start_server(request_timeout=1.0, max_per_address=64)
    port = server.server.port
    started = time.monotonic()

    async def slow(address: str) -> tuple[bytes, float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
            answer = b""
            for n in range(40):
                with contextlib.suppress(ConnectionError):
                    writer.write(f"X-Drip-{n}: z\r\n".encode())
                    await writer.drain()
                try:
                    answer += await asyncio.wait_for(reader.read(4096), 0.25)
                except TimeoutError:
                    continue
                except ConnectionError:
                    # the server closed with our last lines unread: the reset can come
                    # before its 408 is read
                    answer = b"reset"
                if answer or reader.at_eof():
                    break
            return answer, time.monotonic() - started
        finally:
            writer.close()

    results = await asyncio.gather(*(slow(a) for a in _addresses(count, 22)))
    async with aiohttp.ClientSession() as session, session.get(server.http("/healthz")) as r:
        health = r.status
    cut = sum(1 for answer, _ in results if answer.startswith(b"HTTP/1.1 408 "))
    reset = sum(1 for answer, _ in results if answer == b"reset")
    longest = max(t for _, t in results)
    figure(
        "abuse",
        "slowloris: a header line every 0.25 s (deadline 1 s)",
        connections=count,
        cut_408=cut,
        cut_reset=reset,
        longest_held_s=round(longest, 2),
        healthz_meanwhile=health,
    )
    assert cut + reset == count and cut >= count // 2
    assert longest < 1.0 + SLACK
    assert health == 200


@pytest.mark.slow
async def test_guessers_never_lock_the_owner_out(start_server: StartServer, figure: Record) -> None:
    storm = float(scale(4, 15))
    server = await start_server(trusted_proxies="127.0.0.1")
    owner_at = "203.0.113.7"
    owner = await connect(server.url, owner_at)
    await owner.ok("register", username="ada", password=PASSWORD)
    await owner.close()
    guessers = [await connect(server.url, f"198.51.100.{i}") for i in range(1, 51)]
    replies: Counter[str] = Counter()
    stop = time.monotonic() + storm

    async def guess(client: WsClient, n: int) -> None:
        i = 0
        while time.monotonic() < stop:
            reply = await client.request("login", username="ada", password=f"guess-{n}-{i}")
            replies[reply["code"]] += 1
            i += 1
            await asyncio.sleep(0.05)

    async def owner_logs_in() -> list[float]:
        waits = []
        while time.monotonic() < stop - 0.5:
            await asyncio.sleep(0.5)
            began = time.monotonic()
            assert (await log_in(server.url, owner_at))["type"] == "ok"
            waits.append(time.monotonic() - began)
        return waits

    try:
        *_, waits = await asyncio.gather(
            *(guess(c, n) for n, c in enumerate(guessers)), owner_logs_in()
        )
    finally:
        for client in guessers:
            await client.close()
    figure(
        "abuse",
        f"50 addresses guessing one password for {storm:g} s",
        guesses=sum(replies.values()),
        checked=replies["auth_failed"],
        checked_per_s=round(replies["auth_failed"] / storm, 1),
        throttled=replies["throttled"],
        owner_logins=len(waits),
        owner_refused=0,
        owner_slowest_s=round(max(waits), 3),
    )
    assert set(replies) == {"auth_failed", "throttled"}
    assert waits and replies["auth_failed"] <= 60


async def test_deeply_nested_frames_get_bad_request(
    start_server: StartServer, figure: Record, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    frames = scale(100, 1000)
    server = await start_server(flood_limit=0.0)  # about nesting, not about the flood limit
    client = await WsClient.connect(server.url)
    codes: Counter[str] = Counter()
    for n in range(frames):
        depth = 1000 + n
        nested = "[" * depth + "]" * depth
        await client.send_raw(f'{{"type":"ping","id":"p{n}","x":{nested}}}')
        reply = await client.wait_for(lambda f, n=n: f.get("id") in (f"p{n}", None))
        codes[reply.get("code", "ok")] += 1
        client.events.clear()
    still = (await client.request("ping"))["type"]
    await client.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    figure(
        "abuse",
        "frames nested 1,000 deep and more, before login",
        frames=frames,
        bad_request=codes["bad_request"],
        closed=0 if still == "ok" else 1,
        errors_logged=len(errors),
    )
    assert codes == {"bad_request": frames}
    assert still == "ok" and not errors


async def test_mass_registration_and_room_creation_are_budgeted(
    start_server: StartServer, figure: Record
) -> None:
    accounts = scale(40, 200)
    rooms = scale(80, 300)
    # one request after another as fast as they are answered: the flood limit is off
    server = await start_server(registrations_per_hour=10, rooms_per_day=50, flood_limit=0.0)
    client = await WsClient.connect(server.url, local="127.23.0.1")
    outcome: Counter[str] = Counter()
    started = time.monotonic()
    for n in range(accounts):
        reply = await client.request("register", username=f"bulk{n}", password=PASSWORD)
        outcome[reply.get("code", "ok")] += 1
        if reply["type"] == "ok":
            await client.request("logout")
    registering = time.monotonic() - started
    await client.close()
    maker = await WsClient.connect(server.url, local="127.23.0.2")
    await maker.ok("register", username="maker", password=PASSWORD)
    made: Counter[str] = Counter()
    for n in range(rooms):
        reply = await maker.request("create_room", name=f"room {n}", private=n % 2 == 1)
        made[reply.get("code", "ok")] += 1
    listed = await maker.ok("rooms")
    size = len(json.dumps(listed))
    await maker.close()
    figure(
        "abuse",
        "one address registering, one account creating rooms",
        registrations_tried=accounts,
        registered=outcome["ok"],
        registrations_refused=outcome["rate_limited"],
        seconds=round(registering, 1),
        rooms_tried=rooms,
        rooms_created=made["ok"],
        rooms_refused=made["rate_limited"],
        rooms_reply_bytes=size,
    )
    assert outcome == {"ok": 10, "rate_limited": accounts - 10}
    assert made == {"ok": 50, "rate_limited": rooms - 50}


INVISIBLE = ["\u3164", "\u2800", "\u115f", "a\uffff", "\ue000", "\u200b\u200b", "ab\u202e"]


async def test_invisible_and_copied_names_are_refused(
    start_server: StartServer, figure: Record
) -> None:
    server = await start_server()
    alice = await register(server.url, "alice")
    refused = 0
    for name in INVISIBLE:
        client = await WsClient.connect(server.url)
        reply = await client.request("register", username=name, password=PASSWORD)
        refused += reply["type"] == "error"
        await client.close()
    mallory = await register(server.url, "mallory")
    copies = ["alice", "ALICE", "Alice\u200b", "\u0430lice"]  # the last with a Cyrillic a
    copied = 0
    for name in copies:
        reply = await mallory.request("update_profile", display_name=name)
        copied += reply["type"] == "error"
    bodies = 0
    for body in ["\u3164", "\u2800\u2800", "\ufffe"]:
        reply = await mallory.request("send", room="general", body=body, client_msg_id=body)
        bodies += reply["type"] == "error"
    for client in (alice, mallory):
        await client.close()
    figure(
        "abuse",
        "invisible names and bodies, copied display names",
        invisible_names_tried=len(INVISIBLE),
        refused=refused,
        copies_tried=len(copies),
        copies_refused=copied,
        invisible_bodies_refused=bodies,
    )
    assert refused == len(INVISIBLE)
    assert copied == len(copies)
    assert bodies == 3


async def test_foreign_origins_cannot_open_a_websocket(
    start_server: StartServer, figure: Record
) -> None:
    server = await start_server()
    tries = 20
    statuses: Counter[int] = Counter()
    async with aiohttp.ClientSession() as session:
        for n in range(tries):
            try:
                ws = await session.ws_connect(
                    server.url, headers={"Origin": f"https://evil{n}.example"}
                )
            except aiohttp.WSServerHandshakeError as refused:
                statuses[refused.status] += 1
            else:
                await ws.close()
                statuses[101] += 1
    own = await WsClient.connect(server.url, headers={"Origin": server.http("/").rstrip("/")})
    own_ok = (await own.request("ping"))["type"]
    await own.close()
    figure(
        "abuse",
        "WebSockets from other web origins",
        tried=tries,
        refused_403=statuses[403],
        own_origin=own_ok,
    )
    assert statuses == {403: tries} and own_ok == "ok"


# -- running out of file descriptors ----------------------------------------------------

FD_LIMIT = 256


def _serve_limited(loop: str) -> str:
    """A `chinwag` command line run under a descriptor limit, on the given loop (the
    server takes uvloop when it is installed; hiding it leaves asyncio's own loop)."""
    return (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({FD_LIMIT}, {FD_LIMIT}))\n"
        + ("sys.modules['uvloop'] = None\n" if loop == "asyncio" else "")
        + "from chinwag.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_running_out_of_descriptors_slows_accepting_quietly(
    tmp_path: Path, figure: Record, loop: str
) -> None:
    """asyncio's loop stops accepting for a second at a time and the server logs it once
    in a while; uvloop's (libuv) accepts and closes what it has no descriptor for, at
    once and silently. Either way the log stays quiet and the server recovers."""
    if loop == "uvloop":
        pytest.importorskip("uvloop", reason="uvloop is optional (the bench extras have it)")
    from tests.reliability.processes import free_port

    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _serve_limited(loop),
            *("serve", "--port", str(port), "--data-dir", str(tmp_path / "data")),
            *("--max-per-address", "0", "--max-anonymous", "0", "--log-level", "WARNING"),
            # the raw sockets below send nothing: the head deadline must not free them
            *("--request-timeout", "300"),
            stdout=log,
            stderr=log,
        )
    url = f"ws://127.0.0.1:{port}/ws"
    held: list[asyncio.StreamWriter] = []
    try:
        await _until_up(port)
        # Open far more sockets than the server has descriptors for, from many addresses.
        # Once the server stops accepting, its listen backlog fills and connecting times
        # out: a few failures in a row end the filling.
        failed_in_a_row = 0
        for address in _addresses(FD_LIMIT + 200, 24):
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0)), 1.0
                )
            except (TimeoutError, OSError):
                failed_in_a_row += 1
                if failed_in_a_row == 3:
                    break
                continue
            failed_in_a_row = 0
            held.append(writer)
        await asyncio.sleep(1.0)
        size_before = log_path.stat().st_size
        await asyncio.sleep(3.0)  # exhausted: what does the log get meanwhile?
        logged_while_out = log_path.stat().st_size - size_before
        for writer in held:
            writer.close()
        freed = time.monotonic()
        user = None
        while user is None:
            with contextlib.suppress(OSError, aiohttp.ClientError, ConnectionError):
                user = await register(url, "after")
            if user is None:
                assert time.monotonic() - freed < 30, "did not recover"
                await asyncio.sleep(0.1)
        recovered = time.monotonic() - freed
        await user.close()
    finally:
        proc.terminate()
        await proc.wait()
    text = log_path.read_text(errors="replace")
    tracebacks = text.count("Traceback")
    figure(
        "abuse",
        f"running out of descriptors (limit {FD_LIMIT}, {loop})",
        sockets_opened=len(held),
        log_bytes_in_3_s_out=logged_while_out,
        tracebacks=tracebacks,
        recovered_s=round(recovered, 2),
    )
    assert len(held) >= FD_LIMIT - 20  # the server really ran out
    if loop == "asyncio":
        assert "accept_paused" in text  # and said so, once in a while
    assert logged_while_out < 2000 and tracebacks == 0
    assert recovered < 5.0


async def _until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as session:
        while True:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return
            assert time.monotonic() < deadline, "server did not start"
            await asyncio.sleep(0.1)
