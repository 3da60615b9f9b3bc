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
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from chinwag.client.files import size_text
from chinwag.client.model import PendingSend
from chinwag.core import markup
from chinwag.desktop.conversation import (
    fresh_ref,
    has,
    mentions_everyone,
    pin_runs,
    reaction_runs,
    reply_runs,
    thread_runs,
)
from chinwag.desktop.emoji import EMOJI_RE, split_emoji
from chinwag.desktop.formatting import Links, runs_of
from chinwag.desktop.mentions import mentions_me, split_mentions
from chinwag.desktop.wording import system_text
from chinwag.protocol.types import Attachment, Message, ReplyRef, ThreadSummary

Run = tuple[str, tuple[str, ...]]

GROUP_GAP_MS = 5 * 60 * 1000
URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\""
#: Where a thumbnail goes: one character, replaced by the image once inserted (so
#: that the line count of the runs is the line count drawn).
THUMB_SLOT = "\ufffc"


#: Bidirectional controls and their short names. They change the order in which the
#: text after them is drawn ("\u202egnp.exe" reads "exe.png"); a body keeps them, but the
#: timeline draws each as a small tinted tag (`bidi`) instead, which reorders nothing. The
#: browser client draws the same tags (`BIDI_CONTROLS` in web/js/format.js).
BIDI_CONTROLS = {
    "\u061c": "ALM",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
}
_BIDI_RE = re.compile("[" + "".join(BIDI_CONTROLS) + "]")
THIN_SPACE, HAIR_SPACE = "\u2009", "\u200a"
#: Printable ASCII: what an address shows as it is; the rest is percent-encoded.
_PRINTABLE = "".join(map(chr, range(0x21, 0x7F)))


def has_bidi(text: str) -> bool:
    return _BIDI_RE.search(text) is not None


