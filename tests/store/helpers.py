"""Shortcuts for the store's tests."""

from __future__ import annotations

from chinwag.core.models import UserRecord
from chinwag.store.sql import SqlStore


async def make_user(
    store: SqlStore, username: str, *, now: int = 1, admin: bool | None = None
) -> UserRecord:
    return await store.create_user(
        username,
        f"hash-of-{username}",
        display_name=username.title(),
        color="#1d9bf0",
        now=now,
        admin=admin,
    )
