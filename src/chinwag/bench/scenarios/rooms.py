"""rooms: users in DMs and group rooms, all chatting at once."""

from __future__ import annotations

import random
from typing import Any

from chinwag.bench import seed
from chinwag.bench.harness import BenchError, WorkerPool, loadavg
from chinwag.bench.scenarios.options import Options, header
from chinwag.bench.scenarios.ramp import best, ramp
from chinwag.bench.scenarios.run import Run
from chinwag.bench.scenarios.target import cheap_hash, running


def rooms(opts: Options, *, rates: list[float] | None = None) -> dict[str, Any]:
    """2,000 users in 1,000 DMs and 50 group rooms of 20, all chatting at once."""
    users = 40 if opts.quick else 2000
    groups = 2 if opts.quick else 50
    group_size = 10 if opts.quick else 20
    plan_rooms = [seed.dm(2 * i, 2 * i + 1) for i in range(users // 2)]
    group_of: dict[int, str] = {}
    for j in range(groups):
        gid = f"group-{j:02d}"
        ids = list(range(j * group_size, (j + 1) * group_size))
        plan_rooms.append(seed.Room(gid, "public", ids))
        for u in ids:
            group_of[u] = gid
    dm_of = {u: plan_rooms[u // 2].id for u in range(users)}
    result = header(opts, "rooms")
    result.update(users=users, dms=users // 2, groups=groups, group_size=group_size)
    plan = seed.Plan(users=users, password_hash=cheap_hash(), rooms=plan_rooms)
    opts.log(f"rooms: {users} users, {users // 2} DMs, {groups} rooms of {group_size}")
    with (
        running(opts, plan) as target,
        WorkerPool(opts.worker_count, opts.layout.generator_cpus) as pool,
    ):
        run = Run(opts, pool, target)
        if target.login != "resume":
            raise BenchError("the rooms scenario needs a server it starts (seeded rooms)")
        setup = run.connect(
            list(range(users)),
            lambda u: [r for r in (dm_of[u], group_of.get(u)) if r],
        )
        run.settle()
        slots = [(u, dm_of[u]) for u in range(users)]
        slots += [(u, group_of[u]) for u in range(users) if u in group_of]
        random.Random(5).shuffle(slots)  # any stretch of the round-robin is a fair sample
        step_rates = rates or (
            [50, 100]
            if opts.quick
            else [500, 1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000]
        )
        steps = ramp(
            run, slots, step_rates, "rooms", profile_at=min(step_rates, key=lambda r: abs(r - 3000))
        )
        result["run"] = {
            "loop": target.health.get("loop"),
            "setup": setup,
            "steps": steps,
            **best(steps),
        }
        result["run"]["max_sustained_msgs_per_s"] = max(
            (s["offered_msgs_per_s"] for s in steps if s.get("ok")), default=0
        )
    result["load_after"] = loadavg()
    return result
