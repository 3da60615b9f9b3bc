"""Rules of conversations that need no storage: mentions of everyone, the excerpt a
reply quotes, and the participants of a thread (see "Conversations" in
docs/protocol.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from chinwag.core.emojis import is_one_emoji
from chinwag.protocol.types import Reaction

MentionAll = Literal["room", "here"]

#: `@room` or `@here` as a whole word: not inside a word or an address ("a@room.org"),
#: not the start of a longer one ("@roomy").
_TO_ALL = re.compile(r"(?<![\w@.])@(room|here)(?![\w@])", re.IGNORECASE)

#: The longest excerpt of a quoted message, in characters (code points).
EXCERPT_LENGTH = 200
#: Participants a thread summary names, the most recent first.
PARTICIPANTS = 5
#: The most users a reaction lists (the first who reacted); its `count` counts them all.
REACTION_USERS = 50


def said_to_all(body: str) -> MentionAll | None:
    """`room` or `here`: the first of them `body` says as a whole word, in any case."""
    found = _TO_ALL.search(body)
    if found is None:
        return None
    return "room" if found.group(1).lower() == "room" else "here"


def may_notify_all(*, admin: bool, owner: bool, member_count: int, limit: int) -> bool:
    """Whether a sender may notify everyone in a room: its owner and server admins
    always; anyone in a room of at most `limit` members (0: nobody else)."""
    return admin or owner or (limit > 0 and member_count <= limit)


def excerpt(body: str, *, deleted: bool) -> str:
    """What a reply shows of the message it quotes: the start of its body, at most
    `EXCERPT_LENGTH` characters; "" once it is deleted."""
    return "" if deleted else body[:EXCERPT_LENGTH]


def participants(before: list[str], sender: str) -> list[str]:
    """A thread's participants once `sender` has replied: them first, then the others
    as they were, without repeating anyone, at most `PARTICIPANTS`."""
    key = sender.lower()
    return [sender, *(p for p in before if p.lower() != key)][:PARTICIPANTS]


def check_reaction(emoji: str) -> str | None:
    """Why `emoji` cannot be a reaction, or None when it is one emoji."""
    if not is_one_emoji(emoji):
        return "a reaction is one emoji"
    return None


def reaction_list(made: Iterable[tuple[str, str]]) -> list[Reaction]:
    """A message's reactions from its (emoji, username) pairs in the order they were
    made: emoji by first use, each listing its first `REACTION_USERS` users (a message
    everyone reacts to goes to everyone again at each reaction: the list stays short)
    and counting them all."""
    listed: dict[str, Reaction] = {}
    for emoji, username in made:
        reaction = listed.setdefault(emoji, Reaction(emoji=emoji, count=0))
        if reaction.count < REACTION_USERS:
            reaction.users.append(username)
        reaction.count += 1
    return list(listed.values())
