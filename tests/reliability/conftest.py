"""The reliability suite's plumbing: each test's one-line figure, printed at the end of
the run and, with CHINWAG_RELIABILITY_OUT, written to a JSON file (see figures.py)."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.figures import OUT, RECORDED, SIZE, Figure

Record = Callable[..., Figure]


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Record:
    """`figure(section, name, key=value, ...)` records and prints one measured line."""

    def record(section: str, name: str, **values: Any) -> Figure:
        item = Figure(section, name, dict(values), request.node.nodeid)
        RECORDED.append(item)
        print(item.line)
        return item

    return record


#: Node ids of the reliability tests that failed in this run.
FAILED: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and "tests/reliability/" in report.nodeid:
        FAILED.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RECORDED:
        return
    terminalreporter.section(f"reliability figures ({SIZE})")
    for item in RECORDED:
        terminalreporter.write_line(item.line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not OUT or not RECORDED:
        return
    path = Path(OUT)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "size": SIZE,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": f"{platform.system()} {platform.machine()}",
        },
        "passed": exitstatus == 0,
        "failed": FAILED,
        "figures": [
            {"section": f.section, "name": f.name, "test": f.test, "values": f.values}
            for f in RECORDED
        ],
    }
    path.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nreliability figures written to {path}", file=sys.stderr)


# The in-process server fixtures of the server tests, for the tests here that need a
# server whose parts they reach (its metrics, its store's connections).
from tests.server.conftest import start_server  # noqa: E402, F401
