"""The client rules as docs/protocol.md writes them, read back for the tests that hold
the Python and browser clients' policy tables to the document."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


@dataclasses.dataclass(frozen=True)
class Rules:
    #: error code -> action, from the error code table's last column
    errors: dict[str, str]
    #: close code -> action, from the close code table's last column
    closes: dict[int, str]
    #: name -> value in seconds (or a count), from "The numbers"
    numbers: dict[str, float]
    #: the actions the rules section explains, for errors and for closes
    error_actions: list[str]
    close_actions: list[str]


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    level = heading.split(" ")[0]
    end = re.compile(rf"^#{{1,{len(level)}}} ", re.MULTILINE).search(text, start + len(heading) + 2)
    return text[start : end.start() if end else len(text)]


def _rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header


def _action(cell: str) -> str:
    found = re.search(r"`([a-z_]+)`", cell)
    assert found, f"no action in {cell!r}"
    return found.group(1)


def _number(cell: str) -> float:
    found = re.fullmatch(r"([0-9.]+)( s)?", cell)
    assert found, f"not a number of seconds: {cell!r}"
    return float(found.group(1))


def documented() -> Rules:
    text = DOC.read_text(encoding="utf-8")
    error_rows = _rows(_section(text, "## Error codes"))
    close_rows = _rows(_section(text, "## Close codes"))
    errors = {row[0].strip("`"): _action(row[-1]) for row in error_rows}
    closes = {int(row[0]): _action(row[-1]) for row in close_rows}
    rules = _section(text, "## Client rules: retries, timeouts and reconnecting")
    numbers = {
        row[0].strip("`"): _number(row[1]) for row in _rows(_section(rules, "### The numbers"))
    }
    reconnecting = _rows(_section(rules, "### Reconnecting"))
    meanings = _rows(_section(rules, "### What each error means"))
    return Rules(
        errors=errors,
        closes=closes,
        numbers=numbers,
        error_actions=[row[0].strip("`") for row in meanings],
        close_actions=[row[0].strip("`") for row in reconnecting],
    )
