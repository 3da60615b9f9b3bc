"""Frames for fuzzing: well-formed requests and near-requests, each bent into many
mutants (bytes flipped, cut, spliced; values swapped for hostile ones), and the checks
that whatever the server side makes of them is a valid protocol message.

Hypothesis draws the base frame and a seed; the mutants are made from the seed, so a
failure shrinks to one base frame and one seed, and replays exactly.
"""

from __future__ import annotations

import json
import random
import typing
from collections.abc import Iterator
from typing import Any

import msgspec
from hypothesis import strategies as st

from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq
from chinwag.protocol.codec import ProtocolError, decode_as, decode_request, encode
from chinwag.protocol.errors import ErrorCode
from chinwag.server.service import HANDLERS
from tests.protocol.strategies import field_names, for_struct

#: Hostile values put in place of a field's value.
HOSTILE: list[Any] = [
    None,
    True,
    0,
    -1,
    2**63,
    -(2**63) - 1,
    10**30,
    1.5,
    -0.0,
    1e308,
    "",
    " ",
    "x" * 65,
    "y" * 300,
    "z" * 9000,
    "\u0000",
    "\u202eevil",
    "\u200b",
    "general",
    "dm:a:b",
    "../../etc/passwd",
    "'; DROP TABLE messages; --",
    "%_%",
    "😀" * 70,
    [],
    [1, 2],
    {},
    {"general": 1},
    {"general": -1},
    {"x" * 300: 1},
    [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]],
]

#: Numbers written out as JSON allows, beyond what fits a double or a 64-bit integer.
NUMBERS = ["1e999", "-1e999", "1" + "0" * 30, "-" + "9" * 25, "0.1e-999", "1E400"]
_RAW = "@@raw-number@@"

#: Byte strings spliced into frames.
SPLICES = [
    b'"',
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\\udc00\\ud800",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xe2\x80\xae",
    b"\x00",
    b"null",
    b"1e999",
    b"-0",
    b"99999999999999999999999",
    b'"type":"send"',
    b'"id":"x"',
    b'"id":null',
    b"[" * 1500,
    b"{}" * 50,
]

#: Every request type's own reply type, as its use case declares it.
REPLY_FOR: dict[str, type[rp.Reply]] = {
    cls.__struct_config__.tag: typing.get_type_hints(handler)["return"]
    for cls, handler in HANDLERS.items()
}

_TAGS = [cls.__struct_config__.tag for cls in rq.REQUEST_TYPES]
_FIELDS = sorted({name for cls in rq.REQUEST_TYPES for name in field_names(cls)})

valid_requests = st.sampled_from(rq.REQUEST_TYPES).flatmap(for_struct)

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from([v for v in HOSTILE if isinstance(v, str)]),
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def request_like(draw: st.DrawFn) -> dict[str, Any]:
    """A JSON object close to a request: a known type, known field names, wild values."""
    obj: dict[str, Any] = draw(st.dictionaries(st.sampled_from(_FIELDS), _json, max_size=6))
    if draw(st.integers(0, 9)):
        obj["type"] = draw(st.sampled_from([*_TAGS, "ok", "error", "", "PING"]) | _json)
    if draw(st.integers(0, 9)):
        obj["id"] = draw(st.text(min_size=1, max_size=64) | _json)
    return obj


def base_frames(names: list[str] | None = None) -> st.SearchStrategy[bytes]:
    """A frame to start from: a valid request (its room and user fields sometimes one of
    `names`), a near-request, or raw text and bytes."""
    named = st.sampled_from(names) if names else st.nothing()

    @st.composite
    def valid(draw: st.DrawFn) -> bytes:
        obj = json.loads(encode(draw(valid_requests)))
        if names:
            for key in ("room", "user"):
                if key in obj and draw(st.booleans()):
                    obj[key] = draw(named)
        return json.dumps(obj, ensure_ascii=draw(st.booleans())).encode()

    near = request_like().map(lambda o: json.dumps(o).encode("utf-8", "surrogatepass"))
    text = st.text(max_size=100).map(lambda s: s.encode("utf-8", "surrogatepass"))
    return st.one_of(valid(), valid(), near, text, st.binary(max_size=100))


