"""What a message says of its conversation, as (text, tags) runs (no Tk here): the message
it replies to, quoted above its body; its reactions, as chips below; the summary of the
thread it starts; whether it is pinned.

The clickable runs carry one of a few tags (`replyquote`, `chip`, `chip_add`,
`threadlink`); which message a click is on comes from where it is (the timeline knows
the message drawn on each line), so a room of reactions adds no tag per message.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from chinwag.core.markup import plain_text
from chinwag.protocol.types import Message, PinRef, Reaction, ReplyRef, ThreadSummary

Run = tuple[str, tuple[str, ...]]
Plain = Callable[[str, tuple[str, ...]], list[Run]]
#: How much of the original a reply shows.
EXCERPT_CHARS = 90
THIN = "\u2009"


def has(value: object) -> bool:
    return value is not msgspec.UNSET and value is not None


def fresh_ref(ref: ReplyRef, original: Message | None) -> ReplyRef:
    """The quote as the original now is, when it is held (edited or deleted since the
    reply was served); as served otherwise."""
    if original is None:
        return ref
    if original.deleted:
        return ReplyRef(seq=ref.seq, sender=ref.sender, excerpt="", deleted=True)
    return ReplyRef(seq=ref.seq, sender=original.sender, excerpt=original.body[:200])


def excerpt_text(ref: ReplyRef) -> str:
    """The original's start on one line, or what stands for it."""
    if ref.deleted:
        return "original deleted"
    if not ref.excerpt:
        return "a file"
    flat = " ".join(plain_text(ref.excerpt).split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1].rstrip() + "…"


def reply_runs(
    ref: ReplyRef, name_of: Callable[[str], str], plain: Plain, tags: tuple[str, ...]
) -> list[Run]:
    """ "↪ Bob: the original's start", a line of its own above the body; a click on it
    goes to the original."""
    quote = (*tags, "replyquote")
    runs: list[Run] = [("↪ ", quote)]
    if ref.deleted:
        runs.append(("original deleted", (*quote, "replygone")))
    else:
        runs.extend(plain(name_of(ref.sender), (*quote, "replyname")))
        runs.append((": ", quote))
        runs.extend(plain(excerpt_text(ref), quote))
    runs.append(("\n", quote))
    return runs


def reacted(reaction: Reaction, me: str | None) -> bool:
    return me is not None and any(u.lower() == me.lower() for u in reaction.users)


def chip_text(reaction: Reaction) -> str:
    return f"{THIN}{reaction.emoji} {reaction.count}{THIN}"


def emoji_of_chip(text: str) -> str:
    """The emoji of a chip as drawn (`chip_text`)."""
    return text.strip(THIN + " ").rsplit(" ", 1)[0]


def reaction_runs(
    reactions: list[Reaction], me: str | None, plain: Plain, tags: tuple[str, ...]
) -> list[Run]:
    """A chip per emoji with its count (the user's own highlighted), then one to add a
    reaction; a click on a chip adds the user's reaction or takes it back."""
    runs: list[Run] = []
    for reaction in reactions:
        kind = "chip_mine" if reacted(reaction, me) else "chip_other"
        runs.extend(plain(chip_text(reaction), (*tags, "chip", kind)))
        runs.append(("  ", (*tags, "chips")))
    runs.append((f"{THIN}+{THIN}", (*tags, "chip_add")))
    runs.append(("\n", (*tags, "chips")))
    return runs


def thread_runs(
    summary: ThreadSummary,
    name_of: Callable[[str], str],
    clock: Callable[[int], str],
    unread: int,
    tags: tuple[str, ...],
) -> list[Run]:
    """ "💬 3 replies · 2 new · last 12:40 · Bob, Cy": opens the thread."""
    count = summary.replies
    runs: list[Run] = [(f"💬 {count} repl{'y' if count == 1 else 'ies'}", (*tags, "threadlink"))]
    if unread:  # below 0: some, how many is not known here
        runs.append((f"  {unread} new" if unread > 0 else "  new replies", (*tags, "threadnew")))
    who = ", ".join(name_of(u) for u in summary.participants[:3])
    runs.append((f"  · last {clock(summary.last_ts)}" + (f" · {who}" if who else ""),
                 (*tags, "threadinfo")))  # fmt: skip
    runs.append(("\n", (*tags, "threadinfo")))
    return runs


def pin_runs(msg: Message, name_of: Callable[[str], str], tags: tuple[str, ...]) -> list[Run]:
    """ "  📌 pinned by Ada" after the sender's name and time."""
    if not isinstance(msg.pinned, PinRef):
        return []
    return [(f"  📌 pinned by {name_of(msg.pinned.by)}", (*tags, "pinnote"))]


def mentions_everyone(msg: Message, me: str | None) -> bool:
    """Whether `msg` is someone else's live text that notifies the whole room (only on
    the server's flag, never on the words alone)."""
    return (
        has(msg.mentions_all)
        and msg.kind == "text"
        and not msg.deleted
        and (me is None or msg.sender.lower() != me.lower())
    )


def shown_in_room(msg: Message) -> bool:
    """A thread reply shows in the room's timeline only when also sent to the room."""
    return not has(msg.thread) or msg.in_room is True
