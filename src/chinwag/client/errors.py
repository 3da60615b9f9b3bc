"""The client's errors, and the two small rules it reconnects by."""

from __future__ import annotations

import random
import ssl
from collections.abc import Callable

import aiohttp

from chinwag.client.events import Status

#: Close codes after which the client does not reconnect by itself.
TERMINAL_CLOSES: dict[int, tuple[Status, str]] = {
    4001: (Status.KICKED, "An admin disconnected you from the server."),
    4002: (Status.BANNED, "You are banned from this server."),
    4005: (Status.REVOKED, "Your password was changed on another device: log in again."),
}


class ClientError(Exception):
    """Something the client could not do."""


class ConnectionLost(ClientError):
    """No connection, or it closed before the reply came. `code` is the close code."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class ProtocolMismatch(ClientError):
    """The server speaks a protocol version this client does not know."""


class RequestError(ClientError):
    """The server answered a request with an `error` reply."""

    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


def backoff_delay(
    attempt: int, base: float, cap: float, rng: Callable[[], float] = random.random
) -> float:
    """Full jitter: a uniform draw from [0, min(cap, base * 2**attempt))."""
    return float(rng() * min(cap, base * 2 ** min(attempt, 32)))


def describe_error(exc: BaseException) -> str:
    """A short sentence for a network failure."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "its TLS certificate is not trusted (--insecure accepts a self-signed one)"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return "the TLS handshake failed (is it a wss:// server?)"
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"it answered HTTP {exc.status}, not a chinwag WebSocket"
    if isinstance(exc, aiohttp.ClientConnectorError):
        inner = exc.os_error
        if isinstance(inner, ConnectionRefusedError):
            return "connection refused (is the server running?)"
        return str(inner.strerror or inner) if inner else str(exc)
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return str(exc) or type(exc).__name__
