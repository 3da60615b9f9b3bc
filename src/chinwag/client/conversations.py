"""The operations of conversations (a part of `Client`): reactions, pins and threads.
Replies and thread replies are sent with `send` (`reply_to`, `thread`, `in_room`); a
thread's read marker moves with `mark_read(..., thread=root)`. What changes a message
comes back, to every client of the room, as a `message_updated` event."""

from __future__ import annotations

from chinwag.client.events import ThreadsLoaded
from chinwag.client.operations import ClientBase
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq
from chinwag.protocol.types import Message, ThreadInfo


class Conversing(ClientBase):
    async def react(self, room: str, seq: int, emoji: str, *, add: bool = True) -> Message:
        """Add (with `add` false: take back) one's reaction `emoji` to a message; the
        message as it now is. `RequestError` no_change when there was nothing to do."""
        req = rq.React(id="0", room=room, seq=seq, emoji=emoji, add=add)
        return (await self.request(req, rp.MessageOk)).message

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
