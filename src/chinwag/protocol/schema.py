"""Generate the JSON Schema of the protocol (kept in docs/protocol.schema.json)."""

from __future__ import annotations

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


def render() -> str:
    return json.dumps(protocol_schema(), indent=2, sort_keys=False) + "\n"


def main() -> None:
    print(render(), end="")


if __name__ == "__main__":
    main()