def split_bidi(text: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, False) runs and (short name, True) for each control."""
    runs: list[tuple[str, bool]] = []
    pos = 0
    for match in _BIDI_RE.finditer(text):
        if match.start() > pos:
            runs.append((text[pos : match.start()], False))
        runs.append((BIDI_CONTROLS[match.group(0)], True))
        pos = match.end()
    if pos < len(text):
        runs.append((text[pos:], False))
    return runs


def bidi_as_text(text: str) -> str:
    """The controls written out, "[RLO]", for places that show plain text only."""
    return _BIDI_RE.sub(lambda m: f"[{BIDI_CONTROLS[m.group(0)]}]", text)


def real_address(shown: str) -> str | None:
    """The address a link shown as `shown` goes to, with everything beyond printable
    ASCII percent-encoded as a browser sends it: the way to show a link whose text holds
    bidi controls. None when the host itself holds one: no such host, so no link."""
    parts = urlsplit(link_target(shown))
    if has_bidi(parts.netloc):
        return None
    return urlunsplit(
        parts._replace(
            path=quote(parts.path, safe=_PRINTABLE),
            query=quote(parts.query, safe=_PRINTABLE),
            fragment=quote(parts.fragment, safe=_PRINTABLE),
        )
    )


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
        #: Whether runs of emoji are tagged `emoji` (there is a font to draw them with).
        self.emoji = False
        #: Every attachment laid out, by file id (for clicks on it).
        self.attachments: dict[str, Attachment] = {}
        #: The seq a send in progress replies to, by its client_msg_id (None: none).
        self.pending_reply: Callable[[str], int | None] = lambda _cmid: None
        #: Laying out a thread's own view (its replies need not say they are in one).
        self.in_thread = False
        #: The message (room, seq) as held now, if it is: a quote shows it as it is.
        self.held: Callable[[str, int], Message | None] = lambda _room, _seq: None
        #: How many replies of the thread rooted at (room, seq) the user has not read.
        self.thread_unread: Callable[[str, int], int] = lambda _room, _seq: 0
        #: The addresses of the `[text](url)` links laid out (their `href:N` tags).
        self.links = Links()
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
            text = system_text(msg.body, msg.sender, self.name_of)
            runs.extend(self.plain(f"{text}  ", ("system",)))
            runs.append((self.clock(msg.ts) + "\n", ("system", "time")))
            return runs
        me = self.me()
        everyone = mentions_everyone(msg, me)
        hit = mentions_me(msg, me) or everyone
        mark: tuple[str, ...] = ("mention",) if hit else ()
        if not (self.grouped(msg, prev) and not marker):
            runs.append((self.name_of(msg.sender), ("name", user_tag(msg.sender), *mark)))
            runs.append(("  " + self.clock(msg.ts), ("time", *mark)))
            runs.extend(pin_runs(msg, self.name_of, ("time", *mark)))
            runs.append(("\n", ("time", *mark)))
        elif has(msg.pinned):
            runs.extend(pin_runs(msg, self.name_of, ("time", *mark)))
            runs.append(("\n", ("time", *mark)))
        if msg.deleted:  # a deleted root keeps its thread: its summary still opens it
            runs.append(("message deleted\n", ("body", "deleted")))
            return runs + self.conversation(msg, ())
        if isinstance(msg.reply_to, ReplyRef):
            ref = fresh_ref(msg.reply_to, self.held(msg.room, msg.reply_to.seq))
            runs.extend(reply_runs(ref, self.name_of, self.plain, ("body", *mark)))
        attachments = msg.attachments or []
        if msg.body or not attachments:
            flag = msg.mentions_all if everyone else None
            runs.extend(
                self.body(
                    msg.body,
                    ("body", *mark),
                    mention=me if hit else None,
                    everyone=flag,  # type: ignore[arg-type]
                )
            )
            if msg.edited_ts is not None:
                runs.insert(-1, (" (edited)", ("body", "edited", *mark)))
        for att in attachments:
            runs.extend(self.attachment(att, mark))
        runs.extend(self.conversation(msg, mark))
        return runs

    def conversation(self, msg: Message, mark: tuple[str, ...]) -> list[Run]:
        """Below the body: that it went to a thread, the thread it starts, its reactions."""
        runs: list[Run] = []
        if has(msg.thread) and not self.in_thread:
            runs.append(("↳ in a thread", ("body", "threadlink", "threadof", *mark)))
            runs.append(("\n", ("body", *mark)))
        elif isinstance(msg.thread_summary, ThreadSummary):
            unread = self.thread_unread(msg.room, msg.seq)
            summary = msg.thread_summary
            runs.extend(thread_runs(summary, self.name_of, self.clock, unread, ("body", *mark)))
        if isinstance(msg.reactions, list) and msg.reactions:
            runs.extend(reaction_runs(msg.reactions, self.me(), self.plain, ("body", *mark)))
        return runs

    def attachment(self, att: Attachment, mark: tuple[str, ...] = ()) -> list[Run]:
        """An image's thumbnail slot (clicked: opened full size), then the file's name,
        size and a Save action."""
        self.attachments[att.id] = att
        runs: list[Run] = []
        if att.thumbnail and att.width and att.height:
            runs.append((THUMB_SLOT, ("thumbslot", "thumb", f"file:{att.id}", *mark)))
            runs.append(("\n", ("thumbline", *mark)))
        runs.extend(self.plain(att.name, ("file", "filename", *mark)))
        runs.append((f"  {size_text(att.size)}  ", ("file", "time", *mark)))
        if att.thumbnail:
            runs.append(("Open", ("action", f"open:{att.id}")))
            runs.append(("  ", ("file", *mark)))
        runs.append(("Save", ("action", f"save:{att.id}")))
        runs.append(("\n", ("file", *mark)))
        return runs

    def body(
        self,
        text: str,
        tags: tuple[str, ...],
        *,
        mention: str | None = None,
        everyone: str | None = None,
    ) -> list[Run]:
        """The runs of a body, formatted (see `chinwag.core.markup`), ending with its own
        "\n" run; with `mention`, each `@mention` of it is `mention_name` (and with
        `everyone`, "room" or "here", each `@room` or `@here`). A link that
        holds a bidi control shows its real address; the others are drawn as `bidi`
        tags (see `BIDI_CONTROLS`)."""
        blocks = markup.parse(text, tuple(n for n in (mention, everyone) if n))
        if not blocks:
            return [("\n", tags)]
        return runs_of(blocks, tags, plain=self.plain, rich=self.rich, links=self.links)

    def rich(self, text: str, tags: tuple[str, ...]) -> list[Run]:
        """Text with its bare URLs as links."""
        runs: list[Run] = []
        for piece, url in split_urls(text):
            real = real_address(piece) if url is not None and has_bidi(piece) else piece
            if url is not None and real is not None:
                runs.append((real, (*tags, "url")))
                continue
            runs.extend(self.plain(piece, tags))
        return runs

    def plain(self, text: str, tags: tuple[str, ...], *, mention: str | None = None) -> list[Run]:
        """Text with its bidi controls as `bidi` tags and its @mentions marked."""
        runs: list[Run] = []
        for piece, control in split_bidi(text):
            if control:
                if runs and "bidi" in runs[-1][1]:  # a gap, or Tk draws one box for both
                    runs.append((THIN_SPACE, tags))
                runs.append((HAIR_SPACE + piece + HAIR_SPACE, (*tags, "bidi")))
                continue
            for part, named in split_mentions(piece, mention):
                part_tags = (*tags, "mention_name") if named else tags
                if self.emoji and EMOJI_RE.search(part):
                    runs.extend(
                        (bit, (*part_tags, "emoji") if emoji else part_tags)
                        for bit, emoji in split_emoji(part)
                    )
                else:
                    runs.append((part, part_tags))
        return runs

    def pending(self, item: PendingSend, me: str, prev: Message | None, first: bool) -> list[Run]:
        """A send not stored yet: greyed, or in red with Retry and Discard when it failed."""
        runs: list[Run] = []
        mine_before = prev is not None and prev.sender.lower() == me.lower()
        if first and not mine_before:
            runs.append((self.name_of(me), ("name", user_tag(me))))
            runs.append(("  not sent\n" if item.failed else "  sending…\n", ("time",)))
        state = "failed" if item.failed else "pending"
        quoted = self.pending_reply(item.client_msg_id)
        original = self.held(item.room, quoted) if quoted is not None else None
        if quoted is not None and original is not None:
            ref = fresh_ref(ReplyRef(seq=quoted, sender=original.sender, excerpt=""), original)
            runs.extend(reply_runs(ref, self.name_of, self.plain, ("body", state)))
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


def flatten(runs: list[Run]) -> list[Any]:
    """Runs as the arguments of one `Text.insert`: text, tags, text, tags, ..."""
    out: list[Any] = []
    for text, tags in runs:
        out.append(text)
        out.append(tags)
    return out
