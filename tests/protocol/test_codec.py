"""The codec: what decodes, what is refused with which error, and what is encoded how."""

from __future__ import annotations

import json
import re

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinwag.protocol import requests as rq
from chinwag.protocol.codec import (
    ProtocolError,
    decode_as,
    decode_envelope,
    decode_request,
    encode,
    request_type,
)
from chinwag.protocol.errors import CloseCode, ErrorCode
from chinwag.protocol.events import EVENT_TYPES
from chinwag.protocol.replies import REPLY_TYPES, Error
from chinwag.protocol.types import Message
from tests.protocol.examples import REQUESTS, refusal
from tests.protocol.strategies import field_names, for_struct


def test_the_examples_cover_every_request_type() -> None:
    tags = {cls.__struct_config__.tag for cls in rq.REQUEST_TYPES}
    assert set(REQUESTS) == tags
    assert tags >= rq.PRE_AUTH_TYPES


@pytest.mark.parametrize("tag", sorted(REQUESTS))
def test_every_request_type_decodes_from_its_json_form(tag: str) -> None:
    text, expected = REQUESTS[tag]
    for data in (text, text.encode()):
        request = decode_request(data)
        assert request == expected
        assert type(request) is type(expected)
        assert request_type(request) == tag


def test_optional_fields_take_their_defaults() -> None:
    assert decode_request('{"type": "history", "id": "1", "room": "r"}') == rq.History(
        id="1", room="r", before=None, limit=50
    )
    assert decode_request('{"type": "sync", "id": "1", "since": {}}') == rq.Sync(
        id="1", since={}, limit=500
    )
    assert decode_request('{"type": "create_room", "id": "1", "name": "n"}') == rq.CreateRoom(
        id="1", name="n", private=False, topic=""
    )
    kick = decode_request('{"type": "kick", "id": "1", "user": "u"}')
    assert kick == rq.Kick(id="1", user="u", reason="", room=None)


def test_unknown_fields_are_ignored() -> None:
    request = decode_request(
        '{"type": "send", "id": "1", "room": "general", "body": "hi", "client_msg_id": "c",'
        ' "sender": "admin", "kind": "system", "seq": 1, "extra": {"deep": [1, 2]}}'
    )
    assert request == rq.Send(id="1", room="general", body="hi", client_msg_id="c")
    assert not hasattr(request, "sender")
    assert "sender" not in json.loads(encode(request))


def test_requests_are_immutable() -> None:
    request = decode_request('{"type": "ping", "id": "1"}')
    with pytest.raises(AttributeError):
        request.id = "2"  # type: ignore[misc]


LONG_ID = "x" * 65

