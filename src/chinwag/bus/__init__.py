"""The event bus between server nodes (in-process memory, or Redis)."""

from __future__ import annotations

import secrets

from chinwag.bus.base import EventBus


def open_bus(
    url: str | None,
    node_id: str | None = None,
    *,
    prefix: str = "chinwag",
    presence_ttl: float = 15.0,
) -> EventBus:
    """The bus for `url`: None or "memory://" for one node alone in its process (a fresh
    `MemoryBroker`), "redis://", "rediss://" or "unix://" for a `RedisBus` whose keys
    and channel start with `prefix`, and whose nodes are taken for dead (their users
    offline) `presence_ttl` seconds after their last heartbeat (they beat every third of
    it). `node_id` defaults to a short random id."""
    node = node_id or secrets.token_hex(4)
    if url is None or url == "memory://":
        from chinwag.bus.memory import MemoryBroker, MemoryBus

        return MemoryBus(MemoryBroker(), node)
    scheme = url.partition("://")[0].lower()
    if scheme in ("redis", "rediss", "unix"):
        from chinwag.bus.redis import RedisBus

        return RedisBus(url, node, prefix=prefix, heartbeat=presence_ttl / 3, node_ttl=presence_ttl)
    raise ValueError(f"unsupported bus URL {url!r}: use memory:// or redis://")
