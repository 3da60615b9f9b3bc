"""What the thread pane keeps for each thread beyond the pane itself (which is made
anew each time it opens): the draft of its box, and its replies not stored yet.

A reply goes through the client's outbox (sent again with its `client_msg_id` after a
reconnect, stored once) and waits here meanwhile, drawn under the thread's replies as
the main timeline draws its own unsent messages: "sending…", or in red with Retry and
Discard when the server refused it.
"""

from __future__ import annotations

import dataclasses
import time

from chinwag.client import Client
from chinwag.client.model import PendingSend
from chinwag.desktop.prefs import Draft

#: A thread: (room, root seq).
Thread = tuple[str, int]


@dataclasses.dataclass
class Waiting:
    """A reply not stored yet: to which thread, what it quotes, whether to the room too."""

    thread: Thread
    item: PendingSend
    reply_to: int | None
    in_room: bool


class ThreadsKept:
    def __init__(self) -> None:
        #: What was typed in each thread's box and not sent, and "Also send to the room".
        self.drafts: dict[Thread, tuple[Draft, bool]] = {}
        #: The replies not stored yet, by client_msg_id, oldest first.
        self.waiting: dict[str, Waiting] = {}

    def add(self, thread: Thread, body: str, reply_to: int | None, in_room: bool) -> Waiting:
        cmid = Client.new_client_msg_id()
        item = PendingSend(cmid, thread[0], body, int(time.time() * 1000))
        waiting = self.waiting[cmid] = Waiting(thread, item, reply_to, in_room)
        return waiting

    def of(self, thread: Thread) -> dict[str, PendingSend]:
        """The replies of `thread` not stored yet, as a timeline draws them."""
        return {cmid: w.item for cmid, w in self.waiting.items() if w.thread == thread}

    def quote(self, cmid: str) -> int | None:
        """The seq of the message the reply `cmid` quotes, if any."""
        waiting = self.waiting.get(cmid)
        return waiting.reply_to if waiting is not None else None

    def settle(self, cmid: str) -> None:
        """The server stored it: it waits no more."""
        self.waiting.pop(cmid, None)

    def fail(self, cmid: str, error: str) -> None:
        waiting = self.waiting.get(cmid)
        if waiting is not None:
            waiting.item.failed, waiting.item.error = True, error

    def retry(self, cmid: str) -> Waiting | None:
        """A failed reply, to be sent again (with the same client_msg_id)."""
        waiting = self.waiting.get(cmid)
        if waiting is None or not waiting.item.failed:
            return None
        waiting.item.failed, waiting.item.error = False, ""
        return waiting

    def discard(self, cmid: str) -> None:
        self.waiting.pop(cmid, None)