#: (frame, expected code, expected id in the error reply)
BAD_FRAMES: list[tuple[str | bytes, ErrorCode, str | None]] = [
    ("not json", ErrorCode.BAD_REQUEST, None),
    ('{"type": "ping", "id": "1"', ErrorCode.BAD_REQUEST, None),
    ('{"type": "ping", "id": "1"} {}', ErrorCode.BAD_REQUEST, None),
    ("", ErrorCode.BAD_REQUEST, None),
    ('[{"type": "ping", "id": "1"}]', ErrorCode.BAD_REQUEST, None),
    ("[]", ErrorCode.BAD_REQUEST, None),
    ("42", ErrorCode.BAD_REQUEST, None),
    ('"ping"', ErrorCode.BAD_REQUEST, None),
    ("null", ErrorCode.BAD_REQUEST, None),
    ("true", ErrorCode.BAD_REQUEST, None),
    ('{"id": "1"}', ErrorCode.BAD_REQUEST, "1"),
    ("{}", ErrorCode.BAD_REQUEST, None),
    ('{"type": 5, "id": "1"}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": null, "id": "1"}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": ["ping"], "id": "1"}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "shout", "id": "1"}', ErrorCode.UNKNOWN_TYPE, "1"),
    ('{"type": "ok", "id": "1"}', ErrorCode.UNKNOWN_TYPE, "1"),
    ('{"type": "message", "id": "1"}', ErrorCode.UNKNOWN_TYPE, "1"),
    ('{"type": "PING", "id": "1"}', ErrorCode.UNKNOWN_TYPE, "1"),
    ('{"type": "shout"}', ErrorCode.UNKNOWN_TYPE, None),
    ('{"type": "shout", "id": 7}', ErrorCode.UNKNOWN_TYPE, None),
    ('{"type": "ping"}', ErrorCode.BAD_REQUEST, None),
    ('{"type": "ping", "id": 7}', ErrorCode.BAD_REQUEST, None),
    ('{"type": "ping", "id": null}', ErrorCode.BAD_REQUEST, None),
    ('{"type": "send", "id": "1", "room": "r", "body": "b"}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "login", "id": "1", "username": "u"}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "join", "id": "1", "room": 5}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "join", "id": "1", "room": null}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "history", "id": "1", "room": "r", "limit": "5"}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "history", "id": "1", "room": "r", "limit": 0}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "history", "id": "1", "room": "r", "limit": 201}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "history", "id": "1", "room": "r", "before": -1}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "history", "id": "1", "room": "r", "before": 1.5}', ErrorCode.BAD_REQUEST, "1"),
    (
        '{"type": "history", "id": "1", "room": "r", "before": 9223372036854775808}',
        ErrorCode.BAD_REQUEST,
        "1",
    ),
    ('{"type": "sync", "id": "1", "since": {"r": -1}}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "sync", "id": "1", "since": ["r"]}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "sync", "id": "1", "since": {}, "limit": 1001}', ErrorCode.BAD_REQUEST, "1"),
    (
        '{"type": "create_room", "id": "1", "name": "n", "private": "yes"}',
        ErrorCode.BAD_REQUEST,
        "1",
    ),
    ('{"type": "mute", "id": "1", "user": "u", "seconds": -1}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "mute", "id": "1", "user": "u", "seconds": 31622401}', ErrorCode.BAD_REQUEST, "1"),
    ('{"type": "delete_message", "id": "1", "room": "r", "seq": "3"}', ErrorCode.BAD_REQUEST, "1"),
    # Limits of the wire types: ids are 1 to 64 characters, names at most 256.
    (f'{{"type": "ping", "id": "{LONG_ID}"}}', ErrorCode.BAD_REQUEST, None),
    ('{"type": "ping", "id": ""}', ErrorCode.BAD_REQUEST, None),
    (f'{{"type": "shout", "id": "{LONG_ID}"}}', ErrorCode.UNKNOWN_TYPE, None),
    (
        f'{{"type": "send", "id": "1", "room": "r", "body": "b", "client_msg_id": "{LONG_ID}"}}',
        ErrorCode.BAD_REQUEST,
        "1",
    ),
    (
        '{"type": "send", "id": "1", "room": "r", "body": "b", "client_msg_id": ""}',
        ErrorCode.BAD_REQUEST,
        "1",
    ),
    (f'{{"type": "join", "id": "1", "room": "{"r" * 257}"}}', ErrorCode.BAD_REQUEST, "1"),
    (
        f'{{"type": "kick", "id": "1", "user": "u", "reason": "{"r" * 8193}"}}',
        ErrorCode.BAD_REQUEST,
        "1",
    ),
    # Invalid UTF-8 and lone surrogates, in bytes or in text.
    (b"\xff\xfe", ErrorCode.BAD_REQUEST, None),
    (b'{"type": "ping", "id": "\xff"}', ErrorCode.BAD_REQUEST, None),
    (b'{"type": "join", "id": "1", "room": "\xc3\x28"}', ErrorCode.BAD_REQUEST, None),
    (
        b'{"type": "send", "id": "1", "room": "r", "body": "\xed\xa0\x80", "client_msg_id": "c"}',
        ErrorCode.BAD_REQUEST,
        None,
    ),
    ('{"type": "ping", "id": "\ud800"}', ErrorCode.BAD_REQUEST, None),
    ('{"type": "ping", "id": "\\ud800"}', ErrorCode.BAD_REQUEST, None),
]


@pytest.mark.parametrize(("frame", "code", "request_id"), BAD_FRAMES, ids=repr)
def test_bad_frames_give_the_right_error(
    frame: str | bytes, code: ErrorCode, request_id: str | None
) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_request(frame)
    error = caught.value
    assert error.code == code
    assert error.request_id == request_id
    assert error.message
    reply = json.loads(encode(error.to_error()))
    assert reply == {
        "type": "error",
        "id": request_id,
        "code": code.value,
        "message": error.message,
        "retry_after": None,
    }


#: The messages the codec words itself, whatever the library underneath says.
OWN_MESSAGES = re.compile(
    r"the frame is not valid JSON|the frame is not valid UTF-8|a request must be a JSON object"
    r"|missing string field `type`|unknown request type .+|missing required field `\w+`"
    r"|`\w+` must be .+|not a valid `\w+` request|the frame is nested too deeply"
)


@pytest.mark.parametrize("frame", [frame for frame, _, _ in BAD_FRAMES], ids=repr)
def test_every_refusal_is_worded_by_the_codec(frame: str | bytes) -> None:
    _, _, message = refusal(frame)
    assert OWN_MESSAGES.fullmatch(message), message


