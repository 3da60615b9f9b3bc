"""The texts of system messages: the grey lines that say who did what in a room."""

from __future__ import annotations

import math


def because(reason: str) -> str:
    return f": {reason}" if reason else ""


def duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def time_left(seconds: float) -> str:
    """A wait in words, rounded up in its largest unit: "40 seconds", "59 minutes",
    "1 hour", "3 days" (never "0")."""
    units = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))
    size, unit = next(((size, unit) for size, unit in units if seconds >= size), units[-1])
    count = max(1, math.ceil(seconds / size))
    bigger = {"second": (60, "minute"), "minute": (60, "hour"), "hour": (24, "day")}
    if unit in bigger and count == bigger[unit][0]:
        count, unit = 1, bigger[unit][1]
    return f"{count} {unit}{'' if count == 1 else 's'}"


def joined(user: str) -> str:
    return f"{user} joined"


def left(user: str) -> str:
    return f"{user} left"


def added(actor: str, user: str) -> str:
    return f"{actor} added {user}"


def created(actor: str, room_name: str) -> str:
    return f"{actor} created {room_name}"


def room_changed(actor: str, *, name: str | None, topic: str | None) -> str | None:
    """What changing a room's name and/or topic says; None if nothing changes."""
    changes = []
    if name is not None:
        changes.append(f"renamed the room to {name}")
    if topic is not None:
        changes.append(f"set the topic to {topic!r}" if topic else "cleared the topic")
    return f"{actor} {' and '.join(changes)}" if changes else None


def kicked(actor: str, user: str, reason: str) -> str:
    return f"{actor} kicked {user}{because(reason)}"


def banned(actor: str, user: str, reason: str) -> str:
    return f"{actor} banned {user}{because(reason)}"


#: Who lifts a ban or a mute from the server's command line, as system messages say.
OPERATOR = "the server's operator"


def unbanned(actor: str | None, user: str) -> str:
    """`actor` None: the command line."""
    if actor is None:
        return f"{user} was unbanned by {OPERATOR}"
    return f"{actor} unbanned {user}"


def muted(actor: str | None, user: str, seconds: int, reason: str) -> str:
    """`seconds` 0: the mute is lifted; `actor` None: from the command line."""
    if not seconds:
        return f"{user} was unmuted by {OPERATOR}" if actor is None else f"{actor} unmuted {user}"
    return f"{actor} muted {user} for {duration(seconds)}{because(reason)}"


def pinned(actor: str) -> str:
    return f"{actor} pinned a message"


def unpinned(actor: str) -> str:
    return f"{actor} unpinned a message"
