"""What every scenario is given (`Options`), the limits a step is judged by, and the
header of every result.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chinwag.bench.harness import Layout, loadavg

if TYPE_CHECKING:
    from chinwag.bench.scenarios.target import Target

#: Connections of a room that time every delivery, in a process of their own (enough
#: samples: 30 x rate x 4 s; more would cost the load generator for nothing).
PROBES = 30
#: A step is sustained when it delivers this share of what was offered, losing nothing.
SUSTAINED_SHARE = 0.95
#: The p99 under which a sustained step counts towards "the highest rate".
P99_LIMIT_MS = 100.0
#: Above this share of its cores the load generator is the bottleneck: the run is invalid.
GENERATOR_LIMIT = 0.9
#: A generator this late on its send schedule (seconds) was not running: invalid too.
#: (Latency is measured from each actual send, so a late send skews only the rate.)
LAG_LIMIT = 0.25


@dataclass
class Options:
    out_dir: Path = Path("benchmarks/results")
    url: str | None = None
    layout: Layout = field(default_factory=Layout.default)
    workers: int = 0  # 0: one per generator core
    database_url: str | None = None
    warmup: float = 1.0
    measure: float = 4.0
    drain: float = 10.0
    #: A step has drained once nothing arrived for this long (seconds), or at `drain`.
    quiet: float = 0.5
    body_len: int = 100
    senders: int = 10
    verify: bool = False
    quick: bool = False
    profile_dir: Path | None = None
    log: Callable[[str], None] = print

    @property
    def worker_count(self) -> int:
        """One receiving process per generator core, plus one for the senders and one
        for the latency probes (see `Run.wid`)."""
        return self.workers or 2 + max(1, len(self.layout.generator_cpus))


def header(opts: Options, scenario: str, target: Target | None = None) -> dict[str, Any]:
    from chinwag.bench.harness import machine

    return {
        "scenario": scenario,
        "machine": machine(),
        "layout": dataclasses.asdict(opts.layout),
        "generator_processes": opts.worker_count,
        "load_before": loadavg(),
        "settings": {
            "warmup_s": opts.warmup,
            "measure_s": opts.measure,
            "body_len": opts.body_len,
            "quick": opts.quick,
            "database": "postgresql" if opts.database_url else "sqlite",
            "url": opts.url,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
