"""Counts and lengths of time in words."""

from __future__ import annotations

import pytest

from chinwag.client.wording import duration_words, plural


def test_plurals() -> None:
    assert plural(1, "member") == "1 member"
    assert plural(2, "member") == "2 members"
    assert plural(0, "character") == "0 characters"
    assert plural(3, "person", "people") == "3 people"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.2, "1 second"),
        (45, "45 seconds"),
        (60, "1 minute"),
        (119, "2 minutes"),
        (599.85, "10 minutes"),
        (3540, "59 minutes"),
        (3598, "1 hour"),  # a mute of an hour, a moment later
        (5400, "90 minutes"),
        (7200, "2 hours"),
        (90000, "25 hours"),
        (86400, "1 day"),
        (172800, "2 days"),
        (604800, "1 week"),
    ],
)
def test_time_left_in_words(seconds: float, words: str) -> None:
    assert duration_words(seconds) == words
