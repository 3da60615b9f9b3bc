"""The HTTP doors (`chinwag.server.listener`): a request head must arrive in time, an
idle kept-alive connection is closed, and one address cannot hold every socket."""

from __future__ import annotations

import asyncio

from tests.server.conftest import RunningServer, StartServer


async def _open(
    server: RunningServer, local: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.server.port, local_addr=(local, 0))


async def test_a_request_head_sent_slowly_is_cut_with_408(start_server: StartServer) -> None:
    server = await start_server(request_timeout=0.6)
    reader, writer = await _open(server)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
    loop = asyncio.get_running_loop()
    started = loop.time()
    # a header line now and then, never the blank line that ends the head
    answer = b""
    for n in range(20):
        try:
            writer.write(f"X-Slow-{n}: y\r\n".encode())
            await writer.drain()
        except ConnectionError:
            break
        try:
            answer += await asyncio.wait_for(reader.read(4096), 0.2)
        except TimeoutError:
            continue
        if answer:
            break
    took = loop.time() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert took < 3, took
    assert await reader.read() == b""  # and closed
    writer.close()
    assert server.app[_gate()].refusals["request_timeout"] == 1


async def test_whole_requests_and_keep_alive_work_until_idle(start_server: StartServer) -> None:
    server = await start_server(request_timeout=0.5, keepalive_timeout=0.8)
    reader, writer = await _open(server)
    for _ in range(3):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), head
        length = int(
            next(
                line.split(b":")[1]
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
        )
        await reader.readexactly(length)
        await asyncio.sleep(0.3)  # less than either deadline between requests
    # then silence: the kept-alive connection is closed, without a 408
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    assert server.app[_gate()].refusals["request_timeout"] == 0


async def test_one_address_cannot_hold_every_socket(start_server: StartServer) -> None:
    server = await start_server(max_per_address=1, request_timeout=30)
    cap = server.app[_gate()].socket_cap
    assert cap == 17
    held = [await _open(server, "127.0.0.8") for _ in range(cap)]
    reader, writer = await _open(server, "127.0.0.8")
    answer = await asyncio.wait_for(reader.read(), 5)
    assert answer.startswith(b"HTTP/1.1 503 "), answer
    assert answer.endswith(b"too many connections from your address\n")
    writer.close()
    # another address still gets in, and so does this one once a socket closes
    other_reader, other_writer = await _open(server, "127.0.0.9")
    other_writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert (await other_reader.read()).startswith(b"HTTP/1.1 200 ")
    other_writer.close()
    held.pop()[1].close()
    gate = server.app[_gate()]
    for _ in range(100):
        if gate.per_peer["127.0.0.8"] < cap:
            break
        await asyncio.sleep(0.01)
    reader, writer = await _open(server, "127.0.0.8")
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert (await reader.read()).startswith(b"HTTP/1.1 200 ")
    writer.close()
    for _, w in held:
        w.close()
    assert gate.refusals["sockets_per_address"] == 1


def _gate():  # type: ignore[no-untyped-def]
    from chinwag.server.listener import GATE

    return GATE


class _ForeignTransport:
    """A stream transport that is not an asyncio.Transport subclass, as uvloop's are
    not: what the doors need of one, and nothing more."""

    def __init__(self, peer: str) -> None:
        self.peer = peer
        self.written = b""
        self.closed = False

    def get_extra_info(self, name: str, default: object = None) -> object:
        return (self.peer, 40000) if name == "peername" else default

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def abort(self) -> None:
        self.closed = True


class _Inner(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: object = None

    def connection_made(self, transport: object) -> None:  # type: ignore[override]
        self.transport = transport


async def test_the_doors_take_transports_of_any_event_loop() -> None:
    """uvloop's transports are not asyncio.Transport subclasses: the doors admit them,
    and refuse them, all the same."""
    from chinwag.config import ServerConfig
    from chinwag.server.listener import Gate, Guard

    gate = Gate(ServerConfig(max_per_address=1))
    inner = _Inner()
    guard = Guard(inner, gate)
    first = _ForeignTransport("127.0.0.1")
    guard.connection_made(first)  # type: ignore[arg-type]
    assert inner.transport is first and gate.guards[first] is guard  # type: ignore[index]
    refused = 0
    for _ in range(gate.socket_cap):  # up to the cap (with its headroom), then one more
        transport = _ForeignTransport("127.0.0.1")
        Guard(_Inner(), gate).connection_made(transport)  # type: ignore[arg-type]
        if transport.closed:
            refused += 1
            assert transport.written.startswith(b"HTTP/1.1 503 ")
    assert refused == 1
    guard._disarm()
    for g in list(gate.guards.values()):
        g._disarm()
