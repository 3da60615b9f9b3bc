"""One WebSocket client as the server holds it: a plain record that the hub's parts
(registry, outgoing frames, heartbeat) and the connection loop (`ws`, `inbox`) share."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

from chinwag.core.ratelimit import TokenBucket

if TYPE_CHECKING:
    from aiohttp import web

    from chinwag.protocol.requests import Request


class Connection:
    """One WebSocket client, logged in or not. Slots only: an idle connection costs a
    few hundred bytes here, and nothing else is allocated until it is used."""

    __slots__ = (
        "backlog",
        "backlog_bytes",
        "closing",
        "connected_at",
        "deadline",
        "dirty",
        "flood",
        "heard",
        "id",
        "pending",
        "ping_at",
        "rate",
        "remote",
        "rooms",
        "token_hash",
        "transport",
        "typing_at",
        "user_key",
        "username",
        "worker",
        "ws",
    )

    def __init__(
        self,
        conn_id: str,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport,
        remote: str,
        rate: TokenBucket,
        flood: TokenBucket,
    ) -> None:
        self.id = conn_id
        self.ws = ws
        self.transport = transport
        self.remote = remote
        self.rate = rate
        self.flood = flood
        #: Frames waiting for the next flush (see `outgoing`).
        self.pending: list[bytes] = []
        self.dirty = False
        #: Set once the server closes or cuts the connection: nothing more is queued.
        self.closing = False
        self.rooms: set[str] = set()
        self.user_key: str | None = None
        self.username: str | None = None
        self.token_hash: str | None = None
        #: room -> when this connection last announced typing there
        self.typing_at: dict[str, float] = {}
        self.connected_at = time.monotonic()
        #: The timer that closes the connection if it has not logged in by then.
        self.deadline: asyncio.TimerHandle | None = None
        #: When a frame last came from the client, and when the heartbeat last pinged it.
        self.heard = self.connected_at
        self.ping_at = 0.0
        #: The task handling this connection's requests, while it has any (see `inbox`),
        #: and the requests read meanwhile, waiting their turn (with their frame sizes;
        #: a frame that is not a request waits as its encoded error reply).
        self.worker: asyncio.Task[None] | None = None
        self.backlog: deque[tuple[Request | bytes, int]] | None = None
        self.backlog_bytes = 0

    def __repr__(self) -> str:
        return f"<Connection {self.id} {self.username or '-'}>"
