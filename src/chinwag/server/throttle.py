"""The failed-login throttle of a node: the rules of `chinwag.core.ratelimit.LoginRules`
applied to counts kept in this process, or in Redis when the node has one, so that the
nodes of a cluster give a guesser one budget between them, not one each.

Nothing a login waits for waits long on Redis: each call to it is bounded by
`throttle_timeout` (0.2 s), and when Redis does not answer in time the node counts on
its own (`FailureTable`) until Redis answers again, trying it again every
`RETRY_REDIS` seconds. That is logged once when it starts and once when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from redis.exceptions import RedisError

from chinwag.config import ServerConfig
from chinwag.core.ratelimit import Counter, FailureTable, LoginRules, Reservation
from chinwag.server.throttle_redis import RedisCounters

log = logging.getLogger("chinwag.throttle")

#: Seconds between tries of a Redis that failed to answer.
RETRY_REDIS = 5.0

#: Where the counts are: "local" (a node alone), "shared" (Redis), "fallback" (Redis
#: should hold them but does not answer: this node counts alone meanwhile).
Sharing = Literal["local", "shared", "fallback"]


class Counters(Protocol):
    """Failure counts by key (see `FailureTable` for what each call does)."""

    async def reserve(
        self, counters: tuple[Counter, ...], now: float
    ) -> tuple[float, Reservation | None]: ...

    async def release(self, reservation: Reservation, *, success: bool) -> None: ...


class LocalCounters:
    """The counts of this process alone."""

    def __init__(self, *, forget_after: float = 3600.0) -> None:
        self.table = FailureTable(forget_after=forget_after)

    async def reserve(
        self, counters: tuple[Counter, ...], now: float
    ) -> tuple[float, Reservation | None]:
        return self.table.reserve(counters, now)

    async def release(self, reservation: Reservation, *, success: bool) -> None:
        self.table.release(reservation, success=success)


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt as the throttle let it through (`wait` 0) or not (`wait` > 0)."""

    wait: float
    reservation: Reservation | None = None
    #: The counts that hold the reservation (Redis, or this node's own).
    holder: Counters | None = None


_REDIS_DOWN = (RedisError, OSError, TimeoutError)


class LoginThrottle:
    """Checks and counts login attempts (see `LoginRules` for the rules)."""

    def __init__(
        self,
        rules: LoginRules,
        *,
        redis: RedisCounters | None = None,
        timeout: float = 0.2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rules = rules
        self.local = LocalCounters(forget_after=rules.forget_after)
        self.redis = redis
        self.timeout = timeout
        self._clock = clock
        #: While Redis is taken for down: the time (loop clock) of the next try.
        self._retry_at: float | None = None

    @property
    def sharing(self) -> Sharing:
        if self.redis is None:
            return "local"
        return "shared" if self._retry_at is None else "fallback"

    async def attempt(self, account: str, address: str, *, known: bool) -> Attempt:
        """Let an attempt on `account` (canonical) from `address` (as counted, see
        `throttle_address`) be checked, counting it as a failure until it is settled;
        or say how long it must wait."""
        counters = self.rules.counters(account, address, known=known)
        now = self._clock()
        redis = self.redis
        if redis is not None and self._redis_due():
            try:
                async with asyncio.timeout(self.timeout):
                    wait, reservation = await redis.reserve(counters, now)
            except _REDIS_DOWN as exc:
                self._redis_failed(exc)
            else:
                self._redis_answered()
                return Attempt(wait, reservation, redis)
        wait, reservation = await self.local.reserve(counters, now)
        return Attempt(wait, reservation, self.local)

    async def failed(self, attempt: Attempt) -> None:
        """The password was wrong: the attempt stays counted."""

    async def succeeded(self, attempt: Attempt) -> None:
        """The password was right: clear the account's count from this address, and take
        the attempt back from the others."""
        await self._release(attempt, success=True)

    async def abandoned(self, attempt: Attempt) -> None:
        """The password was never checked (an error): take the attempt back."""
        await self._release(attempt, success=False)

    async def _release(self, attempt: Attempt, *, success: bool) -> None:
        if attempt.reservation is None or attempt.holder is None:
            return
        if attempt.holder is self.local:
            await self.local.release(attempt.reservation, success=success)
            return
        try:
            async with asyncio.timeout(self.timeout):
                await attempt.holder.release(attempt.reservation, success=success)
        except _REDIS_DOWN as exc:
            # The attempt stays counted as a failure in Redis until it is forgotten:
            # one extra failure, on the safe side.
            self._redis_failed(exc)

    async def redis_answers(self, timeout: float) -> bool | None:
        """Whether Redis answers a ping within `timeout` (None: this node has no Redis)."""
        if self.redis is None:
            return None
        try:
            async with asyncio.timeout(timeout):
                await self.redis.ping()
        except Exception:  # whatever it is, Redis did not answer
            return False
        return True

    def _redis_due(self) -> bool:
        if self._retry_at is None:
            return True
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            return False
        # One try at a time: the others keep counting here until it has answered.
        self._retry_at = loop.time() + RETRY_REDIS
        return True

    def _redis_failed(self, exc: BaseException) -> None:
        if self._retry_at is None:
            log.warning(
                "login throttle: Redis did not answer within %.2f s (%s); counting failed "
                "logins on this node alone until it does",
                self.timeout,
                type(exc).__name__ if isinstance(exc, TimeoutError) else exc,
            )
        self._retry_at = asyncio.get_running_loop().time() + RETRY_REDIS

    def _redis_answered(self) -> None:
        if self._retry_at is not None:
            log.warning("login throttle: Redis answers again; failed logins are counted there")
            self._retry_at = None

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()


def open_throttle(config: ServerConfig, bus: object) -> LoginThrottle:
    """The throttle of a node: its counts in the Redis of `bus` if it is a `RedisBus`
    (under the bus's prefix), else in this process."""
    rules = LoginRules(
        pair_free=config.login_free_attempts,
        address_free=config.address_free_attempts,
        account_free=config.account_free_attempts,
    )
    from chinwag.bus.redis import RedisBus

    redis = None
    if isinstance(bus, RedisBus):
        redis = RedisCounters(
            bus.url,
            prefix=bus.prefix,
            forget_after=rules.forget_after,
            timeout=config.throttle_timeout,
        )
    return LoginThrottle(rules, redis=redis, timeout=config.throttle_timeout)
