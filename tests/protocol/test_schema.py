"""docs/protocol.schema.json is the generated schema, and a well-formed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chinwag.protocol.events import EVENT_TYPES
from chinwag.protocol.replies import REPLY_TYPES
from chinwag.protocol.requests import REQUEST_TYPES
from chinwag.protocol.schema import protocol_schema, render
from chinwag.protocol.version import PROTOCOL_VERSION
from tests.protocol.strategies import field_names

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "protocol.schema.json"

#: The keywords of JSON Schema 2020-12 (core, applicator, validation, meta-data) that a
#: generated schema may use; anything else is a typo or a generator change to look at.
KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "$comment", "title", "description", "default",
    "examples", "type", "enum", "const", "properties", "required", "additionalProperties",
    "patternProperties", "propertyNames", "items", "prefixItems", "minItems", "maxItems",
    "minProperties", "maxProperties", "anyOf", "oneOf", "allOf", "not", "minLength",
    "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "discriminator", "readOnly", "writeOnly",
}  # fmt: skip
JSON_TYPES = {"null", "boolean", "object", "array", "number", "string", "integer"}
#: Keywords whose value is a map of names to subschemas, or a list of subschemas.
SCHEMA_MAPS = {"properties", "$defs", "patternProperties"}
SCHEMA_LISTS = {"anyOf", "oneOf", "allOf", "prefixItems"}
SCHEMA_VALUES = {"items", "additionalProperties", "not", "propertyNames"}


def committed() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_FILE.is_file(), "run `make schema` to write docs/protocol.schema.json"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), (
        "docs/protocol.schema.json is stale: run `make schema` and commit it"
    )


def test_render_is_deterministic_and_matches_the_dict() -> None:
    assert render() == render()
    assert json.loads(render()) == protocol_schema()


def _check(node: Any, path: str, refs: list[str]) -> None:
    """Structural validation against the 2020-12 metaschema's rules for what we use."""
    if isinstance(node, bool):
        return
    assert isinstance(node, dict), f"{path}: a schema is an object or a boolean"
    unknown = set(node) - KEYWORDS
    assert not unknown, f"{path}: unknown keywords {unknown}"
    for key, value in node.items():
        where = f"{path}/{key}"
        if key in SCHEMA_MAPS:
            assert isinstance(value, dict), where
            for name, sub in value.items():
                _check(sub, f"{where}/{name}", refs)
        elif key in SCHEMA_LISTS:
            assert isinstance(value, list) and value, where
            for i, sub in enumerate(value):
                _check(sub, f"{where}/{i}", refs)
        elif key in SCHEMA_VALUES:
            _check(value, where, refs)
        elif key == "type":
            types = value if isinstance(value, list) else [value]
            assert types and set(types) <= JSON_TYPES, where
        elif key == "required":
            assert isinstance(value, list) and len(set(value)) == len(value), where
            assert all(isinstance(name, str) for name in value), where
            assert set(value) <= set(node.get("properties", {})), f"{where}: not a property"
        elif key == "enum":
            assert isinstance(value, list) and value, where
        elif key in ("minLength", "maxLength", "minItems", "maxItems"):
            assert isinstance(value, int) and value >= 0, where
        elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            assert isinstance(value, int | float) and not isinstance(value, bool), where
        elif key in ("title", "description", "$schema", "$id", "$ref"):
            assert isinstance(value, str), where
            if key == "$ref":
                refs.append(value)


def test_schema_is_well_formed_json_schema_2020_12() -> None:
    schema = committed()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == f"chinwag protocol v{PROTOCOL_VERSION}"
    refs: list[str] = []
    _check(schema, "#", refs)
    defs = schema["$defs"]
    for ref in refs:
        assert ref.startswith("#/$defs/"), ref
        assert ref.removeprefix("#/$defs/") in defs, f"dangling {ref}"


@pytest.mark.parametrize(
    ("title", "types"),
    [("request", REQUEST_TYPES), ("reply", REPLY_TYPES), ("event", EVENT_TYPES)],
)
def test_every_type_has_a_definition_listed_under_its_kind(
    title: str, types: tuple[type[Any], ...]
) -> None:
    schema = committed()
    defs = schema["$defs"]
    (branch,) = [b for b in schema["oneOf"] if b["title"] == title]
    listed = {ref["$ref"].removeprefix("#/$defs/") for ref in branch["anyOf"]}
    assert listed == {cls.__name__ for cls in types}
    for cls in types:
        definition = defs[cls.__name__]
        assert definition["type"] == "object"
        assert definition["properties"]["type"] == {"enum": [cls.__struct_config__.tag]}
        assert set(definition["properties"]) == field_names(cls)
        assert "type" in definition["required"]


def test_every_request_type_name_appears() -> None:
    text = SCHEMA_FILE.read_text(encoding="utf-8")
    for cls in (*REQUEST_TYPES, *EVENT_TYPES):
        assert f'"{cls.__struct_config__.tag}"' in text
    for name in ("User", "Message", "Room", "Member"):
        assert name in committed()["$defs"]


def test_limits_are_in_the_schema() -> None:
    defs = committed()["$defs"]
    request_id = defs["Ping"]["properties"]["id"]
    assert (request_id["minLength"], request_id["maxLength"]) == (1, 64)
    assert defs["History"]["properties"]["limit"]["maximum"] == 200
    seq = defs["DeleteMessage"]["properties"]["seq"]
    assert (seq["minimum"], seq["maximum"]) == (0, 2**63 - 1)
