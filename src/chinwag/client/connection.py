"""An asyncio chinwag client: one WebSocket, typed requests, and a timeline with no gaps.

    client = Client("localhost:8080", on_event=print)
    await client.connect()               # reads the server's `hello`
    await client.login("ada", "secret")  # then rooms, users and each room's newest page
    await client.send("general", "hi")   # through the outbox: stored exactly once
    await client.close()

After a login the client keeps the session alive by itself: when the connection drops,
a request times out, or catching up fails, it waits (capped exponential back-off with
full jitter: at most 1 s for the first minute, as long as the server said after a
`restarting` event), reconnects, resumes with the token, calls `rooms`, `sync`s every room from
the last seq it holds (again while `more` is non-empty), then resends the outbox with the
same `client_msg_id`s. A kick (4001), a ban (4002), a revoked session (4005), or an
`invalid_token` or `banned` answer to any request ends the session instead, with a
`StatusChanged` saying so. The rules, error code by error code and close code by close
code, are in `policy.py`. Everything the client learns is reported to its listeners (see
`events.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import ssl as ssl_module
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import aiohttp
import msgspec

from chinwag.client import policy
from chinwag.client.address import display_address, server_url
from chinwag.client.conversations import Conversing
from chinwag.client.errors import (
    ClientError,
    ConnectionLost,
    ProtocolMismatch,
    RequestError,
    describe_error,
)
from chinwag.client.events import (
    ClientEvent,
    Status,
    StatusChanged,
    UsersLoaded,
)
from chinwag.client.operations import Operations, Outgoing
from chinwag.client.outbox import Outbox
from chinwag.client.policy import ErrorAction, error_action, session_end
from chinwag.client.session import Sessions
from chinwag.client.timeline import HISTORY_AT_ONCE, Timeline
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq
from chinwag.protocol.codec import decode_as, decode_envelope, decode_event, encode
from chinwag.protocol.events import (
    Hello,
    Kicked,
    MemberLeft,
    MessageEvent,
    Presence,
    Restarting,
    RoomUpdated,
)
from chinwag.protocol.types import Message, User
from chinwag.protocol.version import PROTOCOL_VERSION

log = logging.getLogger("chinwag.client")

R = TypeVar("R", bound=rp.Reply)
Listener = Callable[[ClientEvent], None]
#: Requests that log a connection in: their errors are about that login, not the session.
_LOGINS = (rq.Register, rq.Login, rq.Resume)


class Client(Sessions, Timeline, Outbox, Conversing, Operations):
    """One user's connection to one server. Create and use it inside one event loop."""

    def __init__(
        self,
        server: str,
        *,
        on_event: Listener | None = None,
        ssl: ssl_module.SSLContext | bool | None = None,
        connect_timeout: float = policy.CONNECT_TIMEOUT,
        request_timeout: float = policy.REQUEST_TIMEOUT,
        heartbeat: float | None = policy.IDLE_PING,
        backoff_base: float = policy.BACKOFF_BASE,
        backoff_cap: float = policy.BACKOFF_CAP,
        backoff_early_cap: float = policy.BACKOFF_EARLY_CAP,
        flood_pause: float = policy.FLOOD_PAUSE,
        history_page: int = 50,
        sync_limit: int = 500,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.url = server_url(server)
        self.address = display_address(self.url)
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        #: aiohttp pings after this many quiet seconds and gives up on the connection
        #: when no pong comes within half of it (policy.PING_TIMEOUT).
        self.heartbeat = heartbeat
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.backoff_early_cap = backoff_early_cap
        self.flood_pause = flood_pause
        self.history_page = history_page
        self.sync_limit = sync_limit
        self._rng = rng
        self._ssl: ssl_module.SSLContext | bool = True if ssl is None else ssl
        self.status = Status.DISCONNECTED
        self.hello: Hello | None = None
        self.user: User | None = None
        self.token: str | None = None
        #: Per room: the highest seq up to which this client has every message.
        self.last_seq: dict[str, int] = {}
        #: Per room: the change number (edits, deletions) this client is up to date with.
        self.change_mark: dict[str, int] = {}
        self._held: dict[str, dict[int, Message]] = {}
        self._filling: dict[str, asyncio.Task[None]] = {}
        self._baselines: dict[str, asyncio.Task[None]] = {}
        #: Rooms whose newest page is being read at once (see `Timeline._baseline`).
        self._history_slots = asyncio.Semaphore(HISTORY_AT_ONCE)
        self._outbox: dict[str, Outgoing] = {}
        self._listeners: list[Listener] = [on_event] if on_event else []
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._hello: asyncio.Future[Hello] | None = None
        self._waiting: dict[str, asyncio.Future[str]] = {}
        self._ids = itertools.count(1)
        self._sessioned = False
        self._closed = False
        self._wake = asyncio.Event()
        self._reconnect_task: asyncio.Task[None] | None = None
        self._drain_task: asyncio.Task[None] | None = None
        self._known_users: set[str] = set()
        self._removed: Kicked | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: When (loop time) the session's connection was lost; None while connected.
        self._lost_at: float | None = None
        #: What the server's `restarting` event said before it closed the connection.
        self._back_in: float | None = None

    # -- listeners -------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event from now on; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def events(self) -> AsyncIterator[ClientEvent]:
        """Every event from now on, as an async iterator."""
        queue: asyncio.Queue[ClientEvent] = asyncio.Queue()
        unsubscribe = self.subscribe(queue.put_nowait)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    def _emit(self, event: ClientEvent) -> None:
        if isinstance(event, UsersLoaded):
            self._known_users = {user.username.lower() for user in event.users}
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed on %s", type(event).__name__)

    def _spawn(self, request: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Run a request in the background; a failure is only logged (it is retried
        by the next catch-up anyway). The coroutine is made inside the task, so that a
        task cancelled before it starts leaves no coroutine never awaited."""

        async def run() -> None:
            try:
                await request()
            except ClientError as exc:
                log.info("background request failed: %s", exc)

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _set_status(self, status: Status, **details: Any) -> None:
        self.status = status
        if status is Status.CONNECTED:
            self._lost_at = self._back_in = None
        self._emit(StatusChanged(status, **details))

    def _reconnect_delay(self, attempt: int, code: int | None) -> float:
        """The pause before reconnect attempt `attempt` after a close with `code`
        (policy.reconnect_delay): short for the first minute since the connection was
        lost, and after a `restarting` event, about when the server said to come back."""
        now = asyncio.get_running_loop().time()
        if self._lost_at is None:
            self._lost_at = now
        return policy.reconnect_delay(
            attempt,
            code,
            lost_for=now - self._lost_at,
            back_in=self._back_in,
            base=self.backoff_base,
            cap=self.backoff_cap,
            early_cap=self.backoff_early_cap,
            flood_pause=self.flood_pause,
            rng=self._rng,
        )

    # -- the connection --------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    async def connect(self) -> Hello:
        """Open the WebSocket (if it is not open) and return the server's `hello`."""
        if self.connected and self.hello is not None:
            return self.hello
        if self._closed:
            raise ClientError("this client was closed")
        await self._open()
        assert self.hello is not None
        return self.hello

    async def _open(self) -> None:
        await self._drop()
        if self._session is None:
            self._session = aiohttp.ClientSession()
        where = self.address
        deadline = asyncio.get_running_loop().time() + self.connect_timeout
        try:
            async with asyncio.timeout_at(deadline):
                ws = await self._session.ws_connect(
                    self.url,
                    heartbeat=self.heartbeat,
                    ssl=self._ssl,
                    autoping=True,
                    max_msg_size=64 * 1024 * 1024,
                )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ConnectionLost(f"Cannot reach {where}: {describe_error(exc)}.") from exc
        self._ws = ws
        self._hello = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(ws), name="chinwag-client-reader")
        try:
            async with asyncio.timeout_at(deadline):
                hello = await asyncio.shield(self._hello)
        except TimeoutError:
            await self._drop()
            raise ConnectionLost(f"{where} did not greet us: is it a chinwag server?") from None
        if hello.protocol != PROTOCOL_VERSION:
            await self._drop()
            raise ProtocolMismatch(
                f"{where} speaks protocol {hello.protocol}; this client knows {PROTOCOL_VERSION}"
            )
        self.hello = hello
        self._emit(hello)

    async def _drop(self) -> None:
        """Close the current WebSocket (if any) quietly; its pending requests fail."""
        ws, reader = self._ws, self._reader
        self._ws = self._reader = None
        self._fail_waiting(ConnectionLost("the connection was closed"))
        if ws is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await ws.close()
            if not ws.closed:
                _abort(ws)
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    def _fail_waiting(self, exc: ClientError) -> None:
        waiting, self._waiting = self._waiting, {}
        for fut in waiting.values():
            if not fut.done():
                fut.set_exception(exc)
        if self._hello is not None and not self._hello.done():
            self._hello.set_exception(exc)
            self._hello.exception()  # retrieved: nobody else may wait for it

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        reason = ""
        try:
            while True:
                msg = await ws.receive()
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._on_frame(msg.data)
                elif msg.type == aiohttp.WSMsgType.CLOSE:
                    reason = msg.extra or ""
                    break
                elif msg.type in (aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                    break
                elif msg.type == aiohttp.WSMsgType.ERROR:
                    reason = describe_error(msg.data)
                    break
        finally:
            self._connection_ended(ws, ws.close_code, reason)

    def _connection_ended(
        self, ws: aiohttp.ClientWebSocketResponse, code: int | None, reason: str
    ) -> None:
        if ws is not self._ws:
            return  # an old connection, already replaced or dropped
        self._ws = None
        lost = ConnectionLost(reason or "the connection was lost", code)
        self._fail_waiting(lost)
        if self._closed or not self._sessioned or self.status != Status.CONNECTED:
            return  # nobody logged in, or a (re)connect in progress deals with it
        ended = session_end(code)
        if ended is not None:
            self._end_session(ended[0], code=code, reason=self._why_removed(code) or ended[1])
        else:
            self._start_reconnect(code, reason or "The connection was lost.")

    def _lose(self, ws: aiohttp.ClientWebSocketResponse, reason: str) -> None:
        """Take `ws` as dead: fail what waits on it, cut it, and (if the session was up)
        reconnect. A (re)connect in progress sees its request fail and retries itself."""
        if ws is self._ws:
            reader, self._reader = self._reader, None
            if reader is not None:  # it ends by itself once the socket is cut, and
                self._tasks.add(reader)  # lets aiohttp release the connection
                reader.add_done_callback(self._tasks.discard)
            self._connection_ended(ws, None, reason)
        _abort(ws)

    def _lose_connection(self, reason: str) -> None:
        if self._ws is not None:
            self._lose(self._ws, reason)

    def _why_removed(self, code: int | None) -> str:
        """A sentence from the `kicked` event that came before a 4001 or 4002 close."""
        event, self._removed = self._removed, None
        if event is None or code not in (4001, 4002):
            return ""
        who = event.by or "An admin"
        why = f": {event.reason}" if event.reason and event.reason != "banned" else ""
        if code == 4001:
            return f"{who} disconnected you from the server{why}."
        return f"{who} banned you from this server{why}."

    def _on_frame(self, data: str) -> None:
        try:
            env = decode_envelope(data)
        except (msgspec.DecodeError, UnicodeError):
            log.warning("ignoring a frame that is not JSON")
            return
        if env.type in ("ok", "error"):
            fut = self._waiting.pop(env.id, None) if isinstance(env.id, str) else None
            if fut is not None and not fut.done():
                fut.set_result(data)
            elif env.type == "error":
                log.warning("server error without a waiting request: %s", data[:200])
            return
        try:
            event = decode_event(data)
        except (msgspec.DecodeError, UnicodeError):
            log.debug("ignoring an event this client does not know: %s", data[:100])
            return
        self._on_event(event)

    def _on_event(self, event: Any) -> None:
        if isinstance(event, Presence) and event.user.lower() not in self._known_users:
            self._known_users.add(event.user.lower())
            self._spawn(self.users)  # a new account: learn its name and colour
        if isinstance(event, Kicked) and event.room is None:
            self._removed = event  # the close (4001 or 4002) comes next
        if isinstance(event, Restarting):
            self._back_in = event.back_in  # the close (1012) comes next
        if isinstance(event, Hello):
            if self._hello is not None and not self._hello.done():
                self._hello.set_result(event)
            return
        if isinstance(event, MessageEvent):
            self._accept(event.message.room, [event.message], None)
            return
        me = self.user.username.lower() if self.user else None
        if (isinstance(event, MemberLeft) and event.user.lower() == me) or (
            isinstance(event, Kicked) and event.room is not None
        ):
            self._forget_room(event.room)
        self._emit(event)
        if (
            isinstance(event, RoomUpdated)
            and event.room.member
            and event.room.id not in self.last_seq
            and self.status == Status.CONNECTED
        ):
            self.change_mark.setdefault(event.room.id, event.room.last_change)
            self._ensure_baseline(event.room.id)

    # -- requests --------------------------------------------------------------------------
    async def request(self, request: rq.Request, reply_type: type[R]) -> R:
        """Send any request (its `id` is replaced by a fresh one) and decode its reply as
        `reply_type`; an `error` reply raises RequestError."""
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionLost("not connected")
        rid = str(next(self._ids))
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = fut
        try:
            await ws.send_str(encode(msgspec.structs.replace(request, id=rid)).decode())
            async with asyncio.timeout(self.request_timeout):
                data = await fut
        except TimeoutError:
            self._waiting.pop(rid, None)
            self._lose(ws, "The server stopped answering.")  # resent after the reconnect
            raise ConnectionLost("the server did not answer in time") from None
        except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
            self._waiting.pop(rid, None)
            raise ConnectionLost(f"the connection was lost: {exc}") from exc
        if decode_envelope(data).type == "error":
            err = decode_as(data, rp.Error)
            refused = RequestError(err.code, err.message, err.retry_after)
            if self._sessioned and not isinstance(request, _LOGINS):
                self._follow_rules(refused, ws)
            raise refused
        return decode_as(data, reply_type)

    def _follow_rules(self, exc: RequestError, ws: aiohttp.ClientWebSocketResponse) -> None:
        """What an error answer to any request of a session says about the session or the
        connection (policy.ERRORS); the caller still gets the error."""
        action = error_action(exc.code)
        if action is ErrorAction.SIGN_OUT:  # e.g. revoked on another node
            self._end_session(Status.SIGNED_OUT, reason=policy.SIGNED_OUT_REASON)
        elif action is ErrorAction.BANNED:
            self._end_session(Status.BANNED, reason=exc.message)
        elif action is not ErrorAction.RECONNECT:
            return
        self._lose(ws, exc.message)

    async def close(self) -> None:
        """Stop everything. The session's token stays valid (use `logout` to end it)."""
        if self._closed:
            return
        self._closed = True
        self._sessioned = False
        self._stop_reconnect()
        tasks = [
            self._drain_task,
            *self._tasks,
            *self._filling.values(),
            *self._baselines.values(),
        ]
        for task in tasks:
            if task is not None:
                task.cancel()
        await self._drop()
        for item in self._outbox.values():
            item.future.cancel()
        if self._session is not None:
            await self._session.close()
        self._set_status(Status.DISCONNECTED, reason="closed")


def _abort(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Cut a WebSocket's TCP connection at once (no close handshake)."""
    conn = getattr(ws, "_conn", None)
    transport = getattr(conn, "transport", None)
    if transport is not None:
        transport.abort()