def test_errors_say_what_is_wrong() -> None:
    def message(frame: str) -> str:
        return refusal(frame)[2]

    assert message("[]") == "a request must be a JSON object"
    assert message("{") == "the frame is not valid JSON"
    assert message('{"id": "1"}') == "missing string field `type`"
    assert message('{"type": "shout", "id": "1"}') == "unknown request type 'shout'"
    assert message('{"type": "join", "id": "1"}') == "missing required field `room`"
    assert message('{"type": "join", "id": "1", "room": 1}') == (
        "`room` must be a string of at most 256 characters"
    )
    assert message('{"type": "ping", "id": 7}') == "`id` must be a string of 1 to 64 characters"
    assert message('{"type": "history", "id": "1", "room": "r", "limit": 0}') == (
        "`limit` must be an integer from 1 to 200"
    )
    assert message('{"type": "history", "id": "1", "room": "r", "before": -1}') == (
        "`before` must be an integer from 0 to 9223372036854775807 or null"
    )
    assert message('{"type": "create_room", "id": "1", "name": "n", "private": "yes"}') == (
        "`private` must be true or false"
    )
    assert message('{"type": "sync", "id": "1", "since": {"r": -1}}') == (
        "`since` must be an object mapping each key (a string of at most 256 characters)"
        " to an integer from 0 to 9223372036854775807"
    )
    assert message('{"type": "ping", "id": "\ud800"}') == "the frame is not valid UTF-8"


#: Frames that are not valid UTF-8, wherever the bad bytes are: each is refused whole,
#: with no id, even when the bad bytes are in a field that would be ignored.
NOT_UTF8: list[str | bytes] = [
    b"\xff\xfe",
    b'{"type": "ping", "id": "\xff"}',
    b'{"type": "join", "id": "1", "room": "\xc3\x28"}',
    b'{"type": "send", "id": "1", "room": "r", "body": "\xed\xa0\x80", "client_msg_id": "c"}',
    b'{"type": "sh\xffout", "id": "1"}',
    b'{"type": "ping", "id": "1", "extra": "\xff"}',
    b'{"type": "ping", "id": "1", "\xff": 1}',
    b'{"type": "ping", "id": "1", "extra": {"deep": ["\xc0\xaf"]}}',
    b'{"type": "join", "id": "1", "room": 5, "extra": "\xff"}',
    b'{"type": "ping", "id": "1"}\xff',
    '{"type": "ping", "id": "\ud800"}',
    '{"type": "join", "id": "1", "room": "\udfff"}',
    '{"type": "ping", "id": "1", "extra": "\ud800"}',
]


@pytest.mark.parametrize("frame", NOT_UTF8, ids=repr)
def test_a_frame_that_is_not_utf8_is_refused_whole_with_no_id(frame: str | bytes) -> None:
    assert refusal(frame) == (ErrorCode.BAD_REQUEST, None, "the frame is not valid UTF-8")


def test_valid_utf8_beyond_ascii_decodes_from_bytes_and_text() -> None:
    text = '{"type": "send", "id": "\u00e9", "room": "caf\u00e9", "body": "\U0001f600",'
    text += ' "client_msg_id": "c", "extra": "\u2603"}'
    expected = rq.Send(id="\u00e9", room="caf\u00e9", body="\U0001f600", client_msg_id="c")
    assert decode_request(text) == decode_request(text.encode()) == expected


@pytest.mark.parametrize("room", ['"r"', "5"])
@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_frame_nested_too_deeply_is_refused(room: str, depth: int) -> None:
    frame = f'{{"type": "join", "id": "1", "room": {room}, "x": {"[" * depth}{"]" * depth}}}'
    code, _, message = refusal(frame)
    assert (code, message) == (ErrorCode.BAD_REQUEST, "the frame is nested too deeply")


def test_surrogate_pairs_escaped_in_json_are_one_character() -> None:
    request = decode_request('{"type": "ping", "id": "\\ud83d\\ude00"}')
    assert request.id == "\U0001f600"


def test_ids_count_code_points_not_bytes() -> None:
    emoji_id = "\U0001f600" * 64  # 256 bytes of UTF-8, 64 characters
    assert decode_request(json.dumps({"type": "ping", "id": emoji_id})).id == emoji_id
    with pytest.raises(ProtocolError):
        decode_request(json.dumps({"type": "ping", "id": emoji_id + "x"}))


# -- encoding ---------------------------------------------------------------------------


@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_replies_encode_with_type_first_and_id_next(data: st.DataObject) -> None:
    for cls in REPLY_TYPES:
        reply = data.draw(for_struct(cls))
        keys = list(json.loads(encode(reply)))
        assert keys[:2] == ["type", "id"], cls
        assert set(keys) == field_names(cls)


