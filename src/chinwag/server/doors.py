"""Budgets at the doors of a node: who may open a WebSocket, how many at once, how long
they may stay without logging in. (What a budget of the database counts, registrations
and rooms created, lives in the store; the HTTP-level deadlines in `listener`.)

Counts here are this node's: a cluster of N nodes behind one address gives that address
N times `max_per_address`, which a load balancer's own limits should cover.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

from chinwag.config import ServerConfig
from chinwag.core.errors import ChatError
from chinwag.protocol.errors import CloseCode, ErrorCode

log = logging.getLogger("chinwag.doors")

#: Seconds between log lines about refusals of one kind: a flood of refusals writes a
#: line now and then with how many there were, not a line each.
LOG_EVERY = 10.0


class Refusal(Exception):
    """A connection refused at the door: closed with `code` and `reason`."""

    def __init__(self, kind: str, code: int, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.code = code
        self.reason = reason


class QuietLog:
    """Logs the first refusal of each kind at once, then at most one line per
    LOG_EVERY seconds with the count since."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._next: dict[str, float] = {}
        self._held: Counter[str] = Counter()

    def refused(self, kind: str, detail: str) -> None:
        now = self._clock()
        if now < self._next.get(kind, 0.0):
            self._held[kind] += 1
            return
        more = self._held.pop(kind, 0)
        also = f" (and {more} more since the last line)" if more else ""
        log.warning("refused %s: %s%s", kind, detail, also)
        self._next[kind] = now + LOG_EVERY


def origin_allowed(origin: str | None, host: str | None, allowed: frozenset[str]) -> bool:
    """Whether a WebSocket with `Origin: origin` may open on a server reached as `host`
    (the Host header): no Origin (not a browser), the server's own origin, or one in
    `allowed` ("*" allows all)."""
    if origin is None or "*" in allowed:
        return True
    origin = origin.strip().lower().rstrip("/")
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or host is None:
        return False
    default = {"http": ":80", "https": ":443"}[parts.scheme]
    return parts.netloc.removesuffix(default) == host.strip().lower().removesuffix(default)


def parse_origins(text: str) -> frozenset[str]:
    return frozenset(o.strip().lower().rstrip("/") for o in text.split(",") if o.strip())


class Doors:
    """Counts of this node's open WebSocket connections by address and by user, and of
    those not logged in; refuses what would go over a budget."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        on_refused: Callable[[str], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.config = config
        self.per_address: Counter[str] = Counter()
        self.per_user: Counter[str] = Counter()
        self.anonymous = 0
        self.origins = parse_origins(config.allowed_origins)
        self.quiet = QuietLog(clock or _loop_time)
        #: Refusals since start, by kind (the tests' figures; /metrics has them too).
        self.refusals: Counter[str] = Counter()
        self._on_refused = on_refused

    # -- WebSocket connections ---------------------------------------------------------
    def check_origin(self, origin: str | None, host: str | None) -> None:
        if not origin_allowed(origin, host, self.origins):
            reason = "this origin may not connect"
            self._refuse("origin", CloseCode.POLICY_VIOLATION, reason, origin)

    def enter(self, address: str) -> None:
        """A WebSocket from `address` opens (not logged in yet), or is refused."""
        config = self.config
        if config.max_per_address and self.per_address[address] >= config.max_per_address:
            self._refuse(
                "per_address",
                CloseCode.TRY_AGAIN_LATER,
                f"too many connections from your address ({config.max_per_address}):"
                " close some, then try again",
                address,
            )
        if config.max_anonymous and self.anonymous >= config.max_anonymous:
            self._refuse(
                "anonymous",
                CloseCode.TRY_AGAIN_LATER,
                "the server has too many connections waiting to log in: try again shortly",
                address,
            )
        self.per_address[address] += 1
        self.anonymous += 1

    def check_user(self, user_key: str) -> str | None:
        """Why a connection may not log in as `user_key` (None: it may)."""
        cap = self.config.max_per_user
        if cap and self.per_user[user_key] >= cap:
            self.count("per_user", user_key)
            return (
                f"this account has {cap} connections open on this server, the most allowed:"
                " close one, then try again"
            )
        return None

    def logged_in(self, user_key: str) -> None:
        self.anonymous -= 1
        self.per_user[user_key] += 1

    def logged_out(self, user_key: str) -> None:
        self._drop(self.per_user, user_key)
        self.anonymous += 1

    def leave(self, address: str) -> None:
        """A WebSocket that `enter` let in has ended (and logged out, if it had logged in)."""
        self._drop(self.per_address, address)
        self.anonymous -= 1

    def count(self, kind: str, detail: str | None) -> None:
        """One refusal of `kind`: counted, and logged now and then (`QuietLog`)."""
        self.refusals[kind] += 1
        self.quiet.refused(kind, detail or "-")
        if self._on_refused is not None:
            self._on_refused(kind)

    def _refuse(self, kind: str, code: int, reason: str, detail: str | None) -> None:
        self.count(kind, detail)
        raise Refusal(kind, code, reason)

    @staticmethod
    def _drop(counts: Counter[str], key: str) -> None:
        left = counts[key] - 1
        if left > 0:
            counts[key] = left
        else:
            del counts[key]


def _loop_time() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        import time

        return time.monotonic()


class Turns:
    """At most `at_once` of something costly run at a time (searches), and at most
    `waiting` wait for their turn; more are refused at once with `rate_limited`, so
    that they can never crowd out what else the node does (sends)."""

    def __init__(self, at_once: int, waiting: int, what: str) -> None:
        self._slots = asyncio.Semaphore(max(1, at_once))
        self.waiting = 0
        self.most_waiting = waiting
        self.what = what

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._slots.locked() and self.waiting >= self.most_waiting:
            raise ChatError(
                ErrorCode.RATE_LIMITED,
                f"the server is busy with other {self.what}: try again in a moment",
                BUSY_RETRY,
            )
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._slots.release()


#: retry_after of a request refused by `Turns`.
BUSY_RETRY = 1.0
