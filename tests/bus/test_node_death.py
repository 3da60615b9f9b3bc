"""Presence across nodes, with real `chinwag serve` processes on PostgreSQL and Redis:
a user online on one node is online on every node, and when that node dies (SIGKILL:
no goodbye), the others take its users offline within the stated bound: the node's
Redis key expires `presence_ttl` seconds after its last heartbeat, and a survivor
notices at its next heartbeat, a third of `presence_ttl` later (docs/deploy.md)."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from tests.conftest import checked_redis_url, fresh_postgres_database
from tests.reliability.processes import Node
from tests.server.support import register

PRESENCE_TTL = 3.0
#: The bound the docs state: the key's time to live, then a survivor's heartbeat.
BOUND = PRESENCE_TTL + PRESENCE_TTL / 3
#: What a loaded machine may add to it (Redis round trips, the event reaching a client).
SLACK = 5.0


async def test_a_killed_nodes_users_go_offline_everywhere_within_the_bound(
    tmp_path: Path,
) -> None:
    redis = await checked_redis_url()
    env = {
        "CHINWAG_BUS_PREFIX": f"chinwag-test-{secrets.token_hex(4)}",
        "CHINWAG_PRESENCE_TTL": str(PRESENCE_TTL),
    }
    async with fresh_postgres_database() as database:
        nodes = [
            Node(tmp_path / name, "--database-url", database, "--bus-url", redis, env=env)
            for name in ("a", "b")
        ]
        try:
            for node in nodes:
                await node.start()
            a, b = nodes
            bob = await register(b.url, "bob")
            alice = await register(a.url, "alice")
            await bob.event("presence", user="alice", online=True)
            # Online on node A is online on node B, also for someone who comes later.
            carol = await register(b.url, "carol")
            users = {u["username"]: u["online"] for u in (await carol.ok("users"))["users"]}
            assert users == {"alice": True, "bob": True, "carol": True}

            a.kill()
            killed_at = time.monotonic()
            await a.wait()
            await bob.event("presence", user="alice", online=False, timeout=BOUND + SLACK)
            took = time.monotonic() - killed_at
            print(f"\nalice offline on node B {took:.2f} s after node A's death ({BOUND} s bound)")
            users = {u["username"]: u["online"] for u in (await carol.ok("users"))["users"]}
            assert users == {"alice": False, "bob": True, "carol": True}
            await alice.close()
            for client in (bob, carol):
                await client.close()
        finally:
            for node in nodes:  # the survivor stops gracefully: it leaves no Redis keys
                await node.stop()
        assert b.tracebacks() == 0, b.traceback_text()
