"""The failed-login counts in Redis, shared by every node of a cluster.

Each count is a hash `{prefix}:login:{key}` with `n` (failures, attempts being checked
included) and `t` (the last one's time, integer milliseconds since the epoch), which
expires `forget_after` seconds after its last failure. The rules are those of
`chinwag.core.ratelimit` (`Backoff`, `FailureTable`), applied here by two Lua scripts so
that an attempt is checked and counted in one atomic step, whichever node makes it:
parallel guesses spread over many nodes meet one budget, exactly.

Times come from the nodes' clocks (kept in step by NTP): a node a second off only moves a
wait by a second. A wait is never more than the rule's cap, whatever the clocks say.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from chinwag.core.ratelimit import Counter, Reservation

#: Check every count of an attempt, and count it on each if none blocks it.
#: KEYS: the counts. ARGV: now (ms), time to live (ms), then free, base (ms) and cap (ms)
#: for each key. Returns {wait in ms} when blocked, else {0, previous t of each key}.
_RESERVE_LUA = """
local now = tonumber(ARGV[1])
local wait = 0
local counts, lasts = {}, {}
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'n', 't')
  local n, t = tonumber(v[1]) or 0, tonumber(v[2]) or 0
  if now - t > tonumber(ARGV[2]) then n, t = 0, 0 end  -- forgotten (its TTL is late)
  counts[i], lasts[i] = n, t
  local j = 3 + (i - 1) * 3
  local free, base, cap = tonumber(ARGV[j]), tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2])
  if n > free then
    local delay = math.min(cap, base * 2 ^ math.min(n - free - 1, 60))
    local w = math.min(cap, t + delay - now)
    if w > wait then wait = w end
  end
end
if wait > 0 then return {math.ceil(wait)} end
local out = {0}
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'n', counts[i] + 1, 't', ARGV[1])
  redis.call('PEXPIRE', key, ARGV[2])
  out[#out + 1] = lasts[i]
end
return out
"""

#: Hand a reservation back. KEYS: the counts. ARGV: the reservation's stamp (ms), then
#: for each key 1 to clear it or 0 to take one failure back, and its previous t (ms).
_RELEASE_LUA = """
for i, key in ipairs(KEYS) do
  local clear, previous = ARGV[i * 2], ARGV[i * 2 + 1]
  local v = redis.call('HMGET', key, 'n', 't')
  local n = tonumber(v[1])
  if n then
    if clear == '1' or n <= 1 then
      redis.call('DEL', key)
    else
      redis.call('HSET', key, 'n', n - 1)
      if v[2] == ARGV[1] then redis.call('HSET', key, 't', previous) end
    end
  end
end
return 0
"""


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


class RedisCounters:
    """Failure counts under `{prefix}:login:` in the Redis at `url`. Every call is one
    round trip; the caller bounds how long it may take (see `SharedCounters`), and the
    client gives up on its own after `timeout` too, without retrying."""

    def __init__(
        self, url: str, *, prefix: str, forget_after: float = 3600.0, timeout: float = 0.2
    ) -> None:
        self.prefix = prefix
        self.forget_after = forget_after
        self._redis: aioredis.Redis = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            client_name=f"{prefix}:login-throttle",
        )
        self._reserve = self._redis.register_script(_RESERVE_LUA)
        self._release = self._redis.register_script(_RELEASE_LUA)

    def key(self, counter: Counter) -> str:
        return f"{self.prefix}:login:{counter.key}"

    async def reserve(
        self, counters: tuple[Counter, ...], now: float
    ) -> tuple[float, Reservation | None]:
        stamp = _ms(now)
        args: list[Any] = [stamp, _ms(self.forget_after)]
        for counter in counters:
            rule = counter.rule
            args += [rule.free, _ms(rule.base), _ms(rule.cap)]
        reply = await self._reserve(keys=[self.key(c) for c in counters], args=args)
        wait = int(reply[0])
        if wait > 0:
            return wait / 1000, None
        previous = tuple(int(t) / 1000 for t in reply[1:])
        return 0.0, Reservation(counters, stamp / 1000, previous)

    async def release(self, reservation: Reservation, *, success: bool) -> None:
        args: list[Any] = [_ms(reservation.stamp)]
        for counter, previous in zip(reservation.counters, reservation.previous, strict=True):
            args += [1 if success and counter.cleared_by_success else 0, _ms(previous)]
        await self._release(keys=[self.key(c) for c in reservation.counters], args=args)

    async def wait(self, counters: tuple[Counter, ...], now: float) -> float:
        """Seconds before an attempt meeting `counters` is allowed (0.0: now): for tests
        and operators, since `reserve` checks and counts in one step."""
        pipe = self._redis.pipeline(transaction=False)
        for counter in counters:
            pipe.hmget(self.key(counter), "n", "t")
        waits = [0.0]
        for counter, (n, t) in zip(counters, await pipe.execute(), strict=True):
            if n is not None and now - int(t) / 1000 <= self.forget_after:
                waits.append(counter.rule.wait(int(n), int(t) / 1000, now))
        return max(waits)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()
