"""Budgets counted in the database: "at most N within a window", checked by the
transaction that acts, so that every node of a cluster draws on one count."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from chinwag.store.records import Budget, OverBudget
from chinwag.store.sql.tables import rooms, users


def check(
    conn: Connection,
    what: str,
    key: ColumnElement[str | None],
    ts: ColumnElement[int],
    budget: Budget,
    now: int,
) -> None:
    """Raise OverBudget (`what`) if the rows whose `key` is the budget's key already
    number `budget.count` with `ts` in the window that ends now, with the seconds until
    the oldest of them leaves it."""
    recent = conn.scalars(
        select(ts)
        .where(key == budget.key, ts > now - budget.window_ms)
        .order_by(ts.desc())
        .limit(budget.count)
    ).all()
    if len(recent) >= budget.count:
        oldest = min(recent)
        raise OverBudget(what, max(1.0, (oldest + budget.window_ms - now) / 1000))


def check_named(
    conn: Connection, what: Literal["registrations", "rooms"], budget: Budget, now: int
) -> None:
    """`check` of registrations from the address `budget.key`, or of rooms created by
    the account `budget.key` (canonical)."""
    if what == "registrations":
        check(conn, what, users.c.registered_from, users.c.created_ts, budget, now)
    else:
        check(conn, what, rooms.c.creator_key, rooms.c.created_ts, budget, now)
