"""`chinwag bench scale` runs end to end at tiny sizes: one worker, two workers of one
`chinwag serve`, and two separate nodes, on a real PostgreSQL and Redis, every message
accepted reaching every connected member exactly once across the processes. No timing
is asserted: this machine may be busy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chinwag.bench import plots, report, scenarios
from chinwag.bench.harness import Layout
from chinwag.bench.scenarios.scale import Shape, forget_prefix, layout_for, parse_shapes
from tests.bench.test_scenarios import exactly_once
from tests.conftest import unavailable


@pytest.fixture
def services() -> tuple[str, str]:
    postgres = os.environ.get("CHINWAG_TEST_POSTGRES_URL")
    redis = os.environ.get("CHINWAG_TEST_REDIS_URL")
    if not postgres or not redis:
        unavailable("set CHINWAG_TEST_POSTGRES_URL and CHINWAG_TEST_REDIS_URL")
    assert postgres is not None and redis is not None
    return postgres, redis


@pytest.mark.slow
def test_scale_on_one_and_two_workers_and_two_nodes(
    services: tuple[str, str], tmp_path: Path
) -> None:
    postgres, redis = services
    opts = scenarios.Options(
        out_dir=tmp_path,
        layout=Layout.default(),
        database_url=postgres,
        warmup=0.2,
        measure=0.6,
        drain=15.0,
        # a delivery across processes may come late on a busy machine: a step has
        # drained after 5 s without one (a message lost still fails the test)
        quiet=5.0,
        quick=True,
        verify=True,
        senders=3,
        log=lambda line: None,
    )
    shapes = parse_shapes("workers:1,workers:2,nodes:2")
    result = scenarios.scale(opts, shapes=shapes, rates=[40], bus_url=redis)
    runs = {run["shape"]: run for run in result["runs"]}
    assert list(runs) == ["workers:1", "workers:2", "nodes:2"]
    # every worker and every node listened and answered before the clients came
    assert runs["workers:1"]["nodes_seen"] == ["bench1"]  # one worker: a plain server
    assert runs["workers:2"]["nodes_seen"] == ["bench1-1", "bench1-2"]
    assert runs["nodes:2"]["nodes_seen"] == ["bench1", "bench2"]
    assert runs["nodes:2"]["setup"]["per_node"] == [6, 6]
    for shape, run in runs.items():
        assert run["setup"]["connected"] == 12
        (step,) = run["steps"]
        seen = (step["received_deliveries"], step["expected_deliveries"], step["drain_s"])
        assert step["exactly_once"]["missing"] == 0, (shape, step["exactly_once"], seen)
        exactly_once(step)
        assert step["fanout"] == 12 and step["latency"]["samples"] > 0
        assert run["postgres_checkpoints_requested"] >= 0
    # both workers ran (supervisor and workers are counted as one server)
    assert sorted(runs["workers:2"]["server_cpu_seconds_by_process"])[-2] > 0
    assert runs["workers:2"]["shared_cores"] == (len(os.sched_getaffinity(0)) <= 2)
    (bar,) = result["bar"]
    assert bar["shape"] == "workers:2"
    one = runs["workers:1"]["max_sustained_deliveries_per_s"]
    assert bar["max_sustained_deliveries_per_s"]["one_worker"] == one
    json.dumps(result)
    text = report.summary(result)
    assert "Second worker (workers:2)" in text and "2 nodes" in text
    written = plots.plot({"scale": result}, tmp_path)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert written == []
    else:
        assert written == [tmp_path / "benchmarks-scale.png"]
        assert written[0].stat().st_size > 10_000


def test_shapes_are_parsed_and_refused_clearly() -> None:
    assert parse_shapes("workers:1, workers:2:niced,nodes:3") == [
        Shape("workers", 1),
        Shape("workers", 2, niced=True),
        Shape("nodes", 3),
    ]
    for bad, words in [
        ("workers", "not a shape"),
        ("cores:2", "not a shape"),
        ("nodes:2:fast", "not a shape"),
        ("nodes:two", "not a count"),
        ("workers:0", "from 1 to 16"),
        (",", "no shapes"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_shapes(bad)


def test_the_servers_get_their_own_cores_when_there_are_enough() -> None:
    cpus = sorted(os.sched_getaffinity(0))
    one = layout_for(1)
    if len(cpus) > 1:
        assert one.server_cpus == cpus[:1] and one.generator_cpus == cpus[1:]
    many = layout_for(len(cpus))
    assert many.server_cpus == many.generator_cpus == cpus and many.shared


def test_scale_needs_postgresql_and_says_so(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "chinwag", "bench", "scale", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out
    assert "scale runs on PostgreSQL and Redis: give --database-url" in out.stderr
    assert "Traceback" not in out.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "chinwag", "bench", "scale", "--shapes", "workers:x"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "not a count of processes" in bad.stderr, bad


def test_a_run_leaves_nothing_under_its_redis_prefix(services: tuple[str, str]) -> None:
    import redis

    _, url = services
    client = redis.Redis.from_url(url)
    try:
        client.set("chinwag-bench-test-forget:a", "1")
        client.set("chinwag-bench-test-forget:b", "2")
        client.set("chinwag-bench-test-keep", "3")
        assert forget_prefix(url, "chinwag-bench-test-forget") == 2
        assert client.keys("chinwag-bench-test-forget*") == []
        assert client.get("chinwag-bench-test-keep") == b"3"
    finally:
        client.delete("chinwag-bench-test-keep")
        client.close()
