"""`chinwag bench SCENARIO ...`: the command line of the benchmark.

Only argparse is imported here; the bench itself loads when the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

SCENARIO_NAMES = (
    "fanout",
    "rooms",
    "idle",
    "durable",
    "login",
    "history",
    "files",
    "search",
)


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.replace("_", "").split(",") if x]


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.replace("_", "").split(",") if x]


def _cpus(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x != ""]


def configure(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "bench",
        help="measure fan-out, latency, memory and durability",
        description="Start a server (or use --url), load it from separate pinned "
        "processes, and write JSON results and docs/benchmarks.md.",
    )
    p.add_argument("scenario", choices=(*SCENARIO_NAMES, "scale", "all", "report"))
    p.add_argument("--url", help="bench the server at ws://host:port/ws instead of starting one")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("benchmarks/results"),
        help="directory of the JSON results (default benchmarks/results)",
    )
    p.add_argument(
        "--docs",
        type=Path,
        default=Path("docs/benchmarks.md"),
        help="the report whose tables and plots `report` (and `all`) refresh",
    )
    p.add_argument("--server-cpus", type=_cpus, help="cores of the server (default: the first)")
    p.add_argument(
        "--generator-cpus", type=_cpus, help="cores of the load generator (default: all the others)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="load-generator processes (default: one per generator core)",
    )
    p.add_argument("--database-url", help="run the server on this database (default SQLite)")
    p.add_argument(
        "--compare",
        choices=("reference",),
        help="fanout: also run the bare aiohttp reference server and print the ratio",
    )
    p.add_argument(
        "--connections", type=_ints, help="fanout: room sizes (200,1000,5000); scale: one (1000)"
    )
    p.add_argument(
        "--bus-url",
        default="redis://127.0.0.1:6379/0",
        help="scale: the Redis of the nodes (a fresh key prefix each time; default %(default)s)",
    )
    p.add_argument(
        "--shapes",
        default="workers:1,workers:2,workers:2:niced,nodes:1,nodes:2,nodes:3",
        help="scale: the deployments measured, in order (default %(default)s)",
    )
    p.add_argument(
        "--generator-nice",
        type=int,
        default=10,
        help="scale: how much nicer than the servers the generator runs in a :niced shape",
    )
    p.add_argument("--rates", type=_floats, help="fanout/rooms: offered msgs/s per step")
    p.add_argument("--senders", type=int, default=10, help="fanout: sending connections")
    p.add_argument("--idle-counts", type=_ints, help="idle: connection counts per step")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds before each measure")
    p.add_argument("--measure", type=float, default=4.0, help="seconds measured per step")
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        help="scheduling priority of the server and generator (e.g. -10, as root), "
        "to keep other work on the machine from skewing a run",
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes, to check the harness")
    p.add_argument(
        "--verify",
        action="store_true",
        help="check that every delivery arrived exactly once (costs CPU)",
    )
    p.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy the server during the ~100k deliveries/s step into DIR",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from chinwag.bench import report
    from chinwag.bench.harness import Layout
    from chinwag.bench.scenarios import SCENARIOS, Options

    if args.scenario == "report":
        report.write(args.out, args.docs)
        return 0
    layout = Layout.default()
    if args.server_cpus is not None:
        layout.server_cpus = args.server_cpus
    if args.generator_cpus is not None:
        layout.generator_cpus = args.generator_cpus
    opts = Options(
        out_dir=args.out,
        url=args.url,
        layout=layout,
        workers=args.workers,
        database_url=args.database_url,
        warmup=args.warmup,
        measure=args.measure,
        senders=args.senders,
        verify=args.verify,
        quick=args.quick,
        profile_dir=args.profile,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    if args.nice:
        import os

        os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # inherited by every process started
    if layout.shared:
        opts.log("warning: the server and the load generator share cores")
    if args.scenario == "scale":
        return _scale(args, opts)
    names = SCENARIO_NAMES if args.scenario == "all" else (args.scenario,)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in names:
        kwargs: dict[str, Any] = {}
        if name == "fanout":
            kwargs = {
                "ns": args.connections,
                # `all` always compares: the targets are ratios to the reference.
                "compare": args.compare == "reference" or args.scenario == "all",
                "rates": args.rates,
            }
        elif name == "rooms":
            kwargs = {"rates": args.rates}
        elif name == "idle":
            kwargs = {"counts": args.idle_counts}
        result = SCENARIOS[name](opts, **kwargs)
        path = args.out / f"{name}.json"
        path.write_text(json.dumps(result, indent=1) + "\n")
        opts.log(f"{name}: wrote {path}")
        print(report.summary(result))
    if args.scenario == "all":
        report.write(args.out, args.docs)
    return 0


def _scale(args: argparse.Namespace, opts: Any) -> int:
    """`chinwag bench scale`: its JSON, table and plot (docs/benchmarks-scale.png)."""
    import json
    import sys

    from chinwag.bench import plots, tables
    from chinwag.bench.harness import BenchError
    from chinwag.bench.scenarios.scale import parse_shapes, scale

    try:
        shapes = parse_shapes(args.shapes)
    except ValueError as exc:
        print(f"chinwag bench scale: {exc}", file=sys.stderr)
        return 2
    if args.connections and len(args.connections) != 1:
        print("chinwag bench scale: --connections takes one room size", file=sys.stderr)
        return 2
    try:
        result = scale(
            opts,
            args.connections[0] if args.connections else None,
            shapes=shapes,
            rates=args.rates,
            bus_url=args.bus_url,
            generator_nice=args.generator_nice,
        )
    except BenchError as exc:
        print(f"chinwag bench scale: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "scale.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    opts.log(f"scale: wrote {path}")
    for png in plots.plot({"scale": result}, args.docs.parent):
        opts.log(f"scale: drew {png}")
    print(tables.summary(result))
    return 0
