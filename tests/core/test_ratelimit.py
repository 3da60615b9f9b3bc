"""The token bucket and the login throttle, on a clock the tests hold."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.core.ratelimit import LoginGuard, LoginThrottle, TokenBucket

# -- TokenBucket ------------------------------------------------------------------------


def test_burst_then_rate() -> None:
    bucket = TokenBucket(rate=5.0, burst=10, now=100.0)
    assert [bucket.take(100.0) for _ in range(10)] == [0.0] * 10
    wait = bucket.take(100.0)
    assert wait == pytest.approx(0.2, abs=1e-5)
    assert bucket.take(100.1) == pytest.approx(0.1, abs=1e-5)  # half a token came back
    assert bucket.take(100.2) == 0.0
    assert bucket.take(100.2) == pytest.approx(0.2, abs=1e-5)
    # steady state: one every 1/rate seconds
    t = 100.2
    for _ in range(20):
        t += 0.2
        assert bucket.take(t) == 0.0


def test_waiting_the_time_given_is_enough() -> None:
    now = 1_234_567.891  # a monotonic clock of a machine up for two weeks
    bucket = TokenBucket(rate=3.0, burst=2, now=now)
    bucket.take(now)
    bucket.take(now)
    for _ in range(50):
        now += 0.0123
        wait = bucket.take(now)
        if wait:
            now += wait
            assert bucket.take(now) == 0.0


def test_refill_is_capped_at_burst() -> None:
    bucket = TokenBucket(rate=5.0, burst=3, now=0.0)
    for _ in range(3):
        bucket.take(0.0)
    allowed = [bucket.take(10_000.0) == 0.0 for _ in range(10)]
    assert allowed == [True] * 3 + [False] * 7


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_a_rate_of_zero_or_less_never_limits(rate: float) -> None:
    bucket = TokenBucket(rate=rate, burst=1, now=0.0)
    assert all(bucket.take(0.0) == 0.0 for _ in range(10_000))


def test_a_clock_going_back_neither_refills_nor_breaks() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, now=10.0)
    assert bucket.take(10.0) == 0.0
    assert bucket.take(5.0) > 0
    assert bucket.take(10.5) == pytest.approx(0.5, abs=1e-5)
    assert bucket.take(11.0) == 0.0


def test_cost() -> None:
    bucket = TokenBucket(rate=1.0, burst=10, now=0.0)
    assert bucket.take(0.0, cost=7) == 0.0
    assert bucket.take(0.0, cost=4) == pytest.approx(1.0, abs=1e-5)
    assert bucket.take(1.0, cost=4) == 0.0


@settings(max_examples=100)
@given(
    rate=st.floats(min_value=0.01, max_value=100),
    burst=st.integers(min_value=1, max_value=50),
    steps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=100),
    start=st.floats(min_value=0, max_value=1e7),
)
def test_never_allows_more_than_burst_plus_rate_times_elapsed(
    rate: float, burst: int, steps: list[float], start: float
) -> None:
    bucket = TokenBucket(rate=rate, burst=burst, now=start)
    now = start
    allowed = 0
    for step in steps:
        now += step
        wait = bucket.take(now)
        if wait == 0.0:
            allowed += 1
        else:
            assert wait > 0
        assert allowed <= burst + rate * (now - start) + 1e-6


@settings(max_examples=100)
@given(
    rate=st.floats(min_value=0.01, max_value=100),
    burst=st.integers(min_value=1, max_value=20),
    start=st.floats(min_value=0, max_value=1e9),
)
def test_a_steady_caller_at_the_rate_is_never_refused(
    rate: float, burst: int, start: float
) -> None:
    bucket = TokenBucket(rate=rate, burst=burst, now=start)
    now = start
    for _ in range(burst):
        assert bucket.take(now) == 0.0
    for _ in range(20):
        wait = bucket.take(now)
        if wait:
            now += wait
            assert bucket.take(now) == 0.0


# -- LoginThrottle ----------------------------------------------------------------------


def fail(throttle: LoginThrottle, key: str, now: float, times: int = 1) -> None:
    for _ in range(times):
        throttle.failure(key, now)


def test_free_attempts_cost_nothing() -> None:
    throttle = LoginThrottle(free=5)
    for _ in range(5):
        assert throttle.retry_after("ada", 0.0) == 0.0
        throttle.failure("ada", 0.0)
    assert throttle.retry_after("ada", 0.0) == 0.0


def test_each_failure_after_the_free_ones_doubles_the_delay_up_to_the_cap() -> None:
    throttle = LoginThrottle(free=2, base_delay=1.0, max_delay=30.0)
    now = 0.0
    fail(throttle, "ada", now, 2)
    delays = []
    for _ in range(8):
        throttle.failure("ada", now)
        delay = throttle.retry_after("ada", now)
        delays.append(delay)
        now += delay  # the client waits, then fails again
        assert throttle.retry_after("ada", now) == 0.0
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_the_block_counts_down() -> None:
    throttle = LoginThrottle(free=0, base_delay=10.0)
    throttle.failure("ada", 100.0)
    assert throttle.retry_after("ada", 100.0) == 10.0
    assert throttle.retry_after("ada", 104.0) == 6.0
    assert throttle.retry_after("ada", 110.0) == 0.0
    assert throttle.retry_after("ada", 200.0) == 0.0


def test_huge_failure_counts_do_not_overflow() -> None:
    throttle = LoginThrottle(free=0, base_delay=1.0, max_delay=900.0)
    fail(throttle, "ada", 0.0, 5000)
    assert throttle.retry_after("ada", 0.0) == 900.0


def test_success_clears_the_key() -> None:
    throttle = LoginThrottle(free=1, base_delay=1.0)
    fail(throttle, "ada", 0.0, 4)
    assert throttle.retry_after("ada", 0.0) > 0
    throttle.success("ada")
    assert throttle.retry_after("ada", 0.0) == 0.0
    throttle.failure("ada", 0.0)  # the free attempt is free again
    assert throttle.retry_after("ada", 0.0) == 0.0
    throttle.success("nobody")  # unknown keys are fine


def test_keys_are_independent() -> None:
    throttle = LoginThrottle(free=0)
    throttle.failure("ada", 0.0)
    assert throttle.retry_after("ada", 0.0) > 0
    assert throttle.retry_after("bob", 0.0) == 0.0


def test_a_quiet_key_is_forgotten_after_forget_after() -> None:
    throttle = LoginThrottle(free=2, base_delay=1.0, forget_after=3600.0)
    fail(throttle, "ada", 0.0, 2)
    # still remembered just before forget_after: the next failure blocks
    throttle.failure("ada", 3600.0)
    assert throttle.retry_after("ada", 3600.0) == 1.0
    # a failure more than forget_after after the last one starts afresh
    throttle.failure("ada", 7201.0)
    assert throttle.retry_after("ada", 7201.0) == 0.0
    # and a key quiet for long enough reads as clear, and is dropped
    fail(throttle, "bob", 0.0, 10)
    assert throttle.retry_after("bob", 3600.5) == 0.0
    assert throttle.retry_after("bob", 3601.0) == 0.0
    assert "bob" not in throttle._records


def test_pruning_keeps_the_table_bounded_and_drops_stale_keys_first() -> None:
    throttle = LoginThrottle(free=0, base_delay=100.0, max_keys=4, forget_after=60.0)
    throttle.failure("old", 0.0)
    for i, key in enumerate(("a", "b", "c")):
        throttle.failure(key, 100.0 + i)
    throttle.failure("d", 101.0)  # "old" is stale: it goes, the fresh keys stay
    assert set(throttle._records) == {"a", "b", "c", "d"}
    assert throttle.retry_after("a", 102.0) > 0
    throttle.failure("e", 103.0)  # none stale: the older half goes
    assert len(throttle._records) <= 4
    assert "e" in throttle._records
    assert "a" not in throttle._records


@settings(max_examples=100)
@given(
    max_keys=st.integers(min_value=1, max_value=20),
    events=st.lists(
        st.tuples(st.integers(min_value=0, max_value=40), st.floats(min_value=0, max_value=50)),
        max_size=150,
    ),
)
def test_the_table_never_holds_more_than_max_keys(
    max_keys: int, events: list[tuple[int, float]]
) -> None:
    throttle = LoginThrottle(free=1, max_keys=max_keys, forget_after=100.0)
    now = 0.0
    for key, step in events:
        now += step
        throttle.failure(f"k{key}", now)
        assert len(throttle._records) <= max_keys
        assert throttle.retry_after(f"k{key}", now) >= 0.0


# -- LoginGuard -------------------------------------------------------------------------


def test_guard_blocks_a_guesser_at_one_address_but_not_the_owner_elsewhere() -> None:
    guard = LoginGuard(pair_free=2, address_free=10, account_free=5)
    for _ in range(3):
        guard.failure("ada", "10.0.0.66", now=0.0)
    assert guard.retry_after("ada", "10.0.0.66", 0.0) > 0
    assert guard.retry_after("ada", "10.0.0.7", 0.0) == 0.0  # the owner, elsewhere


def test_guard_blocks_one_address_trying_many_accounts() -> None:
    guard = LoginGuard(pair_free=5, address_free=3, account_free=50)
    for name in ("a", "b", "c", "d"):
        guard.failure(name, "10.0.0.66", now=0.0)
    assert guard.retry_after("e", "10.0.0.66", 0.0) > 0
    assert guard.retry_after("e", "10.0.0.7", 0.0) == 0.0


def test_guard_blocks_an_account_guessed_from_many_addresses() -> None:
    guard = LoginGuard(pair_free=5, address_free=20, account_free=3)
    for i in range(4):
        guard.failure("ada", f"10.0.0.{i}", now=0.0)
    assert guard.retry_after("ada", "10.0.0.200", 0.0) > 0
    assert guard.retry_after("bob", "10.0.0.200", 0.0) == 0.0


def test_guard_success_clears_the_account_not_the_address() -> None:
    guard = LoginGuard(pair_free=1, address_free=1, account_free=1)
    for _ in range(2):
        guard.failure("ada", "10.0.0.66", now=0.0)
    guard.success("ada", "10.0.0.66")
    assert guard.retry_after("ada", "10.0.0.7", 0.0) == 0.0
    assert guard.retry_after("bob", "10.0.0.66", 0.0) > 0  # the address keeps its record
