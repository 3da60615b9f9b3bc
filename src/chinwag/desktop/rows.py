"""How a timeline reads, as pure data: the (text, tags) runs a Tk Text widget inserts.

No Tk here, so the layout rules are tested without a display: a day separator when the
date changes, the sender's name only at the head of a group (consecutive texts from one
sender within five minutes), grey system lines, clickable URLs, a grey "(edited)" after
an edited body, someone else's message that @mentions the user tagged `mention` (with
the `@name` itself tagged `mention_name`), the "new messages" line, and pending or
failed sends after the stored messages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from chinwag.client.model import PendingSend
from chinwag.desktop.mentions import mentions_me, split_mentions
from chinwag.protocol.types import Message

Run = tuple[str, tuple[str, ...]]

GROUP_GAP_MS = 5 * 60 * 1000
URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\""


def user_tag(username: str) -> str:
    """The Text tag that draws `username`'s name (its colour is set per user)."""
    return "u:" + username.lower()


def split_urls(text: str) -> list[tuple[str, str | None]]:
    """`text` cut into (piece, url or None) runs."""
    runs: list[tuple[str, str | None]] = []
    pos = 0
    for match in URL_RE.finditer(text):
        url = match.group(0)
        while url and (
            url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))
        ):
            url = url[:-1]
        if not url:
            continue
        start, end = match.start(), match.start() + len(url)
        if start > pos:
            runs.append((text[pos:start], None))
        runs.append((url, url if "://" in url else "https://" + url))
        pos = end
    if pos < len(text):
        runs.append((text[pos:], None))
    return runs


class Layout:
    """Turns messages into runs. `name_of(username)` gives the name to show, `me()` the
    user's username (None: no one is logged in)."""

    def __init__(
        self,
        name_of: Callable[[str], str],
        *,
        me: Callable[[], str | None] = lambda: None,
        tz: dt.tzinfo | None = None,
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        self.name_of = name_of
        self.me = me
        self.tz = tz
        self._today = today

    def local(self, ts: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts / 1000, tz=self.tz or dt.UTC).astimezone(self.tz)

    def today(self) -> dt.date:
        return self._today() if self._today else dt.datetime.now(self.tz).date()

    def day_label(self, ts: int) -> str:
        day = self.local(ts).date()
        today = self.today()
        if day == today:
            return "Today"
        if day == today - dt.timedelta(days=1):
            return "Yesterday"
        if day.year == today.year:
            return f"{day:%A}, {day.day} {day:%B}"
        return f"{day:%A}, {day.day} {day:%B %Y}"

    def clock(self, ts: int) -> str:
        return f"{self.local(ts):%H:%M}"

    def grouped(self, msg: Message, prev: Message | None) -> bool:
        return (
            prev is not None
            and msg.kind == "text"
            and prev.kind == "text"
            and prev.sender.lower() == msg.sender.lower()
            and 0 <= msg.ts - prev.ts < GROUP_GAP_MS
            and self.local(prev.ts).date() == self.local(msg.ts).date()
        )

    def message(self, msg: Message, prev: Message | None, *, marker: bool = False) -> list[Run]:
        """The runs of one message, after `prev` (None: the first one shown)."""
        runs: list[Run] = []
        if prev is None or self.local(prev.ts).date() != self.local(msg.ts).date():
            runs.append((self.day_label(msg.ts) + "\n", ("day",)))
        if marker:
            runs.append(("New messages\n", ("marker",)))
        if msg.kind == "system":
            runs.append((f"{msg.body}  ", ("system",)))
            runs.append((self.clock(msg.ts) + "\n", ("system", "time")))
            return runs
        me = self.me()
        hit = mentions_me(msg, me)
        mark: tuple[str, ...] = ("mention",) if hit else ()
        if not (self.grouped(msg, prev) and not marker):
            runs.append((self.name_of(msg.sender), ("name", user_tag(msg.sender), *mark)))
            runs.append(("  " + self.clock(msg.ts) + "\n", ("time", *mark)))
        if msg.deleted:
            runs.append(("message deleted\n", ("body", "deleted")))
            return runs
        runs.extend(self.body(msg.body, ("body", *mark), mention=me if hit else None))
        if msg.edited_ts is not None:
            runs.insert(-1, (" (edited)", ("body", "edited", *mark)))
        return runs

    def body(self, text: str, tags: tuple[str, ...], *, mention: str | None = None) -> list[Run]:
        """The runs of a body; with `mention`, each `@mention` of it is `mention_name`."""
        runs: list[Run] = []
        for piece, url in split_urls(text):
            if url is not None:
                runs.append((piece, (*tags, "url")))
                continue
            for part, named in split_mentions(piece, mention):
                runs.append((part, (*tags, "mention_name") if named else tags))
        runs.append(("\n", tags))
        return runs

    def pending(self, item: PendingSend, me: str, prev: Message | None, first: bool) -> list[Run]:
        """A send not stored yet: greyed, or in red with Retry and Discard when it failed."""
        runs: list[Run] = []
        mine_before = prev is not None and prev.sender.lower() == me.lower()
        if first and not mine_before:
            runs.append((self.name_of(me), ("name", user_tag(me))))
            runs.append(("  sending…\n", ("time",)))
        state = "failed" if item.failed else "pending"
        runs.extend(self.body(item.body, ("body", state))[:-1])
        if item.failed:
            error = item.error or "not sent"
            runs.append((f"  ⚠ {error}  ", ("failed", "note")))
            runs.append(("Retry", ("action", f"retry:{item.client_msg_id}")))
            runs.append(("  ", ("failed",)))
            runs.append(("Discard", ("action", f"discard:{item.client_msg_id}")))
        runs.append(("\n", ("body", state)))
        return runs


def link_target(shown: str) -> str:
    """The address to open for a link shown as `shown` (`www.x.org` -> https://)."""
    return shown if "://" in shown else "https://" + shown


def count_lines(runs: list[Run]) -> int:
    return sum(text.count("\n") for text, _ in runs)
