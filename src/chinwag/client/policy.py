"""The client rules: what to do about each error code and close code, and the numbers.

These are the rules of docs/protocol.md, "Client rules: retries, timeouts and
reconnecting", written once for the Python client; the browser client has the same
tables in `web/js/policy.js`. Tests hold the three in step: change all of them together.

Pure: no asyncio, no I/O. The connection (connection.py) and the outbox (outbox.py) ask
`error_action` and `close_action` what to do, and `reconnect_delay` how long to wait.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from enum import StrEnum

from chinwag.client.events import Status

# -- the numbers (seconds) ------------------------------------------------------------------
#: Opening the WebSocket and receiving the server's `hello`.
CONNECT_TIMEOUT = 10.0
#: Waiting for the reply to one request; past it the connection is taken as dead.
REQUEST_TIMEOUT = 15.0
#: A connection that has been quiet this long is pinged...
IDLE_PING = 20.0
#: ...and taken as dead when the ping gets no answer within this.
PING_TIMEOUT = 10.0
#: Reconnecting: the pause before attempt n (0, 1, ...) is a uniform draw from
#: [0, min(cap, BACKOFF_BASE * 2**n)): "full jitter", where the cap is BACKOFF_EARLY_CAP
#: for the first BACKOFF_EARLY seconds since the connection was lost, BACKOFF_CAP after.
BACKOFF_BASE = 0.25
BACKOFF_EARLY_CAP = 1.0
BACKOFF_EARLY = 60.0
BACKOFF_CAP = 30.0
#: After a `restarting` event, attempt 0 waits a uniform draw from
#: [0, min(back_in, RESTART_WAIT_CAP)).
RESTART_WAIT_CAP = 1.0
#: After a 4003 (flood) close: this long, plus the back-off draw.
FLOOD_PAUSE = 15.0
#: `retry_after` was null on a `wait` error: wait this long.
DEFAULT_RETRY_AFTER = 1.0
#: A send refused with `internal_error` is tried again this many times (with back-off
#: draws n = 1, 2, 3) before it is shown as failed.
SEND_RETRIES = 3


class ErrorAction(StrEnum):
    """What a client does about an `error` reply."""

    #: Wait `retry_after` seconds (DEFAULT_RETRY_AFTER if null), then try again: a
    #: queued send goes again by itself, with the same `client_msg_id`.
    WAIT = "wait"
    #: The connection is no good for requests: close it, reconnect with back-off,
    #: resume, catch up, then send again what was waiting.
    RECONNECT = "reconnect"
    #: Try again with back-off: a send at most SEND_RETRIES more times, with the same
    #: `client_msg_id`, then it fails with a Retry button; catching up, until it works.
    RETRY = "retry"
    #: Not retried: the request fails with the server's message.
    FAIL = "fail"
    #: The session has ended: forget the token and ask for the password.
    SIGN_OUT = "sign_out"
    #: The account is banned: end the session, do not reconnect, show the reason.
    BANNED = "banned"


ERRORS: dict[str, ErrorAction] = {
    "bad_request": ErrorAction.FAIL,
    "unknown_type": ErrorAction.FAIL,
    "not_authenticated": ErrorAction.RECONNECT,
    "already_authenticated": ErrorAction.FAIL,
    "auth_failed": ErrorAction.FAIL,
    "invalid_token": ErrorAction.SIGN_OUT,
    "username_taken": ErrorAction.FAIL,
    "registration_closed": ErrorAction.FAIL,
    "invalid": ErrorAction.FAIL,
    "banned": ErrorAction.BANNED,
    "muted": ErrorAction.FAIL,
    "forbidden": ErrorAction.FAIL,
    "not_found": ErrorAction.FAIL,
    "not_member": ErrorAction.FAIL,
    "conflict": ErrorAction.FAIL,
    "no_change": ErrorAction.FAIL,
    "rate_limited": ErrorAction.WAIT,
    "throttled": ErrorAction.WAIT,
    "unavailable": ErrorAction.RECONNECT,
    "internal_error": ErrorAction.RETRY,
}


class CloseAction(StrEnum):
    """What a client does when the server closes (or loses) a logged-in connection."""

    #: Reconnect with exponential back-off and full jitter.
    BACKOFF = "backoff"
    #: Reconnect promptly: the pause of the first back-off step, however many attempts
    #: failed before (the server is going away; another one takes over).
    PROMPT = "prompt"
    #: Reconnect only after FLOOD_PAUSE plus the back-off draw, and send less.
    PAUSE = "pause"
    #: The session has ended: kicked (4001), the token no longer works.
    KICKED = "kicked"
    #: The session has ended: banned (4002); do not reconnect.
    BANNED = "banned"
    #: The session has ended: revoked (4005), the password was changed elsewhere.
    REVOKED = "revoked"


CLOSES: dict[int, CloseAction] = {
    1000: CloseAction.BACKOFF,  # only ever unasked: a client's own close is not reconnected
    1001: CloseAction.PROMPT,
    1003: CloseAction.BACKOFF,
    1006: CloseAction.BACKOFF,
    1007: CloseAction.BACKOFF,
    1008: CloseAction.BACKOFF,
    1009: CloseAction.BACKOFF,
    1011: CloseAction.BACKOFF,
    1012: CloseAction.PROMPT,
    1013: CloseAction.BACKOFF,
    4001: CloseAction.KICKED,
    4002: CloseAction.BANNED,
    4003: CloseAction.PAUSE,
    4004: CloseAction.BACKOFF,
    4005: CloseAction.REVOKED,
}

#: How each session-ending close shows, with a sentence for when nothing better is known.
SESSION_ENDS: dict[CloseAction, tuple[Status, str]] = {
    CloseAction.KICKED: (Status.KICKED, "An admin disconnected you from the server."),
    CloseAction.BANNED: (Status.BANNED, "You are banned from this server."),
    CloseAction.REVOKED: (
        Status.REVOKED,
        "Your password was changed on another device: log in again.",
    ),
}

SIGNED_OUT_REASON = "Your session has ended: log in again."


def error_action(code: str) -> ErrorAction:
    """What to do about an error reply with `code`; a code this client does not know is
    not retried."""
    return ERRORS.get(code, ErrorAction.FAIL)


def close_action(code: int | None) -> CloseAction:
    """What to do when a logged-in connection ends with close `code` (None: it dropped
    without a close frame, or a request timed out)."""
    return CLOSES.get(code, CloseAction.BACKOFF) if code is not None else CloseAction.BACKOFF


def session_end(code: int | None) -> tuple[Status, str] | None:
    """(status, sentence) when close `code` ends the session, else None."""
    return SESSION_ENDS.get(close_action(code))


def backoff_delay(
    attempt: int,
    base: float = BACKOFF_BASE,
    cap: float = BACKOFF_CAP,
    rng: Callable[[], float] = random.random,
) -> float:
    """Full jitter: a uniform draw from [0, min(cap, base * 2**attempt))."""
    return float(rng() * min(cap, base * 2 ** min(attempt, 32)))


def backoff_cap(
    lost_for: float, *, early_cap: float = BACKOFF_EARLY_CAP, cap: float = BACKOFF_CAP
) -> float:
    """The longest wait before an attempt, `lost_for` seconds after the connection was
    lost: short at first (a server restarting is back in seconds), long after."""
    return early_cap if lost_for < BACKOFF_EARLY else cap


def reconnect_delay(
    attempt: int,
    code: int | None,
    *,
    lost_for: float = 0.0,
    back_in: float | None = None,
    base: float = BACKOFF_BASE,
    cap: float = BACKOFF_CAP,
    early_cap: float = BACKOFF_EARLY_CAP,
    flood_pause: float = FLOOD_PAUSE,
    rng: Callable[[], float] = random.random,
) -> float:
    """The pause before reconnect attempt `attempt` (failed attempts since the last
    successful catch-up), after a connection or an attempt that ended with `code`,
    `lost_for` seconds after the connection was lost. `back_in`: what the `restarting`
    event that came before the close said (None: there was none)."""
    action = close_action(code)
    if back_in is not None and attempt == 0 and action is not CloseAction.PAUSE:
        return float(rng() * min(max(back_in, 0.0), RESTART_WAIT_CAP))
    top = backoff_cap(lost_for, early_cap=early_cap, cap=cap)
    if action is CloseAction.PROMPT:
        return backoff_delay(0, base, top, rng)
    delay = backoff_delay(attempt, base, top, rng)
    return flood_pause + delay if action is CloseAction.PAUSE else delay


def retry_after_delay(retry_after: float | None) -> float:
    """How long to wait on a `wait` error."""
    return retry_after if retry_after is not None and retry_after > 0 else DEFAULT_RETRY_AFTER
