"""Sending exactly once (a part of `Client`).

Each message gets a `client_msg_id` and waits in the outbox until the server has stored
it. The outbox goes out one message at a time, in order, whenever the client is
connected; after a dropped connection it is sent again with the same ids, so that a send
whose reply was lost is not stored twice. What each error answer leads to is
policy.ERRORS: rate limits are waited out; `unavailable` waits for the reconnect;
`internal_error` is tried again a few times; a refusal for good (muted, invalid, not a
member) is reported as `SendFailed`. A timeout never fails a message: it stays queued
and goes again, with its id, once the client has reconnected.
"""

from __future__ import annotations

import asyncio
import uuid

from chinwag.client import policy
from chinwag.client.errors import ClientError, ConnectionLost, RequestError
from chinwag.client.events import SendAcked, SendFailed, Status
from chinwag.client.operations import ClientBase, Outgoing
from chinwag.client.policy import ErrorAction, error_action
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq
from chinwag.protocol.types import Message


class Outbox(ClientBase):
    @staticmethod
    def new_client_msg_id() -> str:
        return uuid.uuid4().hex

    def queue_send(
        self,
        room: str,
        body: str,
        client_msg_id: str | None = None,
        attachments: list[str] | None = None,
        *,
        reply_to: int | None = None,
        thread: int | None = None,
        in_room: bool = False,
    ) -> str:
        """Put a message in the outbox and return its `client_msg_id`. It goes out now if
        connected, else after the next reconnect; a `SendAcked` or `SendFailed` follows.
        `reply_to`: the seq of a message of the room it quotes; `thread`: the root of
        the thread it goes to (with `in_room`, to the room as well)."""
        if not self._sessioned:
            raise ClientError("log in before sending")
        cmid = client_msg_id or self.new_client_msg_id()
        if cmid not in self._outbox:
            fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
            fut.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._outbox[cmid] = Outgoing(
                room,
                body,
                cmid,
                fut,
                attachments=attachments or [],
                reply_to=reply_to,
                thread=thread,
                in_room=in_room,
            )
        self._kick_outbox()
        return cmid

    async def send(
        self,
        room: str,
        body: str,
        client_msg_id: str | None = None,
        attachments: list[str] | None = None,
        *,
        reply_to: int | None = None,
        thread: int | None = None,
        in_room: bool = False,
    ) -> Message:
        """Send through the outbox and wait until the server has stored the message
        (across reconnects). Raises RequestError if the server refuses it for good.
        `reply_to`, `thread` and `in_room` as for `queue_send`."""
        cmid = self.queue_send(
            room,
            body,
            client_msg_id,
            attachments,
            reply_to=reply_to,
            thread=thread,
            in_room=in_room,
        )
        return await asyncio.shield(self._outbox[cmid].future)

    def cancel_send(self, client_msg_id: str) -> bool:
        """Drop a message from the outbox if it has not gone out yet (or is in flight)."""
        item = self._outbox.pop(client_msg_id, None)
        if item is not None:
            item.future.cancel()
        return item is not None

    @property
    def outbox(self) -> list[tuple[str, str, str]]:
        """(room, body, client_msg_id) of every message not yet stored, oldest first."""
        return [(i.room, i.body, i.client_msg_id) for i in self._outbox.values()]

    def _kick_outbox(self) -> None:
        idle = self._drain_task is None or self._drain_task.done()
        if self._outbox and self.status == Status.CONNECTED and idle:
            self._drain_task = asyncio.create_task(self._drain(), name="chinwag-outbox")

    async def _drain(self) -> None:
        """Send the outbox one message at a time, in order."""
        while self._outbox and self.status == Status.CONNECTED:
            item = next(iter(self._outbox.values()))
            req = rq.Send(
                id="0",
                room=item.room,
                body=item.body,
                client_msg_id=item.client_msg_id,
                attachments=item.attachments,
                reply_to=item.reply_to,
                thread=item.thread,
                in_room=item.in_room,
            )
            try:
                reply = await self.request(req, rp.MessageOk)
            except ConnectionLost:
                return  # lost or timed out: resent after the reconnect, never failed
            except RequestError as exc:
                action = error_action(exc.code)
                if action is ErrorAction.WAIT:
                    await asyncio.sleep(policy.retry_after_delay(exc.retry_after))
                    continue
                if action in (ErrorAction.RECONNECT, ErrorAction.SIGN_OUT, ErrorAction.BANNED):
                    return  # the client reconnects (then resends) or has ended the session
                if action is ErrorAction.RETRY and item.tries < policy.SEND_RETRIES:
                    item.tries += 1
                    delay = policy.backoff_delay(
                        item.tries, self.backoff_base, self.backoff_cap, self._rng
                    )
                    await asyncio.sleep(delay)
                    continue
                if self._outbox.pop(item.client_msg_id, None) is not None:
                    item.future.set_exception(exc)
                    self._emit(
                        SendFailed(
                            item.room, item.client_msg_id, exc.code, exc.message, exc.retry_after
                        )
                    )
                continue
            if self._outbox.pop(item.client_msg_id, None) is None:
                continue  # cancelled meanwhile
            self._accept(reply.message.room, [reply.message], None)
            item.future.set_result(reply.message)
            self._emit(SendAcked(item.client_msg_id, reply.message))
