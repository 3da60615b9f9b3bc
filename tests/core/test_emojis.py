"""Emoji names, completion and what one emoji is (core/emojis.py): pure."""

from __future__ import annotations

import msgspec

from chinwag.core import emojis


def test_names_and_aliases_find_their_emoji_in_any_case() -> None:
    assert emojis.lookup(":+1:") == emojis.lookup("thumbs_up") == "👍"
    assert emojis.lookup("Smile") == "😄"
    assert emojis.lookup("thumbs_up_medium_skin_tone") == "👍🏽"
    assert emojis.lookup("up!_button") == "🆙"
    assert emojis.lookup("no_such_emoji") is None


def test_emojize_replaces_known_names_only() -> None:
    assert emojis.emojize("hi :wave: :tada:!") == "hi 👋 🎉!"
    assert emojis.emojize("at 12:30:45 :not_an_emoji:") == "at 12:30:45 :not_an_emoji:"
    assert emojis.emojize("no colons") == "no colons"


def test_emojize_leaves_code_as_typed() -> None:
    assert emojis.emojize("run `echo :tada:` :tada:") == "run `echo :tada:` 🎉"
    assert emojis.emojize("```\n:tada:\n``` :wave:") == "```\n:tada:\n``` 👋"
    assert emojis.emojize("```\nunclosed :tada:") == "```\nunclosed :tada:"


def test_completion_puts_names_that_start_with_the_prefix_first() -> None:
    found = emojis.complete("thu")
    assert found[:2] == [("thumbs_up", "👍"), ("thumbs_down", "👎")]
    assert len({char for _, char in found}) == len(found) <= 8
    # a word inside a name matches after the names that start with it
    names = [name for name, _ in emojis.complete("party", limit=20)]
    assert "partying_face" in names and "party_popper" in names
    assert emojis.complete("") == [] and emojis.complete("zzzzqq") == []


def test_one_emoji_is_one_grapheme_of_emoji() -> None:
    for one in ("👍", "👍🏽", "❤️", "👨‍👩‍👧", "🇫🇷"):
        assert emojis.is_one_emoji(one), one
    for other in ("", "a", "👍👍", "👍 ", ":+1:", "\u202e👍"):
        assert not emojis.is_one_emoji(other), other


def test_the_picker_table_starts_with_the_popular_ones_and_has_no_skin_tones() -> None:
    table = msgspec.json.decode(emojis.table_json())
    assert [row[0] for row in table[: len(emojis.POPULAR)]] == list(emojis.POPULAR)
    assert table[0][1:] == ["thumbs_up", "thumbsup", "+1"]
    assert not any("\U0001f3fd" in row[0] for row in table)
    assert len(table) == len({row[0] for row in table}) > 1500
