"""The wire contract: typed requests, replies and events, and their one codec."""

from chinwag.protocol.codec import (
    ProtocolError,
    decode_as,
    decode_envelope,
    decode_event,
    decode_request,
    encode,
    request_type,
)
from chinwag.protocol.errors import CloseCode, ErrorCode
from chinwag.protocol.types import Member, Message, Room, User
from chinwag.protocol.version import PROTOCOL_VERSION

__all__ = [
    "PROTOCOL_VERSION",
    "CloseCode",
    "ErrorCode",
    "Member",
    "Message",
    "ProtocolError",
    "Room",
    "User",
    "decode_as",
    "decode_envelope",
    "decode_event",
    "decode_request",
    "encode",
    "request_type",
]
