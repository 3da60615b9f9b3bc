"""Generate the JSON Schema of the protocol (kept in docs/protocol.schema.json)."""

from __future__ import annotations

import inspect
import json
from typing import Any

import msgspec

from chinwag.protocol.events import EVENT_TYPES
from chinwag.protocol.replies import REPLY_TYPES
from chinwag.protocol.requests import REQUEST_TYPES
from chinwag.protocol.version import PROTOCOL_VERSION

__all__ = ["PROTOCOL_VERSION", "protocol_schema", "render"]


def protocol_schema() -> dict[str, Any]:
    types = (*REQUEST_TYPES, *REPLY_TYPES, *EVENT_TYPES)
    refs, components = msgspec.json.schema_components(types, ref_template="#/$defs/{name}")
    for component in components.values():
        _clean_descriptions(component)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://chinwag.invalid/protocol.schema.json",
        "title": f"chinwag protocol v{PROTOCOL_VERSION}",
        "description": "One JSON object per WebSocket text frame at /ws. See docs/protocol.md.",
        "$defs": dict(sorted(components.items())),
        "oneOf": [
            {"title": "request", "anyOf": list(refs[: len(REQUEST_TYPES)])},
            {
                "title": "reply",
                "anyOf": list(refs[len(REQUEST_TYPES) : len(REQUEST_TYPES) + len(REPLY_TYPES)]),
            },
            {"title": "event", "anyOf": list(refs[len(REQUEST_TYPES) + len(REPLY_TYPES) :])},
        ],
    }


def _clean_descriptions(node: Any) -> None:
    """Dedent every `description` the way `inspect.cleandoc` does.

    Descriptions come from the types' docstrings, which msgspec copies as written up to
    0.22 and cleans from 0.23 on; cleaning them here keeps the schema the same with both.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                node[key] = inspect.cleandoc(value)
            else:
                _clean_descriptions(value)
    elif isinstance(node, list):
        for item in node:
            _clean_descriptions(item)


def render() -> str:
    return json.dumps(protocol_schema(), indent=2, sort_keys=False) + "\n"


def main() -> None:
    print(render(), end="")


if __name__ == "__main__":
    main()
