"""What every use case works with: the parts of one running server node."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from chinwag.config import ServerConfig
from chinwag.core.errors import ChatError
from chinwag.core.models import UserRecord
from chinwag.core.ratelimit import LoginGuard
from chinwag.core.remote import Network, parse_networks
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.types import Message
from chinwag.server.auth import LoginGates, PasswordHasher
from chinwag.server.hub import Connection, Hub
from chinwag.server.metrics import Metrics
from chinwag.server.notifier import Notifier
from chinwag.store.base import Store


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Context:
    config: ServerConfig
    store: Store
    hub: Hub
    notifier: Notifier
    hasher: PasswordHasher
    metrics: Metrics
    node_id: str
    #: Failed logins, by account and client address.
    logins: LoginGuard = field(default_factory=LoginGuard)
    #: Password checks in progress, a few at a time per address and per account.
    login_gates: LoginGates = field(default_factory=LoginGates)
    #: True from the start of a graceful shutdown: new requests are refused.
    stopping: bool = False
    #: Requests being handled right now (a graceful shutdown waits for them).
    inflight: int = 0
    #: `config.trusted_proxies`, parsed.
    trusted_proxies: tuple[Network, ...] = ()

    def __post_init__(self) -> None:
        self.trusted_proxies = parse_networks(self.config.trusted_proxies)

    def spend(self, conn: Connection) -> None:
        """Take one token of the connection's rate limit (sends, room changes, DMs)."""
        wait = conn.rate.take(time.monotonic())
        if wait:
            raise ChatError(
                ErrorCode.RATE_LIMITED, f"slow down: you can try again in {wait:.1f} s", wait
            )

    def user(self, conn: Connection) -> UserRecord:
        """The current record of the user logged in on `conn`."""
        key = conn.user_key
        record = self.hub.records.get(key) if key is not None else None
        if record is None:
            raise ChatError(ErrorCode.NOT_AUTHENTICATED, "log in first")
        return record

    async def system_message(self, room: str, actor: str, text: str) -> Message:
        """Post a grey line (a join, a kick, ...) to a room's timeline and announce it."""
        message, _ = await self.store.append_message(
            room, actor, text, client_msg_id=None, now=now_ms(), kind="system"
        )
        self.metrics.messages.inc()
        await self.notifier.message(message)
        return message
