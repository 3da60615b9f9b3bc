"""Words for numbers a user reads: counts with their plural, and lengths of time."""

from __future__ import annotations

import math

_UNITS = (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def plural(count: int, word: str, words: str | None = None) -> str:
    """`1 member`, `2 members` (`words` for an irregular plural)."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def duration_words(seconds: float) -> str:
    """A length of time as said aloud: `1 hour` (for 3,598 s too: within 1 % of a
    whole unit), `59 minutes`, `25 hours`, `2 days`, `45 seconds`."""
    seconds = max(0.0, seconds)
    for unit, size in _UNITS:
        count = round(seconds / size)
        if count >= 1 and abs(seconds - count * size) <= 0.01 * size * count:
            return plural(count, unit)
    for unit, size in _UNITS:
        if seconds >= 2 * size:
            return plural(round(seconds / size), unit)
    return plural(max(1, math.ceil(seconds)), "second")
