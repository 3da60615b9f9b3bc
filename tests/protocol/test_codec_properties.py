"""The codec under generated input: every valid message round-trips, and nothing but
`ProtocolError` ever escapes from decoding, whatever the bytes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.protocol import requests as rq
from chinwag.protocol.codec import (
    ProtocolError,
    decode_as,
    decode_event,
    decode_request,
    encode,
)
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.events import EVENT_TYPES, Event
from chinwag.protocol.replies import REPLY_TYPES, Reply
from tests.protocol.examples import REQUESTS, refusal
from tests.protocol.strategies import field_names, for_struct

# -- round trips ------------------------------------------------------------------------

ANY_REQUEST = st.one_of([for_struct(cls) for cls in rq.REQUEST_TYPES])


@settings(max_examples=200)
@given(ANY_REQUEST)
def test_any_valid_request_round_trips(request: rq.Request) -> None:
    frame = encode(request)
    assert decode_request(frame) == request
    assert decode_request(frame.decode()) == request


@settings(max_examples=100)
@given(st.one_of([for_struct(cls) for cls in EVENT_TYPES]))
def test_any_event_round_trips(event: Event) -> None:
    assert decode_event(encode(event)) == event


@settings(max_examples=100)
@given(st.one_of([for_struct(cls) for cls in REPLY_TYPES]))
def test_any_reply_round_trips_as_its_own_type(reply: Reply) -> None:
    assert decode_as(encode(reply), type(reply)) == reply


# -- fuzzing: nothing but ProtocolError ever escapes -------------------------------------


def _decode_or_protocol_error(data: str | bytes) -> None:
    try:
        request = decode_request(data)
    except ProtocolError as exc:
        assert exc.code in (ErrorCode.BAD_REQUEST, ErrorCode.UNKNOWN_TYPE)
        if exc.request_id is not None:
            assert 1 <= len(exc.request_id) <= 64
        encode(exc.to_error())  # always sendable
    else:
        assert isinstance(request, rq.Request)


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_protocol_error(data: bytes) -> None:
    _decode_or_protocol_error(data)


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200))
def test_arbitrary_text_raises_only_protocol_error(data: str) -> None:
    _decode_or_protocol_error(data)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.sampled_from(["", "x" * 65, "\ud800", "general", "dm:a:b"]),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=5,
)
_TAGS = [*sorted(REQUESTS), "ok", "error", "message", "", "Ping"]
_FIELDS = sorted({name for cls in rq.REQUEST_TYPES for name in field_names(cls)})


@st.composite
def request_like_objects(draw: st.DrawFn) -> dict[str, Any]:
    """JSON objects close to requests: a known type, known field names, wild values."""
    obj: dict[str, Any] = draw(st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=6))
    if draw(st.booleans()):
        obj["type"] = draw(st.sampled_from(_TAGS) | _JSON)
    if draw(st.booleans()):
        obj["id"] = draw(st.text(min_size=1, max_size=64) | _JSON)
    return obj


@settings(max_examples=100)
@given(request_like_objects(), st.booleans())
def test_request_like_json_raises_only_protocol_error(obj: dict[str, Any], as_bytes: bool) -> None:
    text = json.dumps(obj)
    _decode_or_protocol_error(text.encode("utf-8", "surrogatepass") if as_bytes else text)


#: Values that no request field accepts: no field is a list, a float or a dict of lists.
WRONG_VALUES = st.sampled_from([[1], 1.5, {"k": [1]}])


@settings(max_examples=100)
@given(ANY_REQUEST, st.data())
def test_a_valid_request_with_one_wrong_field_is_refused_with_its_id(
    request: rq.Request, data: st.DataObject
) -> None:
    obj = json.loads(encode(request))
    fields = sorted(set(obj) - {"type", "id"})
    if not fields:
        return
    field = data.draw(st.sampled_from(fields))
    obj[field] = data.draw(WRONG_VALUES)
    code, request_id, message = refusal(json.dumps(obj))
    assert (code, request_id) == (ErrorCode.BAD_REQUEST, request.id)
    assert message.startswith(f"`{field}` must be "), message
