"""Every scenario of `chinwag bench` runs briefly against a real server it starts,
and every message accepted reaches every connected member of its room exactly once.
No timing is asserted: this machine may be busy."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from chinwag.bench import report, scenarios
from chinwag.bench.harness import Layout

pytestmark = pytest.mark.slow


@pytest.fixture
def opts(tmp_path: Path) -> scenarios.Options:
    return scenarios.Options(
        out_dir=tmp_path,
        layout=Layout.default(),
        warmup=0.2,
        measure=0.6,
        drain=10.0,
        quick=True,
        verify=True,
        senders=3,
        log=lambda line: None,
    )


def exactly_once(step: dict[str, Any]) -> None:
    check = step["exactly_once"]
    assert check["accepted"] > 0, step
    assert check["duplicates"] == check["missing"] == check["unexpected"] == 0, check
    assert step["missing_deliveries"] == 0 and step["connections_lost"] == 0, step
    assert step["received_deliveries"] == step["expected_deliveries"] > 0


def test_fanout_against_chinwag_and_the_reference(opts: scenarios.Options) -> None:
    result = scenarios.fanout(opts, [12], compare=True, rates=[30, 60])
    runs = {run["server"]: run for run in result["runs"]}
    assert set(runs) == {"chinwag", "reference"}
    assert runs["chinwag"]["loop"] in ("uvloop", "asyncio")
    for run in runs.values():
        assert len(run["steps"]) == 2
        for step in run["steps"]:
            exactly_once(step)
            assert step["fanout"] == 12
            assert step["latency"]["samples"] > 0
    assert result["compare"][0]["connections"] == 12
    json.dumps(result)
    assert "chinwag / reference" in report.summary(result)


def test_rooms_dms_and_groups(opts: scenarios.Options) -> None:
    result = scenarios.rooms(opts, rates=[40])
    (step,) = result["run"]["steps"]
    exactly_once(step)
    # 40 users: 20 DMs of 2, and 2 groups of 10; each user sends to its DM and group.
    assert 2 < step["fanout"] < 10


def test_idle_connections_and_memory(opts: scenarios.Options) -> None:
    result = scenarios.idle(opts, [10, 25], distinct=15)
    points = result["points"]
    assert [p["connections"] for p in points] == [0, 10, 25]
    assert points[-1]["server_connections"] == 25
    assert points[-1]["online_users"] == 15  # beyond 15, second devices of the same users
    assert all(p["rss_mib"] > 0 for p in points)


def test_durable_sends_are_acknowledged_and_delivered_once(opts: scenarios.Options) -> None:
    result = scenarios.durable(opts)
    alone, shared = result["run"]["steps"]
    for step in (alone, shared):
        exactly_once(step)
        assert step["ok_per_s"] > 0 and step["errors"] == 0
    assert alone["received_deliveries"] == alone["exactly_once"]["accepted"]
    assert shared["received_deliveries"] == 10 * shared["exactly_once"]["accepted"]


def test_login_storm_while_chatting(opts: scenarios.Options) -> None:
    # the storm runs in a worker process of its own, which a busy machine can start
    # more than a second late: a window long enough that its logins land inside it
    result = scenarios.login(dataclasses.replace(opts, warmup=1.5, measure=2.0))
    run = result["run"]
    assert run["logins"]["logins"] > 0 and run["logins"]["failed"] == 0
    exactly_once(run["chat"])
    exactly_once(run["chat_during_storm"])
    assert run["chat_during_storm"]["extra"]["logins"] > 0


def test_history_pages(opts: scenarios.Options, tmp_path: Path) -> None:
    result = scenarios.history(opts)
    step = result["run"]["step"]
    assert step["ok_per_s"] > 0 and step["errors"] == 0
    assert step["page_sizes"] == [50]
    # The report renders from these files, plots included.
    (tmp_path / "history.json").write_text(json.dumps(result))
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nmethod\n\n{report.BEGIN}\nold\n{report.END}\n\nend\n")
    report.write(tmp_path, doc)
    text = doc.read_text()
    assert "method" in text and "end" in text and "old" not in text
    assert "History pages of 50" in text


def test_files_uploads_and_downloads(opts: scenarios.Options, tmp_path: Path) -> None:
    result = scenarios.files(opts)
    run = result["run"]
    assert run["upload"]["mb_per_s"] > 0 and run["download"]["mb_per_s"] > 0
    assert run["small_upload"]["per_s"] > 0 and run["small_download"]["per_s"] > 0
    assert run["upload"]["rss_peak_mb"] >= run["upload"]["rss_before_mb"] > 0
    assert "uploading 1 MiB each" in report.summary(result)


def test_searches_while_chatting(opts: scenarios.Options) -> None:
    result = scenarios.search(dataclasses.replace(opts, warmup=1.5, measure=2.0))
    run = result["run"]
    exactly_once(run["chat"])
    exactly_once(run["chat_during_search"])
    searched = run["chat_during_search"]["extra"]
    assert searched["searches"] > 0 and searched["found_per_search"] > 0, searched
    assert set(searched["codes"]) <= {"rate_limited"}, searched
