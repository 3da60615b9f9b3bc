"""Every JSON example in docs/protocol.md is a frame the protocol types accept, whole.

Requests must decode (with no unknown field); replies, events and objects must decode
and re-encode to exactly the example, so the examples show every field the server sends.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from chinwag.protocol.codec import decode_as, decode_event, decode_request, encode
from chinwag.protocol.errors import CloseCode, ErrorCode
from chinwag.protocol.events import EVENT_TYPES
from chinwag.protocol.replies import REPLY_TYPES
from chinwag.protocol.requests import REQUEST_TYPES
from chinwag.protocol.types import (
    Attachment,
    Member,
    Message,
    PinRef,
    Reaction,
    ReplyRef,
    Room,
    Sanction,
    ThreadSummary,
    User,
)
from tests.protocol.strategies import field_names

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"

REQUESTS = {cls.__struct_config__.tag: cls for cls in REQUEST_TYPES}
EVENTS = {cls.__struct_config__.tag: cls for cls in EVENT_TYPES}
OBJECTS = (
    User,
    Room,
    Member,
    Message,
    Sanction,
    Attachment,
    ReplyRef,
    ThreadSummary,
    Reaction,
    PinRef,
)
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def json_values(text: str) -> list[Any]:
    """The JSON values written one after another in `text`."""
    decoder = json.JSONDecoder()
    values, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return values
        value, pos = decoder.raw_decode(text, pos)
        values.append(value)


def examples() -> list[tuple[str, dict[str, Any]]]:
    """(direction, object) of every example: '>' client frame, '<' server frame, '' either."""
    found: list[tuple[str, dict[str, Any]]] = []
    for lang, body in FENCE.findall(DOC.read_text(encoding="utf-8")):
        if lang == "json":
            found.extend(("", value) for value in json_values(body))
        elif lang == "text":
            for line in body.splitlines():
                if line[:2] in ("> ", "< "):
                    found.append((line[0], json.loads(line[2:])))
                else:
                    assert not line.strip() or line.startswith("#"), f"stray line: {line!r}"
    return found


def optional_names(cls: type[msgspec.Struct]) -> set[str]:
    """The JSON keys of `cls` that are left out when unset (a message's `attachments`)."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    return {
        f.encode_name
        for f in info.fields
        if f.default is mi.NODEFAULT and f.default_factory is mi.NODEFAULT and not f.required
    }


def complete(cls: type[msgspec.Struct], obj: dict[str, Any]) -> bool:
    """`obj` has every key of `cls`, but perhaps those left out when unset."""
    names = field_names(cls)
    return names - optional_names(cls) <= set(obj) <= names


def same_json(cls: type[msgspec.Struct], obj: dict[str, Any]) -> bool:
    """`obj` decodes as `cls` and encodes back to exactly itself."""
    try:
        value = decode_as(json.dumps(obj), cls)
    except msgspec.ValidationError:
        return False
    return bool(json.loads(encode(value)) == obj)


def check(direction: str, obj: dict[str, Any]) -> str:
    """Validate one example; return what it is ('request:send', 'event:typing', ...)."""
    assert isinstance(obj, dict), obj
    kind = obj.get("type")
    # `typing` is both a request and an event: requests always have an `id`, events never.
    if kind in REQUESTS and "id" in obj and direction != "<":
        cls = REQUESTS[kind]
        assert type(decode_request(json.dumps(obj))) is cls
        unknown = set(obj) - field_names(cls)
        assert not unknown, f"{kind} has no field {unknown}: {obj}"
        return f"request:{kind}"
    assert direction != ">", f"a client frame that is not a request: {obj}"
    if kind in ("ok", "error"):
        matches = [c for c in REPLY_TYPES if set(obj) == field_names(c) and same_json(c, obj)]
        assert matches, f"not a complete {kind} reply: {obj}"
        if kind == "error":
            assert obj["code"] in {code.value for code in ErrorCode}, obj
        return f"reply:{kind}"
    if kind in EVENTS:
        assert set(obj) == field_names(EVENTS[kind]), f"fields of {kind}: {obj}"
        assert json.loads(encode(decode_event(json.dumps(obj)))) == obj
        return f"event:{kind}"
    assert kind is None, f"unknown type {kind!r}: {obj}"
    matches = [c for c in OBJECTS if complete(c, obj) and same_json(c, obj)]
    assert matches, f"not a complete object of the protocol: {obj}"
    return f"object:{matches[0].__name__}"


def test_the_document_has_examples() -> None:
    assert len(examples()) > 60


@pytest.mark.parametrize(("direction", "obj"), examples(), ids=lambda v: str(v)[:60])
def test_every_example_is_a_valid_frame(direction: str, obj: dict[str, Any]) -> None:
    check(direction, obj)


def test_every_request_and_event_has_an_example() -> None:
    shown = {check(direction, obj) for direction, obj in examples()}
    for tag in REQUESTS:
        assert f"request:{tag}" in shown, f"no example of request {tag!r}"
    for tag in EVENTS:
        assert f"event:{tag}" in shown, f"no example of event {tag!r}"
    for cls in OBJECTS:
        assert f"object:{cls.__name__}" in shown


def test_every_error_and_close_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for code in ErrorCode:
        assert f"| `{code.value}` |" in text, f"error code {code.value} is not in the table"
    for close in CloseCode:
        assert f"| {close.value} |" in text, f"close code {close.value} is not in the table"


def test_every_request_type_has_a_section() -> None:
    headings = re.findall(r"^#+ .*$", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    for tag in [*REQUESTS, *EVENTS]:
        assert any(f"`{tag}`" in heading for heading in headings), f"no section for {tag!r}"


def test_the_transcript_pairs_every_request_with_one_reply() -> None:
    """In the example session, each request id gets exactly one reply, in order."""
    body = next(b for lang, b in FENCE.findall(DOC.read_text(encoding="utf-8")) if lang == "text")
    waiting: list[str] = []
    for line in body.splitlines():
        if line.startswith("> "):
            waiting.append(json.loads(line[2:])["id"])
        elif line.startswith("< "):
            frame = json.loads(line[2:])
            if frame["type"] == "hello":
                waiting.clear()  # a new connection: what was in flight is lost
            elif frame["type"] in ("ok", "error"):
                assert waiting and frame["id"] == waiting.pop(0), frame
    assert not waiting
