"""What every use case works with: the parts of one running server node."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from chinwag.config import ServerConfig
from chinwag.core.errors import ChatError
from chinwag.core.models import UserRecord
from chinwag.core.ratelimit import LoginRules, TokenBucket
from chinwag.core.remote import Network, parse_networks
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.events import RoomUpdated
from chinwag.server.auth import LoginGates, PasswordHasher
from chinwag.server.changes import ChangeFeed
from chinwag.server.doors import Doors, Turns
from chinwag.server.health import HealthChecks
from chinwag.server.hub import Connection, Hub
from chinwag.server.metrics import Metrics
from chinwag.server.notifier import Notifier
from chinwag.server.throttle import LoginThrottle
from chinwag.server.unstored import UnstoredSessions
from chinwag.store.base import Store
from chinwag.store.records import Acted, Actor


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
    feed: ChangeFeed
    #: Failed logins, by account and client address (see `LoginRules`).
    logins: LoginThrottle = field(default_factory=lambda: LoginThrottle(LoginRules()))
    #: Password checks in progress, a few at a time per address and per account.
    login_gates: LoginGates = field(default_factory=LoginGates)
    #: True from the start of a graceful shutdown: new requests are refused.
    stopping: bool = False
    #: Requests being handled right now (a graceful shutdown waits for them).
    inflight: int = 0
    #: `config.trusted_proxies`, parsed.
    trusted_proxies: tuple[Network, ...] = ()
    #: What /healthz checks (made from the parts above).
    health: HealthChecks = field(init=False)
    #: Sessions opened while the database could not store them, until it can.
    unstored: UnstoredSessions = field(init=False)
    #: Budgets of connections (see `Doors`).
    doors: Doors = field(init=False)
    #: Searches at once, and waiting (see `Turns`).
    searches: Turns = field(init=False)
    #: The send allowance of each user on this node, all their connections together.
    rates: dict[str, TokenBucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.trusted_proxies = parse_networks(self.config.trusted_proxies)
        self.health = HealthChecks(
            self.store,
            self.logins,
            self.node_id,
            timeout=self.config.health_timeout,
            interval=self.config.health_interval,
        )
        self.doors = Doors(
            self.config, on_refused=lambda kind: self.metrics.refused.labels(kind).inc()
        )
        self.searches = Turns(
            self.config.search_concurrency, self.config.search_waiting, "searches"
        )
        self.unstored = UnstoredSessions(
            self.store,
            limit=self.config.max_unstored_sessions,
            known_days=self.config.known_address_days,
        )

    def spend(self, conn: Connection) -> None:
        """Take one token of the user's allowance (sends, room changes, DMs); before
        login, of the connection's."""
        now = time.monotonic()
        key = conn.user_key
        bucket = conn.rate
        if key is not None:
            bucket = self.rates.get(key) or self.rates.setdefault(
                key, TokenBucket(self.config.rate_limit, self.config.rate_burst, now)
            )
        wait = bucket.take(now)
        if wait:
            raise ChatError(
                ErrorCode.RATE_LIMITED, f"slow down: you can try again in {wait:.1f} s", wait
            )

    def forget_rates(self) -> None:
        """Drop the allowances of users no longer here that have refilled: those are
        the same as new ones."""
        config = self.config
        refill = config.rate_burst / config.rate_limit if config.rate_limit > 0 else 0.0
        now = time.monotonic()
        for key in [k for k, b in self.rates.items() if now - b.stamp >= refill]:
            if key not in self.hub.users:
                del self.rates[key]

    def user(self, conn: Connection) -> UserRecord:
        """The current record of the user logged in on `conn`."""
        key = conn.user_key
        record = self.hub.records.get(key) if key is not None else None
        if record is None:
            raise ChatError(ErrorCode.NOT_AUTHENTICATED, "log in first")
        return record

    def actor(self, conn: Connection) -> Actor:
        """The user logged in on `conn`, with their session: the store checks, in the
        transaction that acts, that the session is still live."""
        me = self.user(conn)
        return Actor(me.username, conn.token_hash)

    def reader(self, conn: Connection) -> Actor:
        """`actor` for a read: the store checks the session in the read's unit of work,
        except a session this node holds because the database could not store it yet
        (a full disk), which no row can vouch for."""
        me = self.user(conn)
        if self.unstored.pending and conn.token_hash in self.unstored.pending:
            return Actor(me.username, None)
        return Actor(me.username, conn.token_hash)

    async def announce(self, acted: Acted, *, room_updated: bool = True) -> None:
        """Announce what a write committed. A change of membership sends the room as it
        now is to its members on every node (see `ChangeFeed`); with `room_updated`, a
        write about a room that changed no membership (a new name) sends it here."""
        self.metrics.messages.inc(len(acted.messages))
        await self.notifier.announce(acted)
        if room_updated and acted.room is not None and not acted.changes:
            room = acted.room.public(member=True)
            self.notifier.to_room(acted.room.id, RoomUpdated(room=room))
