"""Rate limiting with an injected clock: a token bucket and a login throttle."""

from __future__ import annotations

from dataclasses import dataclass

#: Seconds added to every wait `take` asks for: `now + wait - stamp` loses a few units in
#: the last place of `now` to rounding (about 1e-7 s when a monotonic clock reads 1e9 s),
#: and a caller who waits exactly what it was told must then be let through.
_MARGIN = 1e-6


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second. A rate of 0 or less never limits."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def take(self, now: float, cost: float = 1.0) -> float:
        """Take `cost` tokens: 0.0 if allowed, else the seconds after which it will be."""
        if self.rate <= 0:
            return 0.0
        elapsed = now - self.stamp
        if elapsed > 0:
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
            self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate + _MARGIN


@dataclass(slots=True)
class _Record:
    failures: int
    blocked_until: float
    last_failure: float


class LoginThrottle:
    """Slows down password guessing, per key (an account, an address).

    The first `free` failures of a key cost nothing; each one after blocks that key for
    `base_delay * 2**n` seconds (at most `max_delay`). A success clears the key; a key
    with no failure for `forget_after` seconds is forgotten.
    """

    def __init__(
        self,
        *,
        free: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 900.0,
        forget_after: float = 3600.0,
        max_keys: int = 100_000,
    ) -> None:
        self.free = free
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.max_keys = max_keys
        self._records: dict[str, _Record] = {}

    def retry_after(self, key: str, now: float) -> float:
        """Seconds before `key` may try again (0.0: now)."""
        record = self._records.get(key)
        if record is None:
            return 0.0
        if now - record.last_failure > self.forget_after:
            del self._records[key]
            return 0.0
        return max(0.0, record.blocked_until - now)

    def failure(self, key: str, now: float) -> None:
        record = self._records.get(key)
        if record is None or now - record.last_failure > self.forget_after:
            if len(self._records) >= self.max_keys:
                self._prune(now)
            record = self._records[key] = _Record(0, 0.0, now)
        record.failures += 1
        record.last_failure = now
        over = record.failures - self.free
        if over > 0:
            delay = min(self.max_delay, self.base_delay * 2 ** min(over - 1, 30))
            record.blocked_until = now + delay

    def success(self, key: str) -> None:
        self._records.pop(key, None)

    def _prune(self, now: float) -> None:
        stale = [k for k, r in self._records.items() if now - r.last_failure > self.forget_after]
        for key in stale:
            del self._records[key]
        if len(self._records) >= self.max_keys:
            # Forget the older half, and always enough to make room for one more key.
            oldest = sorted(self._records, key=lambda k: self._records[k].last_failure)
            drop = max(len(oldest) // 2, len(oldest) - self.max_keys + 1)
            for key in oldest[:drop]:
                del self._records[key]


class LoginGuard:
    """The failed-login throttles of a server, by three keys with their own free tries:
    an account from one address (a forgotten password, or one guesser), an address
    across accounts (one guesser trying many), and an account from anywhere (guessing
    spread over many addresses, which must not lock its owner out as quickly)."""

    def __init__(
        self,
        *,
        pair_free: int = 5,
        address_free: int = 20,
        account_free: int = 50,
        base_delay: float = 1.0,
        max_delay: float = 900.0,
    ) -> None:
        def make(free: int) -> LoginThrottle:
            return LoginThrottle(free=free, base_delay=base_delay, max_delay=max_delay)

        self._pair = make(pair_free)
        self._address = make(address_free)
        self._account = make(account_free)

    def _keys(self, account: str, address: str) -> tuple[tuple[LoginThrottle, str], ...]:
        return (
            (self._pair, f"{account}@{address}"),
            (self._address, address),
            (self._account, account),
        )

    def retry_after(self, account: str, address: str, now: float) -> float:
        """Seconds before `account` may be tried from `address` again (0.0: now)."""
        return max(t.retry_after(key, now) for t, key in self._keys(account, address))

    def failure(self, account: str, address: str, now: float) -> None:
        for throttle, key in self._keys(account, address):
            throttle.failure(key, now)

    def success(self, account: str, address: str) -> None:
        """A right password clears the account's own counts, not its address's."""
        self._pair.success(f"{account}@{address}")
        self._account.success(account)
