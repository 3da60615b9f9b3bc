"""Writes the figures of a reliability run into docs/reliability.md.

    python -m tests.reliability.report benchmarks/results/reliability.json docs/reliability.md

Each section of the document has a generated block, between `<!-- figures:SECTION -->`
and `<!-- /figures:SECTION -->`: a table of that section's figures (one row per figure,
one column per measured value), as the run recorded them. The text around the blocks is
written by hand; `make reliability` runs the suite at its larger sizes and then this.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from tests.reliability.figures import fmt


def table(figures: list[dict[str, Any]]) -> str:
    keys: list[str] = []
    for item in figures:
        keys += [k for k in item["values"] if k not in keys]
    head = "| | " + " | ".join(k.replace("_", " ") for k in keys) + " |"

    def numeric(key: str) -> bool:
        values = [item["values"][key] for item in figures if key in item["values"]]
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)

    rule = "|---|" + "".join("---:|" if numeric(k) else "---|" for k in keys)
    rows = [
        f"| {item['name']} | "
        + " | ".join(fmt(item["values"][k]) if k in item["values"] else "" for k in keys)
        + " |"
        for item in figures
    ]
    return "\n".join([head, rule, *rows])


def run_line(run: dict[str, Any]) -> str:
    machine = run["machine"]
    failed = run.get("failed", [])
    outcome = "every test passed" if run["passed"] else f"{len(failed)} failed"
    names = "".join(f"\n- `{nodeid}`" for nodeid in failed)
    note = f"\n\n{run['note']}" if run.get("note") else ""
    return (
        f"Run of {run['date']}, sizes `{run['size']}`, on {machine['cpus']} CPUs "
        f"({machine['system']}, Python {machine['python']}): {outcome}{':' if failed else '.'}"
        f"{names}{note}"
    )


def render(document: str, run: dict[str, Any]) -> str:
    sections: dict[str, list[dict[str, Any]]] = {}
    for item in run["figures"]:
        sections.setdefault(item["section"], []).append(item)

    def block(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "run":
            body = run_line(run)
        elif name in sections:
            body = table(sections[name])
        else:
            body = "(not measured in this run)"
        return f"<!-- figures:{name} -->\n{body}\n<!-- /figures:{name} -->"

    return re.sub(
        r"<!-- figures:([a-z ]+) -->.*?<!-- /figures:\1 -->", block, document, flags=re.DOTALL
    )


def main(argv: list[str]) -> int:
    results, doc = Path(argv[0]), Path(argv[1])
    run = json.loads(results.read_text(encoding="utf-8"))
    doc.write_text(render(doc.read_text(encoding="utf-8"), run), encoding="utf-8")
    print(f"{doc}: {len(run['figures'])} figures from {results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
