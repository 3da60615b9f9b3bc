"""The operations of conversations (a part of `Client`): reactions, pins and threads.
Replies and thread replies are sent with `send` (`reply_to`, `thread`, `in_room`); a
thread's read marker moves with `mark_read(..., thread=root)`. What changes a message
comes back, to every client of the room, as a `message_updated` event."""

from __future__ import annotations

from chinwag.client.errors import RequestError
from chinwag.client.events import ThreadsLoaded
from chinwag.client.operations import ClientBase
from chinwag.core.validation import canonical
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.types import Message, ThreadInfo


class Conversing(ClientBase):
    async def react(self, room: str, seq: int, emoji: str, *, add: bool = True) -> Message:
        """Add (with `add` false: take back) one's reaction `emoji` to a message; the
        message as it now is. `RequestError` no_change when there was nothing to do."""
        req = rq.React(id="0", room=room, seq=seq, emoji=emoji, add=add)
        return (await self.request(req, rp.MessageOk)).message

    async def toggle_reaction(
        self, room: str, seq: int, emoji: str, held: Message | None, me: str
    ) -> Message:
        """Take back `me`'s reaction `emoji` if the message as `held` lists it, else add
        it. A reaction lists only its first users: where `me` is not among them but the
        list is cut short, the add may find the reaction made already (`no_change`), and
        it is taken back instead."""
        reaction = (
            next((r for r in (held.reactions or []) if r.emoji == emoji), None) if held else None
        )
        listed = reaction is not None and canonical(me) in {canonical(u) for u in reaction.users}
        try:
            return await self.react(room, seq, emoji, add=not listed)
        except RequestError as exc:
            cut = reaction is not None and reaction.count > len(reaction.users)
            if listed or not cut or exc.code != ErrorCode.NO_CHANGE:
                raise
            return await self.react(room, seq, emoji, add=False)

    async def pin(self, room: str, seq: int) -> Message:
        return (await self.request(rq.Pin(id="0", room=room, seq=seq), rp.MessageOk)).message

    async def unpin(self, room: str, seq: int) -> Message:
        return (await self.request(rq.Unpin(id="0", room=room, seq=seq), rp.MessageOk)).message

    async def pins(self, room: str) -> list[Message]:
        """The room's pinned messages, the most recently pinned first."""
        return (await self.request(rq.Pins(id="0", room=room), rp.PinsOk)).messages

    async def thread(
        self, room: str, root: int, *, before: int | None = None, limit: int = 50
    ) -> rp.ThreadOk:
        """A page of a thread: its root and replies, oldest first, before `before`."""
        req = rq.Thread(id="0", room=room, root=root, before=before, limit=limit)
        return await self.request(req, rp.ThreadOk)

    async def threads(self, room: str, limit: int = 50) -> list[ThreadInfo]:
        """The room's threads, the most recently active first, with the user's read
        marker in each; also reported as `ThreadsLoaded`."""
        reply = await self.request(rq.Threads(id="0", room=room, limit=limit), rp.ThreadsOk)
        self._emit(ThreadsLoaded(room, reply.threads))
        return reply.threads