def mutants(base: bytes, seed: int, count: int, names: list[str] | None = None) -> Iterator[bytes]:
    """`count` frames made from `base`: the first is `base` itself."""
    rng = random.Random(seed)
    try:
        obj = json.loads(base)
    except ValueError:
        obj = None
    yield base
    for _ in range(count - 1):
        yield _mutate(base, obj if isinstance(obj, dict) else None, rng, names or [])


def _mutate(base: bytes, obj: dict[str, Any] | None, rng: random.Random, names: list[str]) -> bytes:
    # Half the mutants of a JSON object stay JSON (a value or the type swapped), so
    # that they reach the use cases rather than stopping at the codec.
    how = rng.choice((6, 7)) if obj is not None and rng.random() < 0.5 else rng.randrange(6)
    data = bytearray(base)
    if how == 0 and data:  # flip bytes
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    elif how == 1:  # splice in something hostile
        i = rng.randint(0, len(data))
        data[i:i] = rng.choice(SPLICES)
    elif how == 2 and data:  # cut a piece out
        i = rng.randrange(len(data))
        del data[i : i + rng.randint(1, 8)]
    elif how == 3 and data:  # truncate
        del data[rng.randrange(len(data)) :]
    elif how == 4 and data:  # repeat a piece
        i = rng.randrange(len(data))
        j = min(len(data), i + rng.randint(1, 16))
        data[j:j] = data[i:j] * rng.randint(1, 4)
    elif how == 5:  # random bytes
        data = bytearray(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
    elif obj is not None:
        changed = dict(obj)
        key = rng.choice([*changed, "type", "id", rng.choice(_FIELDS)])
        if how == 6:  # a hostile value, or a real name
            pool = HOSTILE + names if key in ("room", "user") else HOSTILE
            changed[key] = rng.choice(pool)
            if rng.random() < 0.25:  # a number no JSON library need accept
                changed[key] = _RAW
                text = json.dumps(changed).replace(f'"{_RAW}"', rng.choice(NUMBERS), 1)
                return text.encode("utf-8", "surrogatepass")
        else:  # another request's type, or a field dropped
            if rng.random() < 0.5:
                changed["type"] = rng.choice(_TAGS)
            else:
                changed.pop(key, None)
        return json.dumps(changed, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    return bytes(data)


def refusal_or_request(frame: bytes) -> rq.Request | ProtocolError:
    """What the codec makes of `frame`, checked: a request that survives a round trip,
    or a refusal with a sendable error; any other exception escapes (a failure)."""
    try:
        request = decode_request(frame)
    except ProtocolError as exc:
        assert exc.code in (ErrorCode.BAD_REQUEST, ErrorCode.UNKNOWN_TYPE), exc.code
        assert exc.message
        if exc.request_id is not None:
            assert 1 <= len(exc.request_id) <= 64
        error = exc.to_error()
        assert decode_as(encode(error), rp.Error) == error
        return exc
    assert isinstance(request, rq.Request)
    assert decode_request(encode(request)) == request
    return request


def check_reply(data: bytes, sent: rq.Request | ProtocolError | None) -> rp.Reply:
    """`data`, the server's reply to `sent`, decoded with the protocol's own types:
    an `error` with a known code, or the `ok` of that request type. `sent` None: a frame
    the codec itself fails on (see `refusal_or_request`), which must still be refused
    as a `bad_request`."""
    head = msgspec.json.decode(data)
    assert isinstance(head, dict) and head.get("type") in ("ok", "error"), data[:200]
    if sent is None:
        error = decode_as(data, rp.Error)
        assert error.code == ErrorCode.BAD_REQUEST, error
        return error
    if isinstance(sent, ProtocolError):
        reply = decode_as(data, rp.Error)
        # a frame the codec refuses gets exactly the codec's refusal
        assert reply == sent.to_error(), (reply, sent.to_error())
        return reply
    assert head["id"] == sent.id, (head, sent)
    if head["type"] == "error":
        error = decode_as(data, rp.Error)
        assert error.code in {code.value for code in ErrorCode}, error
        return error
    return decode_as(data, REPLY_FOR[sent.__struct_config__.tag])
