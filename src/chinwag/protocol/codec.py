"""The one JSON encoder and decoder of the protocol."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
import msgspec.inspect
import msgspec.structs

from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.events import AnyEvent
from chinwag.protocol.replies import Error
from chinwag.protocol.requests import REQUEST_TYPES, AnyRequest, Request
from chinwag.protocol.types import ClientId

T = TypeVar("T")

NOT_UTF8 = "the frame is not valid UTF-8"
OUT_OF_RANGE = "a number in the frame is out of range"
TOO_DEEP = "the frame is nested too deeply"

_encoder = msgspec.json.Encoder()
_request_decoder: msgspec.json.Decoder[AnyRequest] = msgspec.json.Decoder(AnyRequest)
_event_decoder: msgspec.json.Decoder[AnyEvent] = msgspec.json.Decoder(AnyEvent)
_types_by_tag: dict[object, type[Request]] = {
    cls.__struct_config__.tag: cls for cls in REQUEST_TYPES
}


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
    _check_utf8(data)
    try:
        return _request_decoder.decode(data)
    except msgspec.DecodeError:
        raise _explain(data) from None
    except UnicodeError:
        # _check_utf8 has refused what msgspec could not read as UTF-8; kept so that no
        # UnicodeError can ever escape.
        raise ProtocolError(ErrorCode.BAD_REQUEST, NOT_UTF8) from None
    except RecursionError:
        # msgspec gives up on arrays or objects nested about a thousand deep, even in a
        # field it would ignore; no request nests more than three.
        raise ProtocolError(ErrorCode.BAD_REQUEST, TOO_DEEP) from None


def _check_utf8(data: str | bytes) -> None:
    """Refuse a frame that is not valid UTF-8 as a whole, before reading any of it.

    JSON exchanged between systems is UTF-8 (RFC 8259, section 8.1), so such a frame is
    not JSON and nothing in it is trusted: not even its `id`, wherever the bad bytes are
    (inside a field or in one that would be ignored). This is checked here rather than
    left to msgspec, which does not check strings it skips and whose way of reporting
    bad strings has changed between versions. Bytes are checked as UTF-8; text must be
    encodable as UTF-8, so it may not hold lone surrogates. Frames of ASCII only, the
    common case, cost one flag test (text) or one fast scan (bytes).
    """
    if data.isascii():
        return
    try:
        if isinstance(data, str):
            data.encode("utf-8")
        else:
            data.decode("utf-8")
    except UnicodeError:
        raise ProtocolError(ErrorCode.BAD_REQUEST, NOT_UTF8) from None


def _explain(data: str | bytes) -> ProtocolError:
    """The error for a (valid UTF-8) frame msgspec refused, in the protocol's own words."""
    try:
        env = _envelope_decoder.decode(data)
    except msgspec.ValidationError:
        return ProtocolError(ErrorCode.BAD_REQUEST, "a request must be a JSON object")
    except msgspec.DecodeError:
        return ProtocolError(ErrorCode.BAD_REQUEST, "the frame is not valid JSON")
    except RecursionError:
        return ProtocolError(ErrorCode.BAD_REQUEST, TOO_DEEP)
    request_id = _valid_id(env.id)
    if not isinstance(env.type, str):
        return ProtocolError(ErrorCode.BAD_REQUEST, "missing string field `type`", request_id)
    cls = _types_by_tag.get(env.type)
    if cls is None:
        return ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"unknown request type {env.type!r}", request_id
        )
    try:
        problem = _field_problem(cls, msgspec.json.decode(data))
    except RecursionError:
        return ProtocolError(ErrorCode.BAD_REQUEST, TOO_DEEP, request_id)
    except msgspec.DecodeError:
        # A number too big for any field (1e400, an integer of hundreds of digits):
        # msgspec refuses it wherever it is, even where the typed decoder skipped it.
        return ProtocolError(ErrorCode.BAD_REQUEST, OUT_OF_RANGE, request_id)
    return ProtocolError(
        ErrorCode.BAD_REQUEST, problem or f"not a valid `{env.type}` request", request_id
    )


def _field_problem(cls: type[Request], obj: dict[str, Any]) -> str | None:
    """What is wrong with the first field of `obj` that `cls` refuses, if one is found.

    The message is made from the field's declared type, not taken from msgspec's error,
    so that it names the field and says what it must be in the same words whatever the
    msgspec version.
    """
    for field in msgspec.structs.fields(cls):
        name = field.encode_name
        if name not in obj:
            if field.required:
                return f"missing required field `{name}`"
            continue
        try:
            msgspec.convert(obj[name], field.type)
        except msgspec.ValidationError:
            return f"`{name}` must be {_describe(msgspec.inspect.type_info(field.type))}"
    return None


def _describe(info: msgspec.inspect.Type) -> str:
    """What a value of a wire type is, in words: "an integer from 1 to 200"."""
    mi = msgspec.inspect
    if isinstance(info, mi.StrType):
        return "a string" + _bounds(info.min_length, info.max_length, " characters")
    if isinstance(info, mi.IntType):
        low = info.ge if info.gt is None else info.gt + 1
        high = info.le if info.lt is None else info.lt - 1
        return "an integer" + _bounds(low, high, "")
    if isinstance(info, mi.BoolType):
        return "true or false"
    if isinstance(info, mi.NoneType):
        return "null"
    if isinstance(info, mi.UnionType):
        return " or ".join(_describe(t) for t in info.types)
    if isinstance(info, mi.DictType):
        key, value = _describe(info.key_type), _describe(info.value_type)
        return f"an object mapping each key ({key}) to {value}"
    return "of another type"


def _bounds(low: int | None, high: int | None, unit: str) -> str:
    if low is not None and high is not None:
        return f" of {low} to {high}{unit}" if unit else f" from {low} to {high}"
    if high is not None:
        return f" of at most {high}{unit}"
    if low is not None:
        return f" of at least {low}{unit}"
    return ""


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
