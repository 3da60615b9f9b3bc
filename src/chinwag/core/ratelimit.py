"""Rate limiting with an injected clock: a token bucket, and the failed-login throttle.

The login throttle counts failures by key, each key with its own `Backoff`: some free
failures, then a wait that doubles with each further one. Which keys an attempt meets
depends on whether its address is one the account is known to use (`LoginRules`): the
owner's own addresses meet only their own count, strangers meet three. `FailureTable`
keeps the counts of one process; the server also keeps them in Redis, with the same
rules, so that every node of a cluster shares them.
"""

from __future__ import annotations

import ipaddress
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


# -- the failed-login throttle ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Backoff:
    """`free` failures cost nothing; the n-th one after them blocks the key for
    `base * 2**(n-1)` seconds, at most `cap`."""

    free: int
    base: float = 1.0
    cap: float = 900.0

    def delay(self, failures: int) -> float:
        """How long the key is blocked after its `failures`-th failure."""
        over = failures - self.free
        if over <= 0:
            return 0.0
        return float(min(self.cap, self.base * 2.0 ** min(over - 1, 60)))

    def wait(self, failures: int, last: float, now: float) -> float:
        """Seconds before the key may be tried again (0.0: now), after `failures`
        failures of which the last was at `last`. Never more than `cap`, even if the
        clock went back."""
        return max(0.0, min(self.cap, last + self.delay(failures) - now))


@dataclass(frozen=True, slots=True)
class Counter:
    """One count an attempt meets: its key, its rule, and whether a right password
    clears it (else a success only takes back the attempt itself)."""

    key: str
    rule: Backoff
    cleared_by_success: bool = False


@dataclass(frozen=True, slots=True)
class Reservation:
    """An attempt counted as a failure before its password is checked, so that
    attempts made meanwhile (on any node) already see it. A right password, or a check
    that never happened, hands it back (`FailureTable.release`)."""

    counters: tuple[Counter, ...]
    #: When it was counted: each counter's last failure is now this.
    stamp: float
    #: Each counter's last failure before it (0.0: none), restored when it is handed back.
    previous: tuple[float, ...]


def throttle_address(address: str) -> str:
    """The address as the throttle counts it: an IPv4 address as it is, an IPv6 address
    as its /64 network (one subscriber usually holds a whole /64, and picks new
    addresses in it at will), an IPv4-mapped IPv6 address as the IPv4 one."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class LoginRules:
    """Which counts a login attempt meets, and their rules.

    - The account from this address (`pair`): every attempt. A right password clears it.
    - Only when the address is not one the account is known to use (it never logged
      in or resumed a session from there lately): the address across every account
      (`address`: one guesser trying many accounts) and the account from every such
      address (`account`: guessing spread over many addresses). A right password does
      not clear these; they are forgotten `forget_after` seconds after their last
      failure.

    So the owner, from an address they use, meets only their own mistakes, however many
    strangers guess their password meanwhile; strangers, the owner on a new network
    included, are slowed down together once the account is under attack.
    """

    def __init__(
        self,
        *,
        pair_free: int = 5,
        address_free: int = 20,
        account_free: int = 50,
        base: float = 1.0,
        cap: float = 900.0,
        forget_after: float = 3600.0,
    ) -> None:
        self.pair = Backoff(pair_free, base, cap)
        self.address = Backoff(address_free, base, cap)
        self.account = Backoff(account_free, base, cap)
        self.forget_after = forget_after

    def counters(self, account: str, address: str, *, known: bool) -> tuple[Counter, ...]:
        """The counts an attempt on `account` (canonical) from `address` (see
        `throttle_address`) meets; `known`: the account logged in from there lately."""
        pair = Counter(f"pair:{account}@{address}", self.pair, cleared_by_success=True)
        if known:
            return (pair,)
        return (
            pair,
            Counter(f"address:{address}", self.address),
            Counter(f"account:{account}", self.account),
        )


@dataclass(slots=True)
class _Count:
    failures: int
    last: float


class FailureTable:
    """The failure counts of one process, by key. A key with no failure for
    `forget_after` seconds is forgotten; at most `max_keys` are kept (the stalest go
    first)."""

    def __init__(self, *, forget_after: float = 3600.0, max_keys: int = 100_000) -> None:
        self.forget_after = forget_after
        self.max_keys = max_keys
        self._counts: dict[str, _Count] = {}

    def _get(self, key: str, now: float) -> _Count | None:
        count = self._counts.get(key)
        if count is not None and now - count.last > self.forget_after:
            del self._counts[key]
            return None
        return count

    def wait(self, counters: tuple[Counter, ...], now: float) -> float:
        """Seconds before an attempt meeting `counters` is allowed (0.0: now)."""
        waits = [0.0]
        for counter in counters:
            count = self._get(counter.key, now)
            if count is not None:
                waits.append(counter.rule.wait(count.failures, count.last, now))
        return max(waits)

    def reserve(
        self, counters: tuple[Counter, ...], now: float
    ) -> tuple[float, Reservation | None]:
        """If every counter allows an attempt now, count it as a failure on each and
        return (0.0, the reservation); else (the wait, None), counting nothing."""
        wait = self.wait(counters, now)
        if wait > 0:
            return wait, None
        previous = []
        for counter in counters:
            count = self._get(counter.key, now)
            if count is None:
                if len(self._counts) >= self.max_keys:
                    self._prune(now)
                count = self._counts[counter.key] = _Count(0, 0.0)
            previous.append(count.last)
            count.failures += 1
            count.last = now
        return 0.0, Reservation(counters, now, tuple(previous))

    def release(self, reservation: Reservation, *, success: bool) -> None:
        """Hand back a reservation: the password was right (`success`: the counters it
        clears are cleared), or it was never checked (an error). A wrong password keeps
        it: it was counted already."""
        for counter, previous in zip(reservation.counters, reservation.previous, strict=True):
            count = self._counts.get(counter.key)
            if count is None:
                continue
            if (success and counter.cleared_by_success) or count.failures <= 1:
                del self._counts[counter.key]
                continue
            count.failures -= 1
            if count.last == reservation.stamp:
                count.last = previous

    def _prune(self, now: float) -> None:
        stale = [k for k, c in self._counts.items() if now - c.last > self.forget_after]
        for key in stale:
            del self._counts[key]
        if len(self._counts) >= self.max_keys:
            # Forget the older half, and always enough to make room for one more key.
            oldest = sorted(self._counts, key=lambda k: self._counts[k].last)
            drop = max(len(oldest) // 2, len(oldest) - self.max_keys + 1)
            for key in oldest[:drop]:
                del self._counts[key]

    def __len__(self) -> int:
        return len(self._counts)
