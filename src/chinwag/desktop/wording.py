"""The sentences the desktop app says, without Tk (so that they are tested anywhere)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import aiohttp

from chinwag.client.address import AddressError, server_url
from chinwag.client.errors import ConnectionLost, ProtocolMismatch, RequestError
from chinwag.client.wording import duration_words


def login_error(exc: BaseException, *, creating: bool, server: str, username: str) -> str:
    """A sentence telling the user what went wrong and what to do."""
    if isinstance(exc, AddressError):
        return str(exc).capitalize() + "."
    if isinstance(exc, ConnectionLost):
        if answers_but_not_chinwag(exc):
            return f"{short_address(server)} answers, but is not a chinwag server."
        text = str(exc)
        return text if text.startswith("Cannot reach") else f"Cannot reach {server}: {text}."
    if isinstance(exc, ProtocolMismatch):
        return f"{exc}. Update chinwag."
    if isinstance(exc, RequestError):
        code = exc.code
        if code == "auth_failed":
            return "Wrong username or password."
        if code == "username_taken":
            return f"The name “{username}” is taken. Choose another, or log in."
        if code == "registration_closed":
            return "This server does not accept new accounts. Ask its admin to create one."
        if code == "throttled":
            wait = int((exc.retry_after or 1) + 0.999)
            return f"Too many failed attempts. Try again in {wait} s."
        if code == "banned":  # the server says it: "this account is banned: <reason>"
            return exc.message[:1].upper() + exc.message[1:]
        if code == "invalid":
            return exc.message[:1].upper() + exc.message[1:] + "."
        return exc.message
    return f"Something went wrong: {exc}"


def answers_but_not_chinwag(exc: BaseException) -> bool:
    """Whether a failed connection reached something that is not a chinwag server (an
    HTTP answer that is no WebSocket, a connection cut at once, a WebSocket that never
    says `hello`) rather than nothing at all (refused, no such host, no answer, TLS)."""
    if not isinstance(exc, ConnectionLost):
        return False
    cause = exc.__cause__
    if isinstance(cause, aiohttp.ClientResponseError | aiohttp.ServerDisconnectedError):
        return True
    return cause is None and "did not greet us" in str(exc)  # connection.py's words


def probe_text(exc: BaseException, server: str) -> str:
    """What the login window says under an address that did not answer as a server."""
    if isinstance(exc, ProtocolMismatch):
        return f"{exc}: update chinwag."
    if answers_but_not_chinwag(exc):
        return "This address answers, but it is not a chinwag server."
    return "Not reachable yet (wss://host:port for TLS)."


def short_address(server: str) -> str:
    """A server as host[:port], without a scheme (the port of wss:// and https://
    addresses given without one is left out)."""
    try:
        parts = urlsplit(server_url(server))
    except AddressError:
        return server.strip()
    path = parts.path if parts.path != "/ws" else ""
    return parts.netloc + path


def typing_sentence(names: list[str]) -> str:
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} is typing…"
    if len(names) == 2:
        return f"{names[0]} and {names[1]} are typing…"
    if len(names) == 3:
        return f"{names[0]}, {names[1]} and {names[2]} are typing…"
    return "Several people are typing…"


#: Verbs of system lines followed by the username acted on (core/notices.py).
_ACTED_ON = re.compile(
    r"(added|kicked|banned|unbanned|muted|unmuted) ([A-Za-z0-9][\w.\-]*?)(?=$|[: ])"
)
_FOR = re.compile(r" for (\d+) (d|h|min|s)(?=$|:)")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "min": 60, "s": 1}


def system_text(body: str, sender: str, name_of: Callable[[str], str]) -> str:
    """A grey line as people read it: the server writes usernames ("ada muted bob for
    10 min"); this shows display names and the time in words ("Ada Lovelace muted Bob
    Smith for 10 minutes"). A body it does not recognise is shown as it is."""
    if sender and body.lower().startswith(sender.lower() + " "):
        body = name_of(sender) + body[len(sender) :]
        head, rest = body[: len(name_of(sender)) + 1], body[len(name_of(sender)) + 1 :]
        match = _ACTED_ON.match(rest)
        if match is not None:
            rest = f"{match.group(1)} {name_of(match.group(2))}{rest[match.end() :]}"
            if match.group(1) == "muted":
                rest = _FOR.sub(
                    lambda m: " for " + duration_words(int(m.group(1)) * _UNIT_SECONDS[m.group(2)]),
                    rest,
                    count=1,
                )
        body = head + rest
    return body
