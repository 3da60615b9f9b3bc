"""Stable error codes and WebSocket close codes of the chinwag protocol."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ErrorCode(StrEnum):
    """The `code` of an `error` reply. Clients may branch on these; they never change."""

    BAD_REQUEST = "bad_request"
    UNKNOWN_TYPE = "unknown_type"
    NOT_AUTHENTICATED = "not_authenticated"
    ALREADY_AUTHENTICATED = "already_authenticated"
    AUTH_FAILED = "auth_failed"
    INVALID_TOKEN = "invalid_token"
    USERNAME_TAKEN = "username_taken"
    REGISTRATION_CLOSED = "registration_closed"
    INVALID = "invalid"
    BANNED = "banned"
    MUTED = "muted"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    NOT_MEMBER = "not_member"
    CONFLICT = "conflict"
    NO_CHANGE = "no_change"
    RATE_LIMITED = "rate_limited"
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    INTERNAL_ERROR = "internal_error"


class CloseCode(IntEnum):
    """WebSocket close codes the server uses (RFC 6455 ones, then chinwag's 4000 range)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    UNSUPPORTED_DATA = 1003
    INVALID_PAYLOAD = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    KICKED = 4001
    BANNED = 4002
    FLOOD = 4003
    SLOW_CONSUMER = 4004
    SESSION_REVOKED = 4005
