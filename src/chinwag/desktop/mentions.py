"""@mentions, as pure data: which messages name the user, and which ones to tell them of.

`@ada` mentions Ada in "hi @ada!" and "@ADA" (case does not matter), but not in "@adam"
or "email@ada.com": the name must be a whole word, neither glued to what comes before
nor followed by more of a name (a full stop ending the sentence is fine). The browser
client highlights the same messages.
"""

from __future__ import annotations

import functools
import re

from chinwag.desktop.conversation import mentions_everyone
from chinwag.protocol.types import Message

#: Notify of every message out of view (the default), or only of direct messages and
#: @mentions (for busy rooms).
MENTIONS, EVERY = "mentions", "every"
NOTIFY_CHOICES = (MENTIONS, EVERY)


@functools.lru_cache(maxsize=16)
def mention_re(username: str) -> re.Pattern[str]:
    """The pattern of `@username` as a whole word, any case."""
    return re.compile(rf"(?<![\w@.\-])@{re.escape(username)}(?![\w\-]|\.\w)", re.IGNORECASE)


def mentions(text: str, username: str | None) -> bool:
    """Whether `text` @mentions `username`."""
    return bool(username) and mention_re(username or "").search(text) is not None


def split_mentions(text: str, username: str | None) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is it an @mention of `username`) runs."""
    if not username:
        return [(text, False)] if text else []
    runs: list[tuple[str, bool]] = []
    pos = 0
    for match in mention_re(username).finditer(text):
        if match.start() > pos:
            runs.append((text[pos : match.start()], False))
        runs.append((match.group(0), True))
        pos = match.end()
    if pos < len(text):
        runs.append((text[pos:], False))
    return runs


def mentions_me(msg: Message, me: str | None) -> bool:
    """Whether `msg` is someone else's text that @mentions `me`."""
    return (
        me is not None
        and msg.kind == "text"
        and not msg.deleted
        and msg.sender.lower() != me.lower()
        and mentions(msg.body, me)
    )


def worth_telling(msg: Message, *, dm: bool, me: str | None, notify_of: str) -> bool:
    """Whether to notify the user of `msg` (already known to be new, out of view, not
    theirs): every message, or only those in a direct conversation, naming them, or
    notifying the whole room (`@room`/`@here` with the server's flag)."""
    return notify_of == EVERY or dm or mentions_me(msg, me) or mentions_everyone(msg, me)
