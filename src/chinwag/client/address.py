"""What a user types as a server address, turned into the WebSocket URL to connect to."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORT = 8080
WS_PATH = "/ws"

_SCHEMES = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}


class AddressError(ValueError):
    """The text given is not a server address."""


def server_url(address: str) -> str:
    """`localhost:8080`, `ws://h:p`, `wss://h`, `http://h:p/` or `https://h/` -> a ws URL.

    Without a scheme the address is plain `ws://` on port 8080 unless a port is given;
    with a scheme, the scheme's own default port applies when none is given. The path
    defaults to `/ws`; an explicit path (a server behind a proxy) is kept.
    """
    text = address.strip()
    if not text:
        raise AddressError("enter the server's address, for example localhost:8080")
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in _SCHEMES:
            raise AddressError(
                f"unknown scheme {scheme}:// (use ws://, wss://, http:// or https://)"
            )
        parts = urlsplit(text)
        default_port = None
    else:
        parts = urlsplit("ws://" + text)
        scheme = "ws"
        default_port = DEFAULT_PORT
    try:
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise AddressError(f"{address.strip()!r} is not a valid address: {exc}") from None
    if not host or parts.username is not None or any(c.isspace() for c in text):
        raise AddressError(f"{address.strip()!r} is not a valid address")
    if port is None:
        port = default_port
    shown_host = f"[{host}]" if ":" in host else host
    netloc = shown_host if port is None else f"{shown_host}:{port}"
    path = parts.path if parts.path not in ("", "/") else WS_PATH
    return urlunsplit((_SCHEMES[scheme], netloc, path, parts.query, ""))


def display_address(url: str) -> str:
    """A ws URL shown the short way a user would type it (`localhost:8080`, `wss://h`)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    path = "" if parts.path == WS_PATH else parts.path
    if parts.scheme == "ws":
        return netloc + path
    return f"{parts.scheme}://{netloc}{path}"
