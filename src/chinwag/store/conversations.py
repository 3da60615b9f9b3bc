"""The store's part of conversations: reactions, pins, threads and their read markers
(see "Conversations" in docs/protocol.md). Replies, thread replies and mentions of
everyone are stored with the message itself (`Store.post`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from chinwag.protocol.types import Message, ThreadInfo
from chinwag.store.records import Acted, Actor, StoreError


class Refused(StoreError):
    """A conversation request the stored state refuses: `code` is the protocol's error
    code (`invalid`, `not_found`, `no_change`), `message` what the user is told."""

    def __init__(self, code: Literal["invalid", "not_found", "no_change"], message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Reference:
    """What a send asks beyond its body: the message it quotes, the thread it goes to
    (and whether to the room too), and whether it says `@room` or `@here` (`mention`),
    which it may when its sender owns the room, is an admin, or the room has at most
    `mention_max` members."""

    reply_to: int | None = None
    thread: int | None = None
    in_room: bool = False
    mention: Literal["room", "here"] | None = None
    mention_max: int = 0


#: A plain send: quoting nothing, in no thread, notifying nobody.
NO_REFERENCE = Reference()


@dataclass(frozen=True, slots=True)
class Updated:
    """A message as a change (a reaction, a pin) left it, and what else that change
    posted (the system message of a pin), to announce once committed."""

    message: Message
    acted: Acted = field(default_factory=Acted)


class Conversations(Protocol):
    async def react(
        self,
        actor: Actor,
        room_id: str,
        seq: int,
        emoji: str,
        *,
        add: bool,
        now: int,
        max_kinds: int,
    ) -> Message:
        """Add (or remove) the actor's reaction `emoji` to a text message that is not
        deleted, as the room's next change; the message as it now is. The actor must be
        a member of the room (`NotMember`), not muted (`ChatError` muted); adding one
        already made, or removing one not made, is `Refused` no_change; a message
        with `max_kinds` different emoji takes no new one (`Refused` invalid)."""
        ...

    async def pin(
        self, actor: Actor, room_id: str, seq: int, *, pin: bool, now: int, max_pins: int
    ) -> Updated:
        """Pin (or unpin) a message, as the room's next change, and post the system
        message that says so: the room's owner and admins, both members of a DM
        (`ChatError` forbidden). A text message not deleted (unpinning: any pinned one);
        at most `max_pins` per room (`Refused` invalid); `Refused` no_change when it
        already is (or is not) pinned."""
        ...

    async def pins(self, room_id: str, *, reader: Actor | None = None) -> list[Message]:
        """The room's pinned messages, the most recently pinned first."""
        ...

    async def thread(
        self,
        room_id: str,
        root: int,
        before: int | None,
        limit: int,
        *,
        reader: Actor | None = None,
    ) -> tuple[Message, list[Message]]:
        """A thread's root, and its `limit` newest replies with a seq below `before`
        (None: the newest), oldest first. `Refused` not_found (no such message) or
        invalid (a system message, or one in a thread)."""
        ...

    async def threads(
        self, room_id: str, username: str, limit: int, *, reader: Actor | None = None
    ) -> list[ThreadInfo]:
        """The room's threads, the most recently replied to first, each with the user's
        read marker in it."""
        ...

    async def mark_thread_read(
        self, room_id: str, username: str, root: int, seq: int, *, reader: Actor | None = None
    ) -> int | None:
        """Move the user's read marker of a thread forward to `seq` (at most its newest
        reply); the new marker if it moved, else None. `NoSuchRecord` for a
        non-member; `Refused` invalid for a root that is not one."""
        ...
