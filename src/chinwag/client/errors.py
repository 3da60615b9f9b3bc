"""The client's errors, and a sentence for each kind of network failure. What the client
does about them is in policy.py."""

from __future__ import annotations

import ssl

import aiohttp


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
