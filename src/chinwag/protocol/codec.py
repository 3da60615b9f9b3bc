"""The one JSON encoder and decoder of the protocol."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.events import AnyEvent
from chinwag.protocol.replies import Error
from chinwag.protocol.requests import REQUEST_TYPES, AnyRequest, Request
from chinwag.protocol.types import ClientId

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_request_decoder: msgspec.json.Decoder[AnyRequest] = msgspec.json.Decoder(AnyRequest)
_event_decoder: msgspec.json.Decoder[AnyEvent] = msgspec.json.Decoder(AnyEvent)
_known_types = frozenset(cls.__struct_config__.tag for cls in REQUEST_TYPES)


class ProtocolError(Exception):
    """A frame that is not a valid request. `id` is the request's id when it could be read."""

    def __init__(self, code: ErrorCode, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id

    def to_error(self) -> Error:
        return Error(id=self.request_id, code=self.code, message=self.message)


class Envelope(msgspec.Struct):
    """The two fields every frame has, read leniently."""

    type: Any = None
    id: Any = None


_envelope_decoder = msgspec.json.Decoder(Envelope)


def encode(obj: msgspec.Struct) -> bytes:
    """Encode a request, reply or event to the bytes of one text frame."""
    return _encoder.encode(obj)


def decode_request(data: str | bytes) -> AnyRequest:
    """Decode one client frame, or raise ProtocolError with a clear message."""
    try:
        return _request_decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise _explain(data, exc) from None
    except UnicodeError:
        # msgspec reports invalid UTF-8 inside a string (bytes), or a lone surrogate in a
        # str it must encode, as a UnicodeError rather than a DecodeError.
        raise ProtocolError(ErrorCode.BAD_REQUEST, "the frame is not valid UTF-8") from None


def _explain(data: str | bytes, exc: msgspec.DecodeError) -> ProtocolError:
    try:
        env = _envelope_decoder.decode(data)
    except msgspec.ValidationError:
        return ProtocolError(ErrorCode.BAD_REQUEST, "a request must be a JSON object")
    except msgspec.DecodeError:
        return ProtocolError(ErrorCode.BAD_REQUEST, "the frame is not valid JSON")
    except UnicodeError:
        return ProtocolError(ErrorCode.BAD_REQUEST, "the frame is not valid UTF-8")
    request_id = _valid_id(env.id)
    if not isinstance(env.type, str):
        return ProtocolError(ErrorCode.BAD_REQUEST, "missing string field `type`", request_id)
    if env.type not in _known_types:
        return ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"unknown request type {env.type!r}", request_id
        )
    return ProtocolError(ErrorCode.BAD_REQUEST, str(exc), request_id)


def _valid_id(value: Any) -> str | None:
    """`value` if it is a usable request id (a string of 1 to 64 characters), else None:
    an error reply never echoes an id the request itself was refused for."""
    if not isinstance(value, str):
        return None
    try:
        return msgspec.convert(value, ClientId)
    except msgspec.ValidationError:
        return None


def decode_envelope(data: str | bytes) -> Envelope:
    """Read `type` and `id` of a server frame (clients use this to route a frame)."""
    return _envelope_decoder.decode(data)


def decode_event(data: str | bytes) -> AnyEvent:
    return _event_decoder.decode(data)


def decode_as(data: str | bytes, cls: type[T]) -> T:
    """Decode a frame as a known type (a client decoding the reply it waits for)."""
    return msgspec.json.decode(data, type=cls)


def request_type(obj: Request) -> str:
    tag = obj.__struct_config__.tag
    assert isinstance(tag, str)
    return tag
