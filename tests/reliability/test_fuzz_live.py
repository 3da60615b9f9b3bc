"""A live connection fuzzed: thousands of frames (mutants of requests, as in the decoder's
fuzz, aimed at real rooms and users) sent over a real WebSocket to a real server.

Every text frame gets exactly one reply, in order, and each reply is a valid protocol
message of the right type (decoded with the protocol's own types); a frame the codec
refuses gets exactly the codec's refusal. A binary frame, a text frame that is not UTF-8
and an oversized frame close the connection with their documented codes; any other
close must have a documented code too. No request ever answers `internal_error`, the
server logs no error, and a control client is served throughout.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinwag.protocol import requests as rq
from chinwag.protocol.codec import ProtocolError, decode_event
from chinwag.protocol.errors import CloseCode
from tests.reliability.conftest import Record
from tests.reliability.figures import scale
from tests.reliability.frames import base_frames, check_reply, mutants, refusal_or_request
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import RawWs, WsClient, register

pytestmark = pytest.mark.reliability

FRAMES = scale(3_000, 30_000)
PER_BASE = 20
#: Frames sent before their replies are read.
WINDOW = 16
#: Every this many windows, one frame that closes the connection, and a control check.
CLOSER_EVERY = 12
DOCUMENTED_CLOSES = {int(code) for code in CloseCode}
MAX_FRAME = 64 * 1024


def _collect(names: list[str], count: int) -> list[tuple[bytes, int]]:
    drawn: list[tuple[bytes, int]] = []

    @settings(
        max_examples=count,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(base_frames(names), st.integers(min_value=0, max_value=2**32))
    def draw(base: bytes, seed: int) -> None:
        drawn.append((base, seed))

    draw()
    return drawn


def _utf8(frame: bytes) -> bool:
    try:
        frame.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class Fuzzer:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.ws: RawWs | None = None
        self.sent = 0
        self.replies: collections.Counter[str] = collections.Counter()
        self.events = 0
        self.closes: collections.Counter[int | None] = collections.Counter()

    async def connect(self) -> None:
        self.ws = await RawWs.connect(self.url)
        reply = await self.ws.request("resume", token=self.token)
        assert reply["type"] == "ok", reply

    async def read(self) -> tuple[int, bytes]:
        assert self.ws is not None
        return await self.ws.recv_frame()

    async def window(self, frames: list[tuple[bytes, rq.Request | ProtocolError | None]]) -> None:
        """Send the frames at once, then read until each has its reply, in order."""
        assert self.ws is not None
        for frame, _ in frames:
            await self.ws.send(frame)
        self.sent += len(frames)
        due = collections.deque(frames)
        while due:
            try:
                opcode, payload = await self.read()
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                self.closes[None] += 1
                suspects = [frame for frame, sent in due if sent is None] or [due[0][0]]
                raise AssertionError(
                    f"dropped with no close frame while {len(due)} replies were due; "
                    f"the codec itself fails on: {suspects!r}"
                ) from exc
            if opcode == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                self.closes[code] += 1
                raise AssertionError(
                    f"closed with {code} while {len(due)} replies were due; next: {due[0][0]!r}"
                )
            if opcode != 0x1:
                continue
            head = msgspec.json.decode(payload)
            if head.get("type") in ("ok", "error"):
                frame, sent = due.popleft()
                try:
                    reply = check_reply(payload, sent)
                except AssertionError as exc:
                    raise AssertionError(f"frame {frame!r} got {payload[:300]!r}") from exc
                self.replies[getattr(reply, "code", "ok")] += 1
            else:
                decode_event(payload)  # an event: valid too
                self.events += 1

    async def closer(self, frame: bytes, opcode: int, expected: int) -> None:
        """Send a frame that must close the connection with `expected`, then reconnect."""
        assert self.ws is not None
        await self.ws.send(frame, opcode)
        self.sent += 1
        code = None
        async with asyncio.timeout(10):
            while True:
                try:
                    got, payload = await self.read()
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                if got == 0x8:
                    code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                    break
                if got == 0x1:
                    decode_event(payload)
                    self.events += 1
        self.closes[code] += 1
        assert code == expected, (frame[:100], code, expected)
        await self.ws.close()
        await self.connect()


async def test_a_live_connection_takes_fuzzed_frames(
    start_server: StartServer, figure: Record, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="chinwag")
    server = await start_server(flood_limit=0, rate_limit=0, max_frame=MAX_FRAME)
    control = await register(server.url, "control")  # the first account: the admin
    target = await register(server.url, "target")
    fuzz = await register(server.url, "fuzzer")
    mine = (await fuzz.ok("create_room", name="Fuzz Den"))["room"]["id"]
    hidden = (await fuzz.ok("create_room", name="Fuzz Hideout", private=True))["room"]["id"]
    secret = (await control.ok("create_room", name="Not Yours", private=True))["room"]["id"]
    sent = await fuzz.ok("send", room=mine, body="a message", client_msg_id="m1")
    assert sent["message"]["seq"] >= 1
    assert fuzz.token is not None
    names = ["general", mine, hidden, secret, "control", "target", "fuzzer", "nobody"]
    await fuzz.close()

    started = time.monotonic()
    ordinary: list[tuple[bytes, rq.Request | ProtocolError | None]] = []
    not_utf8: list[bytes] = []
    for _ in range(10):  # bounded: each round draws about as many frames as are missing
        missing = FRAMES - len(ordinary)
        if missing <= 0:
            break
        for base, seed in _collect(names, -(-missing // PER_BASE)):
            for frame in mutants(base, seed, PER_BASE, names):
                if not frame or len(frame) >= MAX_FRAME:
                    continue
                if not _utf8(frame):
                    not_utf8.append(frame)
                    continue
                sent_as: rq.Request | ProtocolError | None
                try:
                    sent_as = refusal_or_request(frame)
                except Exception:  # the codec fails on it: the decoder's fuzz shows
                    sent_as = None  # that; here, the server must still refuse it
                if isinstance(sent_as, rq.Logout):  # would end the fuzzer's session
                    continue
                ordinary.append((frame, sent_as))
    ordinary = ordinary[:FRAMES]
    fuzzer = Fuzzer(server.url, fuzz.token)
    try:
        await _fuzz(fuzzer, ordinary, not_utf8, control, target, server, started, figure, caplog)
    finally:
        if fuzzer.ws is not None:
            fuzzer.ws.abort()
        for client in (control, target):
            await client.close()


async def _fuzz(
    fuzzer: Fuzzer,
    ordinary: list[tuple[bytes, rq.Request | ProtocolError | None]],
    not_utf8: list[bytes],
    control: WsClient,
    target: WsClient,
    server: RunningServer,
    started: float,
    figure: Record,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await fuzzer.connect()

    checks = 0
    closers = [
        (b'{"type":"ping","id":"b"}', 0x2, CloseCode.UNSUPPORTED_DATA),
        (b'{"type":"send","id":"o","body":"' + b"x" * MAX_FRAME + b'"}', 0x1, 1009),
    ]
    stopped = "nothing"
    try:
        for n, i in enumerate(range(0, len(ordinary), WINDOW)):
            await fuzzer.window(ordinary[i : i + WINDOW])
            if n % CLOSER_EVERY == CLOSER_EVERY - 1:
                which = checks % 3
                if which == 2 and not_utf8:
                    await fuzzer.closer(not_utf8.pop(), 0x1, CloseCode.INVALID_PAYLOAD)
                else:
                    frame, opcode, code = closers[which % 2]
                    await fuzzer.closer(frame, opcode, code)
                probe = f"alive {n}"
                await control.ok("send", room="general", body=probe, client_msg_id=probe)
                await control.message("general", probe)
                checks += 1
    except AssertionError:
        stopped = "a frame the server did not answer"
        raise
    finally:
        internal = server.ctx.metrics.errors.labels("internal_error")._value.get()
        figure(
            "fuzz",
            "live connection",
            frames=fuzzer.sent,
            replies=sum(fuzzer.replies.values()),
            ok=fuzzer.replies["ok"],
            events=fuzzer.events,
            closes=sum(fuzzer.closes.values()),
            control_checks=checks,
            internal_errors=int(internal),
            stopped_by=stopped,
            seconds=round(time.monotonic() - started, 1),
        )
        print("reply codes:", dict(fuzzer.replies.most_common()), "closes:", dict(fuzzer.closes))

    await control.ok("send", room="general", body="after the fuzz", client_msg_id="after")
    await control.message("general", "after the fuzz")
    await target.ok("ping")
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert fuzzer.sent >= FRAMES
    assert set(fuzzer.closes) <= DOCUMENTED_CLOSES
    assert internal == 0
    assert not logged, [r.getMessage() for r in logged[:5]]