@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_events_encode_with_type_first_and_no_id(data: st.DataObject) -> None:
    for cls in EVENT_TYPES:
        event = data.draw(for_struct(cls))
        keys = list(json.loads(encode(event)))
        assert keys[0] == "type", cls
        assert "id" not in keys
        assert set(keys) == field_names(cls)


def test_every_reply_is_ok_or_error_and_events_have_their_own_types() -> None:
    assert {cls.__struct_config__.tag for cls in REPLY_TYPES} == {"ok", "error"}
    event_tags = [cls.__struct_config__.tag for cls in EVENT_TYPES]
    assert len(set(event_tags)) == len(event_tags)
    request_tags = {cls.__struct_config__.tag for cls in rq.REQUEST_TYPES}
    assert not request_tags & {"ok", "error"}


def test_codes_encode_as_their_string_values() -> None:
    error = Error(id="1", code=ErrorCode.RATE_LIMITED, message="slow down", retry_after=0.5)
    assert encode(error) == (
        b'{"type":"error","id":"1","code":"rate_limited","message":"slow down","retry_after":0.5}'
    )


def test_non_ascii_is_sent_as_utf8_not_escaped() -> None:
    message = Message(room="r", seq=1, sender="ada", body="héllo \U0001f600", ts=0)
    frame = encode(message)
    assert "héllo \U0001f600".encode() in frame


def test_decode_envelope_reads_type_and_id_of_any_server_frame() -> None:
    envelope = decode_envelope(b'{"type":"ok","id":"7","messages":[]}')
    assert (envelope.type, envelope.id) == ("ok", "7")
    envelope = decode_envelope(b'{"type":"presence","user":"ada","online":true}')
    assert (envelope.type, envelope.id) == ("presence", None)


def test_close_codes_are_rfc_or_private_range() -> None:
    # RFC 6455's codes and those IANA registered after it (1012-1014), or the private range
    for code in CloseCode:
        assert 1000 <= code <= 1014 or 4000 <= code <= 4999


def test_error_codes_are_stable_snake_case_strings() -> None:
    for code in ErrorCode:
        assert code.value == code.name.lower()
    assert msgspec.json.encode(ErrorCode.NOT_FOUND) == b'"not_found"'


@pytest.mark.parametrize(
    "number", ["1e400", "-1e400", "9" * 400, "-" + "9" * 400, "18446744073709551616"]
)
def test_a_number_out_of_range_is_a_bad_request_with_its_id(number: str) -> None:
    """Never an exception out of the codec: the decoder's refusal is explained."""
    frame = f'{{"type":"history","id":"7","room":"general","before":{number}}}'
    with pytest.raises(ProtocolError) as caught:
        decode_request(frame)
    assert caught.value.code == ErrorCode.BAD_REQUEST
    assert caught.value.request_id == "7"


# -- conversations: the optional fields of a message -----------------------------------


def test_a_plain_message_has_none_of_the_conversation_fields() -> None:
    plain = Message(room="r", seq=1, sender="ada", body="hi", ts=1)
    obj = json.loads(encode(plain))
    for name in ("reply_to", "thread", "in_room", "thread_summary", "reactions", "pinned"):
        assert name not in obj
    assert "mentions_all" not in obj


def test_a_message_with_every_conversation_field_round_trips() -> None:
    from chinwag.protocol.types import PinRef, Reaction, ReplyRef, ThreadSummary

    message = Message(
        room="r",
        seq=9,
        sender="ada",
        body="@room look",
        ts=5,
        reply_to=ReplyRef(seq=3, sender="bob", excerpt="the plan", deleted=False),
        thread=2,
        in_room=True,
        thread_summary=ThreadSummary(replies=2, last_seq=9, last_ts=5, participants=["ada"]),
        reactions=[Reaction(emoji="\U0001f44d", count=2, users=["ada", "bob"])],
        pinned=PinRef(by="bob", ts=6),
        mentions_all="room",
    )
    data = encode(message)
    assert decode_as(data, Message) == message
    obj = json.loads(data)
    assert obj["reply_to"] == {"seq": 3, "sender": "bob", "excerpt": "the plan", "deleted": False}
    assert obj["reactions"] == [{"emoji": "\U0001f44d", "count": 2, "users": ["ada", "bob"]}]
    assert obj["mentions_all"] == "room"


def test_mentions_all_is_room_or_here_only() -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_as(
            '{"room":"r","seq":1,"sender":"a","body":"b","ts":1,"mentions_all":"all"}', Message
        )


def test_a_reaction_emoji_has_bounded_length() -> None:
    frame = json.dumps({"type": "react", "id": "1", "room": "r", "seq": 1, "emoji": "x" * 33})
    with pytest.raises(ProtocolError) as info:
        decode_request(frame)
    assert info.value.message == "`emoji` must be a string of 1 to 32 characters"
    assert info.value.request_id == "1"
