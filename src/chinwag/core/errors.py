"""The one exception type of the domain: it carries a stable protocol error code."""

from __future__ import annotations

from chinwag.protocol.errors import ErrorCode


class ChatError(Exception):
    """A request that cannot be done, with the reason the client is told."""

    def __init__(self, code: ErrorCode, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"ChatError({self.code.value!r}, {self.message!r})"


def invalid(message: str) -> ChatError:
    return ChatError(ErrorCode.INVALID, message)


def forbidden(message: str) -> ChatError:
    return ChatError(ErrorCode.FORBIDDEN, message)


def not_found(message: str) -> ChatError:
    return ChatError(ErrorCode.NOT_FOUND, message)
