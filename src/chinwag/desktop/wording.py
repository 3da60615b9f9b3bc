"""The sentences the desktop app says, without Tk (so that they are tested anywhere)."""

from __future__ import annotations

from chinwag.client.address import AddressError
from chinwag.client.errors import ConnectionLost, ProtocolMismatch, RequestError


def login_error(exc: BaseException, *, creating: bool, server: str, username: str) -> str:
    """A sentence telling the user what went wrong and what to do."""
    if isinstance(exc, AddressError):
        return str(exc).capitalize() + "."
    if isinstance(exc, ConnectionLost):
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
        if code == "banned":
            return f"This account is banned: {exc.message}"
        if code == "invalid":
            return exc.message[:1].upper() + exc.message[1:] + "."
        return exc.message
    return f"Something went wrong: {exc}"


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
