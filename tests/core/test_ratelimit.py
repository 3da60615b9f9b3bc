"""The token bucket and the failed-login throttle, on a clock the tests hold."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.core.ratelimit import (
    Backoff,
    Counter,
    FailureTable,
    LoginRules,
    TokenBucket,
    throttle_address,
)

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


# -- Backoff ----------------------------------------------------------------------------


def test_free_failures_then_doubling_waits_up_to_the_cap() -> None:
    rule = Backoff(free=2, base=1.0, cap=30.0)
    assert [rule.delay(n) for n in range(11)] == [0, 0, 0, 1, 2, 4, 8, 16, 30, 30, 30]
    assert rule.delay(10**6) == 30.0  # huge counts do not overflow


def test_the_wait_counts_down_from_the_last_failure_and_never_exceeds_the_cap() -> None:
    rule = Backoff(free=0, base=10.0, cap=60.0)
    assert rule.wait(1, last=100.0, now=100.0) == 10.0
    assert rule.wait(1, last=100.0, now=104.0) == 6.0
    assert rule.wait(1, last=100.0, now=110.0) == 0.0
    assert rule.wait(0, last=100.0, now=100.0) == 0.0
    # a clock that went back an hour: still at most the cap
    assert rule.wait(3, last=5000.0, now=1400.0) == 60.0


# -- FailureTable -----------------------------------------------------------------------


def counter(key: str = "k", free: int = 0, base: float = 1.0, cap: float = 900.0) -> Counter:
    return Counter(key, Backoff(free, base, cap))


def fail(table: FailureTable, counters: tuple[Counter, ...], now: float, times: int = 1) -> None:
    """`times` attempts with a wrong password (each must be let through)."""
    for _ in range(times):
        wait, reservation = table.reserve(counters, now)
        assert wait == 0.0 and reservation is not None


def test_an_attempt_is_counted_before_it_is_checked() -> None:
    table = FailureTable()
    one = (counter(free=1),)
    wait, first = table.reserve(one, 0.0)
    assert (wait, first is not None) == (0.0, True)
    # a second guess sent while the first is being checked already meets it
    wait, second = table.reserve(one, 0.0)
    assert second is not None and wait == 0.0  # the one free failure
    wait, third = table.reserve(one, 0.0)
    assert third is None and wait == 1.0


def test_each_failure_after_the_free_ones_doubles_the_wait() -> None:
    table = FailureTable()
    keys = (counter(free=2, cap=30.0),)
    now = 0.0
    fail(table, keys, now, 2)
    waits = []
    for _ in range(8):
        fail(table, keys, now)
        wait = table.wait(keys, now)
        waits.append(wait)
        assert table.reserve(keys, now)[1] is None  # blocked: nothing is counted
        now += wait  # the guesser waits as told, then guesses again
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_a_right_password_clears_what_it_clears_and_hands_the_rest_back() -> None:
    table = FailureTable()
    pair = Counter("pair", Backoff(1), cleared_by_success=True)
    other = Counter("other", Backoff(1))
    fail(table, (pair, other), 0.0, 2)
    assert table.wait((pair,), 5.0) == 0.0 and table.wait((other,), 0.5) == 0.5
    wait, reservation = table.reserve((pair, other), 5.0)
    assert wait == 0.0 and reservation is not None
    table.release(reservation, success=True)
    assert table.wait((pair,), 5.0) == 0.0
    fail(table, (pair,), 5.0)  # its free failure is free again
    assert table.wait((pair,), 5.0) == 0.0
    # the other count is as it was: two failures, the last at 0.0
    assert table.wait((other,), 0.5) == 0.5
    fail(table, (other,), 1.0)
    assert table.wait((other,), 1.0) == 2.0


def test_a_check_that_never_happened_is_handed_back_entirely() -> None:
    table = FailureTable()
    pair = Counter("pair", Backoff(0), cleared_by_success=True)
    other = Counter("other", Backoff(1))
    fail(table, (pair, other), 0.0)
    assert table.wait((pair,), 0.0) == 1.0
    _, reservation = table.reserve((other,), 2.0)
    assert reservation is not None
    table.release(reservation, success=False)
    assert table.wait((other,), 2.0) == 0.0
    fail(table, (other,), 2.0)  # one failure (from 0.0) and this one: the second blocks
    assert table.wait((other,), 2.0) == 1.0
    assert len(table) == 2
    assert table.reserve((pair,), 0.0)[1] is None
    assert table.wait((pair,), 0.5) == 0.5  # unchanged by the refused attempt


def test_a_quiet_key_is_forgotten_after_forget_after() -> None:
    table = FailureTable(forget_after=3600.0)
    keys = (counter(free=2),)
    fail(table, keys, 0.0, 2)
    fail(table, keys, 3600.0)  # still remembered: this third failure blocks
    assert table.wait(keys, 3600.0) == 1.0
    fail(table, keys, 7201.0)  # more than forget_after after the last one: afresh
    assert table.wait(keys, 7201.0) == 0.0
    bob = (counter("bob", free=1),)
    fail(table, bob, 0.0, 2)
    assert table.wait(bob, 3600.0) == 0.0
    fail(table, bob, 3601.0)  # forgotten: the first failure again, a free one
    assert table.wait(bob, 3601.0) == 0.0
    assert len(table) == 2


def test_pruning_keeps_the_table_bounded_and_drops_stale_keys_first() -> None:
    table = FailureTable(max_keys=4, forget_after=60.0)
    fail(table, (counter("old"),), 0.0)
    for i, key in enumerate(("a", "b", "c")):
        fail(table, (counter(key),), 100.0 + i)
    fail(table, (counter("d"),), 101.0)  # "old" is stale: it goes, the fresh keys stay
    assert set(table._counts) == {"a", "b", "c", "d"}
    fail(table, (counter("e"),), 110.0)  # none stale: the older half goes
    assert len(table) <= 4 and "e" in table._counts and "a" not in table._counts


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
    table = FailureTable(max_keys=max_keys, forget_after=100.0)
    now = 0.0
    for key, step in events:
        now += step
        table.reserve((counter(f"k{key}", free=1),), now)
        assert len(table) <= max_keys
        assert table.wait((counter(f"k{key}", free=1),), now) >= 0.0


@settings(max_examples=200)
@given(
    free=st.integers(min_value=0, max_value=5),
    steps=st.lists(
        st.tuples(st.sampled_from(["wrong", "right", "error"]), st.floats(0, 3)), max_size=60
    ),
)
def test_no_more_wrong_guesses_are_checked_than_the_rule_allows(
    free: int, steps: list[tuple[str, float]]
) -> None:
    """Whatever a guesser does, the wrong guesses checked so far never outnumber the
    free ones plus one per wait sat out; and a right password never leaves a count."""
    rule = Backoff(free, base=1.0, cap=8.0)
    key = Counter("k", rule)
    table = FailureTable()
    now = 0.0
    wrong = 0
    for outcome, step in steps:
        now += step
        wait, reservation = table.reserve((key,), now)
        if reservation is None:
            assert wait > 0
            continue
        if outcome == "wrong":
            wrong += 1
        else:
            table.release(reservation, success=outcome == "right")
        count = table._counts.get("k")
        assert (count.failures if count else 0) == wrong
        # n wrong guesses need at least delay(free+1) + ... + delay(n-1) seconds
        assert sum(rule.delay(n) for n in range(free + 1, wrong)) <= now + 1e-9


# -- LoginRules ---------------------------------------------------------------------------


def attempt(
    table: FailureTable,
    rules: LoginRules,
    account: str,
    address: str,
    now: float,
    *,
    known: bool = False,
    right: bool = False,
) -> str:
    """One login attempt: "throttled", "failed" or "ok"."""
    _, reservation = table.reserve(rules.counters(account, address, known=known), now)
    if reservation is None:
        return "throttled"
    if right:
        table.release(reservation, success=True)
        return "ok"
    return "failed"


def test_a_guesser_at_one_address_is_held_back_but_not_the_owner_elsewhere() -> None:
    rules, table = LoginRules(pair_free=2, address_free=10, account_free=5), FailureTable()
    assert [attempt(table, rules, "ada", "10.0.0.66", 0.0) for _ in range(4)] == [
        "failed",
        "failed",
        "failed",
        "throttled",
    ]
    assert attempt(table, rules, "ada", "10.0.0.7", 0.0, right=True) == "ok"


def test_the_owner_at_a_known_address_gets_in_through_a_distributed_storm() -> None:
    rules, table = LoginRules(pair_free=5, address_free=20, account_free=50), FailureTable()
    now = 0.0
    codes = []
    for i in range(2000):  # 2,000 guesses from 500 addresses over 10 minutes
        now += 0.3
        codes.append(attempt(table, rules, "ada", f"10.1.{i % 500 // 250}.{i % 250}", now))
        if i % 100 == 0:
            assert attempt(table, rules, "ada", "192.0.2.1", now, known=True, right=True) == "ok"
    # the storm is slowed to the account's budget: its free failures, then a doubling wait
    checked = codes.count("failed")
    assert 50 < checked <= 50 + 10, checked
    # a stranger, even with the right password, waits while the storm lasts
    assert attempt(table, rules, "ada", "198.51.100.1", now, right=True) == "throttled"
    # and the owner's own address still counts only the owner's mistakes
    for _ in range(5):
        assert attempt(table, rules, "ada", "192.0.2.1", now, known=True) == "failed"
    assert attempt(table, rules, "ada", "192.0.2.1", now, known=True) == "failed"
    assert attempt(table, rules, "ada", "192.0.2.1", now, known=True, right=True) == "throttled"


def test_one_address_spraying_many_accounts_is_held_back() -> None:
    rules, table = LoginRules(pair_free=5, address_free=3, account_free=50), FailureTable()
    codes = [attempt(table, rules, name, "10.0.0.66", 0.0) for name in "abcdef"]
    assert codes == ["failed"] * 4 + ["throttled"] * 2
    assert attempt(table, rules, "e", "10.0.0.7", 0.0) == "failed"  # another address
    # an account that knows the address is not held back by its other failures
    assert attempt(table, rules, "f", "10.0.0.66", 0.0, known=True, right=True) == "ok"


def test_success_does_not_give_the_storm_its_free_failures_back() -> None:
    rules, table = LoginRules(pair_free=5, address_free=20, account_free=3), FailureTable()
    for i in range(4):
        assert attempt(table, rules, "ada", f"10.0.0.{i}", 0.0) == "failed"
    assert attempt(table, rules, "ada", "10.0.0.200", 0.0) == "throttled"
    assert attempt(table, rules, "ada", "192.0.2.1", 0.0, known=True, right=True) == "ok"
    assert attempt(table, rules, "ada", "10.0.0.201", 0.5) == "throttled"
    assert attempt(table, rules, "ada", "10.0.0.202", 1.0) == "failed"  # its wait was 1 s


def test_counts_are_per_account() -> None:
    rules, table = LoginRules(pair_free=5, address_free=100, account_free=3), FailureTable()
    for i in range(4):
        attempt(table, rules, "ada", f"10.0.0.{i}", 0.0)
    assert attempt(table, rules, "bob", "10.0.0.200", 0.0, right=True) == "ok"


@pytest.mark.parametrize(
    ("address", "counted"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::1]", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("?", "?"),
    ],
)
def test_an_ipv6_address_counts_as_its_64(address: str, counted: str) -> None:
    assert throttle_address(address) == counted
