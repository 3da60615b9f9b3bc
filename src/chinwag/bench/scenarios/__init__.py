"""The scenarios of `chinwag bench`: fanout, rooms, idle, durable, login, history,
files, search; and scale (fanout on several workers and nodes, PostgreSQL and Redis).

Each one starts the server under test itself (a subprocess on a fresh data directory,
seeded straight with SQL, pinned to its core) unless it is given a URL, drives it from
the load-generator processes (`worker`), and returns a JSON-ready dict of its figures.

The shared parts: `options` (what a scenario is given, the limits a step is judged by),
`target` (the server under test), `run` (a pool of generators against it, step by
step) and `ramp` (steps at rising rates); then one module per scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chinwag.bench.scenarios.durable import durable
from chinwag.bench.scenarios.fanout import fanout
from chinwag.bench.scenarios.files import files
from chinwag.bench.scenarios.history import history
from chinwag.bench.scenarios.idle import idle
from chinwag.bench.scenarios.login import login
from chinwag.bench.scenarios.options import Options
from chinwag.bench.scenarios.rooms import rooms
from chinwag.bench.scenarios.scale import scale
from chinwag.bench.scenarios.search import search

SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "fanout": fanout,
    "rooms": rooms,
    "idle": idle,
    "durable": durable,
    "login": login,
    "history": history,
    "files": files,
    "search": search,
    "scale": scale,
}

__all__ = [
    "SCENARIOS",
    "Options",
    "durable",
    "fanout",
    "files",
    "history",
    "idle",
    "login",
    "rooms",
    "scale",
    "search",
]
