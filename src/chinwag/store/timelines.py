"""The timeline part of the `Store` interface: storing, reading, searching, editing and
deleting messages (see `chinwag.store.base` for the rules every part follows)."""

from __future__ import annotations

from typing import Protocol

from chinwag.protocol.types import Message, MessageKind
from chinwag.store.conversations import Reference
from chinwag.store.records import Actor, Posted, SearchFilters


class Timelines(Protocol):
    # -- messages ------------------------------------------------------------------------
    async def append_message(
        self,
        room_id: str,
        sender: str,
        body: str,
        *,
        client_msg_id: str | None,
        now: int,
        kind: MessageKind = "text",
        member_only: bool = False,
    ) -> tuple[Message, bool]:
        """Commit a message with the room's next seq and return it with True. If `sender`
        already stored a message with this `client_msg_id`, return that one with False
        and store nothing.

        With `member_only`, the same transaction first checks that `sender` is a member
        of the room (else `NotMember`) and muted neither there nor server-wide at `now`
        (else `Muted`), before looking for an earlier copy: a user's send needs no
        separate read, and no check can go stale before the write."""
        ...

    async def messages_since(self, room_id: str, seq: int, limit: int) -> list[Message]:
        """Messages with seq > `seq`, oldest first, at most `limit`."""
        ...

    async def history_before(self, room_id: str, before: int | None, limit: int) -> list[Message]:
        """The `limit` newest messages with seq < `before` (or the newest at all), oldest
        first."""
        ...

    async def search(
        self, username: str, words: list[str], *, filters: SearchFilters, limit: int = 50
    ) -> list[Message]:
        """Text messages, not deleted, of the rooms `username` is in that hold every one
        of `words` (in any order; each as a word or the start of one; Unicode case
        folded), narrowed by `filters`; newest first, at most `limit`. Served by each
        database's full-text index (`chinwag.store.sql.search`)."""
        ...

    async def changes_since(
        self, room_id: str, upto: int, after: int, limit: int
    ) -> tuple[list[Message], int]:
        """Messages with seq <= `upto` edited or deleted after the room's change number
        `after`, in change order, at most `limit`; and the change number this brings the
        caller up to (a later change is never skipped: it comes the next time)."""
        ...

    async def post(
        self,
        actor: Actor,
        room_id: str,
        body: str,
        *,
        client_msg_id: str | None,
        now: int,
        files: tuple[str, ...] = (),
        ref: Reference = ...,
    ) -> Posted:
        """A user's `send`: `append_message` with every check in its transaction (a live
        session, not banned, a member of the room, muted neither there nor server-wide:
        else `SessionEnded`, `Banned`, `NotMember`, `Muted`), and with the change
        stream's position at its commit. `files` are ids of the actor's own uploads,
        which the message carries (else `NoSuchFile`). `ref`: what it quotes, the thread
        it goes to and whether it notifies everyone, checked in the same transaction
        (`chinwag.store.conversations.Refused`); a thread reply also updates its root
        (`Posted.updated`)."""
        ...

    async def get_message(self, room_id: str, seq: int) -> Message | None: ...

    async def delete_message(self, room_id: str, seq: int, *, actor: Actor | None = None) -> bool:
        """Blank a message's body and mark it deleted, as the room's next change; its seq
        stays. False if absent. With `actor`: only a text message, by its sender or the
        room's owner or an admin, members of the room (checked in the transaction)."""
        ...

    async def edit_message(
        self,
        room_id: str,
        seq: int,
        body: str,
        *,
        now: int,
        actor: Actor | None = None,
        mention_max: int | None = None,
    ) -> Message | None:
        """Replace the body of a text message that is not deleted, stamp `edited_ts` and
        make it the room's next change; the message, or None if there is none. With
        `actor`: only its sender, a member of the room not muted (checked in the
        transaction); the same body changes nothing. With `mention_max`, whether it
        notifies everyone is decided again (as `post` does)."""
        ...
