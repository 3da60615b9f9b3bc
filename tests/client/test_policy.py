"""The client rules (policy.py): pure tests, and the tables against docs/protocol.md."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chinwag.client import policy
from chinwag.client.events import Status
from chinwag.client.policy import CloseAction, ErrorAction
from chinwag.protocol.errors import CloseCode, ErrorCode
from tests.client.rules import documented


def test_every_error_code_and_close_code_has_a_rule() -> None:
    assert set(policy.ERRORS) == {code.value for code in ErrorCode}
    assert set(policy.CLOSES) >= {code.value for code in CloseCode} | {1006}


def test_the_tables_are_the_documents() -> None:
    doc = documented()
    assert doc.errors == {code: action.value for code, action in policy.ERRORS.items()}
    assert doc.closes == {code: action.value for code, action in policy.CLOSES.items()}
    assert doc.error_actions == [action.value for action in ErrorAction]
    assert doc.close_actions == [action.value for action in CloseAction]


def test_the_python_client_uses_the_numbers() -> None:
    from chinwag.client import Client

    client = Client("localhost:8080")
    assert client.connect_timeout == policy.CONNECT_TIMEOUT
    assert client.request_timeout == policy.REQUEST_TIMEOUT
    assert (client.backoff_base, client.backoff_cap) == (policy.BACKOFF_BASE, policy.BACKOFF_CAP)
    assert client.backoff_early_cap == policy.BACKOFF_EARLY_CAP
    assert client.flood_pause == policy.FLOOD_PAUSE
    # aiohttp pings after `heartbeat` quiet seconds and waits half of it for the pong.
    assert client.heartbeat == policy.IDLE_PING == 2 * policy.PING_TIMEOUT


def test_the_numbers_are_the_documents() -> None:
    numbers = documented().numbers
    assert numbers == {name: float(getattr(policy, name)) for name in numbers}
    assert set(numbers) == {
        "CONNECT_TIMEOUT",
        "REQUEST_TIMEOUT",
        "IDLE_PING",
        "PING_TIMEOUT",
        "BACKOFF_BASE",
        "BACKOFF_EARLY_CAP",
        "BACKOFF_EARLY",
        "BACKOFF_CAP",
        "RESTART_WAIT_CAP",
        "FLOOD_PAUSE",
        "DEFAULT_RETRY_AFTER",
        "SEND_RETRIES",
    }


@pytest.mark.parametrize(
    ("code", "action"),
    [
        ("rate_limited", ErrorAction.WAIT),
        ("throttled", ErrorAction.WAIT),
        ("unavailable", ErrorAction.RECONNECT),
        ("internal_error", ErrorAction.RETRY),
        ("muted", ErrorAction.FAIL),
        ("forbidden", ErrorAction.FAIL),
        ("not_member", ErrorAction.FAIL),
        ("not_found", ErrorAction.FAIL),
        ("invalid", ErrorAction.FAIL),
        ("bad_request", ErrorAction.FAIL),
        ("invalid_token", ErrorAction.SIGN_OUT),
        ("banned", ErrorAction.BANNED),
        ("a_code_from_a_newer_server", ErrorAction.FAIL),
    ],
)
def test_error_actions(code: str, action: ErrorAction) -> None:
    assert policy.error_action(code) is action


def test_which_closes_end_the_session() -> None:
    ends = {code: policy.session_end(code) for code in [*policy.CLOSES, 4999, None]}
    assert {code: end[0] for code, end in ends.items() if end} == {
        4001: Status.KICKED,
        4002: Status.BANNED,
        4005: Status.REVOKED,
    }
    assert policy.close_action(None) is CloseAction.BACKOFF
    assert policy.close_action(4999) is CloseAction.BACKOFF


@given(st.integers(0, 200), st.floats(0, 1, exclude_max=True))
def test_backoff_is_full_jitter_and_capped(attempt: int, draw: float) -> None:
    delay = policy.backoff_delay(attempt, 0.5, 30.0, lambda: draw)
    assert 0 <= delay < 30.0 or (delay == 0 and draw == 0)
    assert delay <= min(30.0, 0.5 * 2**attempt)


def test_backoff_doubles_until_the_cap() -> None:
    top = [policy.backoff_delay(n, rng=lambda: 1.0) for n in range(10)]
    assert top == [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_waits_stay_short_for_the_first_minute_of_an_outage() -> None:
    """Attempt n waits at most min(cap, 0.25 * 2**n), where cap is 1 s for the first
    60 s since the connection was lost and 30 s after."""

    def top(attempt: int, lost_for: float) -> float:
        return policy.reconnect_delay(attempt, 1006, lost_for=lost_for, rng=lambda: 1.0)

    assert [top(n, 0.0) for n in range(6)] == [0.25, 0.5, 1, 1, 1, 1]
    assert [top(n, 59.9) for n in (0, 2, 40)] == [0.25, 1, 1]
    assert [top(n, 60.0) for n in range(9)] == [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30]


@pytest.mark.parametrize("back_in", [0.0, 0.4, 1.0, 5.0])
def test_after_restarting_the_first_attempt_waits_what_the_server_said(back_in: float) -> None:
    def wait(attempt: int, draw: float, lost_for: float = 0.0) -> float:
        return policy.reconnect_delay(
            attempt, 1012, back_in=back_in, lost_for=lost_for, rng=lambda: draw
        )

    assert wait(0, 1.0) == min(back_in, policy.RESTART_WAIT_CAP)
    assert wait(0, 0.5) == 0.5 * min(back_in, policy.RESTART_WAIT_CAP)
    assert wait(0, 1.0, lost_for=120.0) == min(back_in, policy.RESTART_WAIT_CAP)
    # The attempts after it (each failed without a close code: nothing answered) back off
    # as after any drop, with the short cap.
    after = [policy.reconnect_delay(n, None, back_in=back_in, rng=lambda: 1.0) for n in (1, 2, 3)]
    assert after == [0.5, 1, 1]


@pytest.mark.parametrize("attempt", [0, 1, 5, 40])
@pytest.mark.parametrize("lost_for", [0.0, 61.0])
def test_reconnect_delays_by_close_code(attempt: int, lost_for: float) -> None:
    def top(code: int | None) -> float:
        return policy.reconnect_delay(attempt, code, lost_for=lost_for, rng=lambda: 1.0)

    cap = policy.backoff_cap(lost_for)
    backoff = policy.backoff_delay(attempt, cap=cap, rng=lambda: 1.0)
    assert top(1006) == top(None) == top(1011) == top(4999) == backoff
    assert top(1001) == top(1012) == policy.BACKOFF_BASE  # promptly, however many failed
    assert top(4003) == policy.FLOOD_PAUSE + backoff
    assert policy.reconnect_delay(attempt, 4003, rng=lambda: 0.0) == policy.FLOOD_PAUSE
    assert policy.reconnect_delay(attempt, 1001, rng=lambda: 0.0) == 0.0


def test_retry_after() -> None:
    assert policy.retry_after_delay(2.5) == 2.5
    assert policy.retry_after_delay(None) == policy.DEFAULT_RETRY_AFTER
    assert policy.retry_after_delay(0) == policy.DEFAULT_RETRY_AFTER
