"""The login gates: a few password checks at a time per key, the rest in turn."""

from __future__ import annotations

import asyncio

import pytest

from chinwag.server.auth import LoginGates


async def test_a_gate_lets_width_holders_in_and_the_others_wait() -> None:
    gates = LoginGates(width=2, max_waiting=4)
    inside = 0
    most = 0
    release = asyncio.Event()

    async def check() -> None:
        nonlocal inside, most
        async with gates.hold("address:10.0.0.1"):
            inside += 1
            most = max(most, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(check()) for _ in range(4)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert (inside, most) == (2, 2)
    assert gates.crowded("address:10.0.0.1")  # 4 waiting or inside: the bound
    assert not gates.crowded("address:10.0.0.2", "account:ada")
    release.set()
    await asyncio.gather(*tasks)
    assert most == 2 and not gates.crowded("address:10.0.0.1")
    assert gates._gates == {}  # nothing kept for keys nobody holds


async def test_keys_are_independent_and_a_failure_releases_the_gate() -> None:
    gates = LoginGates(width=1)

    async def fail() -> None:
        async with gates.hold("account:ada"):
            raise RuntimeError("wrong password")

    for _ in range(3):  # released each time, or the next would wait forever
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(fail(), timeout=5)
    async with gates.hold("account:ada"), gates.hold("account:bob"):
        assert set(gates._gates) == {"account:ada", "account:bob"}
    assert gates._gates == {}
