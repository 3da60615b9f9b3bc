"""The pure rules of conversations: mentions of everyone, excerpts, participants,
reaction emoji, and who pins."""

from __future__ import annotations

import pytest

from chinwag.core import permissions
from chinwag.core.conversations import (
    EXCERPT_LENGTH,
    REACTION_USERS,
    check_reaction,
    excerpt,
    may_notify_all,
    participants,
    reaction_list,
    said_to_all,
)
from chinwag.core.errors import ChatError
from chinwag.core.models import MemberRecord, RoomRecord, UserRecord


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("@room lunch", "room"),
        ("lunch @HERE", "here"),
        ("(@Room)", "room"),
        ("@here, then @room", "here"),
        ("@room.", "room"),
        ("ada@room.org", None),
        ("@roomy", None),
        ("@rooms", None),
        ("room here", None),
        ("@@room", None),
        ("", None),
    ],
)
def test_said_to_all_is_a_whole_word(body: str, said: str | None) -> None:
    assert said_to_all(body) == said


def test_who_may_notify_everyone() -> None:
    assert may_notify_all(admin=True, owner=False, member_count=10_000, limit=0)
    assert may_notify_all(admin=False, owner=True, member_count=10_000, limit=20)
    assert may_notify_all(admin=False, owner=False, member_count=20, limit=20)
    assert not may_notify_all(admin=False, owner=False, member_count=21, limit=20)
    assert not may_notify_all(admin=False, owner=False, member_count=1, limit=0)


def test_an_excerpt_is_the_start_cut_at_a_character() -> None:
    body = "\U0001f600" * (EXCERPT_LENGTH + 5)
    assert excerpt(body, deleted=False) == "\U0001f600" * EXCERPT_LENGTH
    assert excerpt("short", deleted=False) == "short"
    assert excerpt("gone", deleted=True) == ""


def test_participants_most_recent_first_five_at_most() -> None:
    names: list[str] = []
    for who in ["a", "b", "c", "A", "d", "e", "f"]:
        names = participants(names, who)
    assert names == ["f", "e", "d", "A", "c"]


@pytest.mark.parametrize("emoji", ["\U0001f44d", "\U0001f44d\U0001f3fd", "\U0001f1eb\U0001f1f7"])
def test_one_emoji_is_a_reaction(emoji: str) -> None:
    assert check_reaction(emoji) is None


@pytest.mark.parametrize("text", ["", "ok", "\U0001f44d\U0001f44d", " \U0001f44d", "\u200d"])
def test_anything_else_is_not(text: str) -> None:
    assert check_reaction(text) == "a reaction is one emoji"


def _user(name: str, *, admin: bool = False) -> UserRecord:
    return UserRecord(
        username=name, display_name=name, color="#000000", password_hash="", admin=admin
    )


def test_who_pins() -> None:
    club = RoomRecord(id="club", name="Club", kind="public", owner="ada")
    dm = RoomRecord(id="dm:ada:bob", name="", kind="dm")
    ada, bob, root = _user("ada"), _user("bob"), _user("root", admin=True)
    member = MemberRecord(room="club", user="x")
    permissions.check_pin(ada, club, member=member, banned=False)
    permissions.check_pin(root, club, member=None, banned=False)
    permissions.check_pin(bob, dm, member=MemberRecord(room=dm.id, user="bob"), banned=False)
    with pytest.raises(ChatError) as refused:
        permissions.check_pin(bob, club, member=member, banned=False)
    assert refused.value.code == "forbidden"
    with pytest.raises(ChatError) as refused:
        permissions.check_pin(ada, club, member=member, banned=True)
    assert refused.value.code == "forbidden"


def test_nobody_pins_while_muted() -> None:
    club = RoomRecord(id="club", name="Club", kind="public", owner="ada")
    ada = UserRecord(
        username="ada", display_name="ada", color="#000000", password_hash="", muted_until=50
    )
    member = MemberRecord(room="club", user="ada")
    permissions.check_pin(ada, club, member=member, banned=False, now_ms=60)
    with pytest.raises(ChatError) as refused:
        permissions.check_pin(ada, club, member=member, banned=False, now_ms=40)
    assert refused.value.code == "muted"


def test_a_reaction_lists_its_first_users_and_counts_them_all() -> None:
    made = [("\U0001f44d", f"u{i}") for i in range(REACTION_USERS + 10)]
    made.insert(3, ("\u2764\ufe0f", "ada"))
    thumbs, heart = reaction_list(made)
    assert thumbs.count == REACTION_USERS + 10
    assert thumbs.users == [f"u{i}" for i in range(REACTION_USERS)]
    assert (heart.emoji, heart.count, heart.users) == ("\u2764\ufe0f", 1, ["ada"])
    assert reaction_list([]) == []
