"""The figures the reliability suite prints, and where a run keeps them.

Each test measures something and reports it once, as one line (`Figures.record`):
"crash, one node: acknowledged 1,204, found 1,204, lost 0, ...". Every line is printed
in the terminal summary of the run. With `CHINWAG_RELIABILITY_OUT=path` the run also
writes them all to that JSON file, which `python -m tests.reliability.report` turns into
the tables of docs/reliability.md (`make reliability` does both).

`CHINWAG_RELIABILITY=large` makes the suite run at its larger sizes (`scale`); the
default, small, is what `make test` and CI run.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

SIZE = "large" if os.environ.get("CHINWAG_RELIABILITY", "").lower() == "large" else "small"
OUT = os.environ.get("CHINWAG_RELIABILITY_OUT")


def scale(small: int, large: int) -> int:
    """`small` in an ordinary run, `large` under `CHINWAG_RELIABILITY=large`."""
    return large if SIZE == "large" else small


@dataclasses.dataclass
class Figure:
    #: The section of docs/reliability.md it belongs to ("crash", "storm", ...).
    section: str
    #: What was measured, in a few words: "one node, SQLite".
    name: str
    #: Measured values, in the order they are printed.
    values: dict[str, Any]
    #: The test that measured it.
    test: str

    @property
    def line(self) -> str:
        shown = ", ".join(
            f"{key.replace('_', ' ')} {fmt(value)}" for key, value in self.values.items()
        )
        return f"{self.section}, {self.name}: {shown}"


def fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if value < 10 else f"{value:.1f}"
    return str(value)


#: Every figure recorded in this run, in order.
RECORDED: list[Figure] = []
