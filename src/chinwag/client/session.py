"""Logging in, catching up, and keeping the session alive (a part of `Client`).

After `login`, `register` or `resume` succeeds, the client catches up (timeline.py) and
only then is `connected` and sends its outbox. Whatever fails from then on (the
connection drops, a request times out, catching up is refused), the session carries on:
the client waits (policy.reconnect_delay), reconnects, resumes with the token, catches
up, and resends the outbox with the same `client_msg_id`s. Only what policy.py says ends
a session ends it: a 4001, 4002 or 4005 close, or an `invalid_token` or `banned` answer.
"""

from __future__ import annotations

import asyncio
import contextlib

from chinwag.client import policy
from chinwag.client.errors import ClientError, ConnectionLost, RequestError
from chinwag.client.events import LoggedIn, Status
from chinwag.client.operations import ClientBase
from chinwag.client.policy import ErrorAction, error_action, session_end
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq


class Sessions(ClientBase):
    # -- logging in --------------------------------------------------------------------------
    async def register(self, username: str, password: str) -> rp.AuthOk:
        return await self._authenticate(
            rq.Register(id="0", username=username, password=password), resumed=False
        )

    async def login(self, username: str, password: str) -> rp.AuthOk:
        return await self._authenticate(
            rq.Login(id="0", username=username, password=password), resumed=False
        )

    async def resume(self, token: str) -> rp.AuthOk:
        return await self._authenticate(rq.Resume(id="0", token=token), resumed=True)

    async def _authenticate(self, req: rq.Request, *, resumed: bool) -> rp.AuthOk:
        if self._sessioned:
            raise ClientError("already logged in: log out first")
        self._set_status(Status.CONNECTING)
        try:
            await self.connect()
            auth = await self.request(req, rp.AuthOk)
        except BaseException as exc:
            reason = exc.message if isinstance(exc, RequestError) else str(exc)
            self._set_status(Status.DISCONNECTED, reason=reason)
            raise
        try:
            await self._after_auth(auth, resumed=resumed)
        except ClientError as exc:
            # Logged in, but catching up failed (the connection dropped, a request timed
            # out or was refused): unless that ended the session, retry as after any
            # other drop: back-off, reconnect, resume, catch up, then the outbox.
            if not self._session_over(exc):
                await self._drop()
                self._start_reconnect(*_cause(exc))
        return auth

    def _session_over(self, exc: ClientError) -> bool:
        """Whether `exc`, met while (re)connecting or catching up, ended the session (it
        is then ended, with the status saying why)."""
        if not self._sessioned or self._closed:
            return True  # ended already (a request's answer), or closed
        if isinstance(exc, RequestError):  # the answer to `resume`
            action = error_action(exc.code)
            if action is ErrorAction.SIGN_OUT:
                self._end_session(Status.SIGNED_OUT, reason=policy.SIGNED_OUT_REASON)
                return True
            if action is ErrorAction.BANNED:
                self._end_session(Status.BANNED, reason=exc.message)
                return True
        elif isinstance(exc, ConnectionLost):
            ended = session_end(exc.code)
            if ended is not None:
                reason = self._why_removed(exc.code) or ended[1]
                self._end_session(ended[0], code=exc.code, reason=reason)
                return True
        return False

    def start_resume(self, token: str) -> None:
        """Log back in with `token` in the background, retrying until the server answers
        (for an application starting up with a saved token, perhaps offline)."""
        if self._sessioned:
            raise ClientError("already logged in")
        self.token = token
        self._sessioned = True
        self._start_reconnect(None, "", first=True)

    async def _after_auth(self, auth: rp.AuthOk, *, resumed: bool) -> None:
        self.user, self.token = auth.user, auth.token
        self._sessioned = True
        self._emit(LoggedIn(auth.user, auth.token, resumed))
        await self._catch_up()
        self._set_status(Status.CONNECTED)
        for room in [room for room in self._held if room not in self.last_seq]:
            self._ensure_baseline(room)  # a room that appeared while catching up
        self._kick_outbox()

    async def logout(self) -> None:
        """End the session (its token stops working) and close the connection."""
        self._sessioned = False
        self._stop_reconnect()
        if self.connected:
            with contextlib.suppress(ClientError):
                await self.request(rq.Logout(id="0"), rp.Ok)
        await self._drop()
        self._end_session(Status.SIGNED_OUT, reason="You logged out.")

    def _end_session(self, status: Status, *, code: int | None = None, reason: str = "") -> None:
        self._sessioned = False
        self.token = None
        self.last_seq.clear()
        self._held.clear()
        for task in [*self._filling.values(), *self._baselines.values()]:
            task.cancel()
        failed = ClientError(reason or "the session ended")
        for item in self._outbox.values():
            if not item.future.done():
                item.future.set_exception(failed)
        self._outbox.clear()
        self._set_status(status, code=code, reason=reason)

    # -- reconnecting ----------------------------------------------------------------------
    def _start_reconnect(self, code: int | None, reason: str, *, first: bool = False) -> None:
        if self._reconnect_task is not None and not self._reconnect_task.done():
            return
        self._reconnect_task = asyncio.create_task(
            self._reconnect_loop(code, reason, first), name="chinwag-client-reconnect"
        )

    def _stop_reconnect(self) -> None:
        if self._reconnect_task is not None and self._reconnect_task is not asyncio.current_task():
            self._reconnect_task.cancel()
        self._reconnect_task = None

    def reconnect_now(self) -> None:
        """Skip the rest of the back-off wait."""
        self._wake.set()

    async def _reconnect_loop(self, code: int | None, reason: str, first: bool) -> None:
        attempt = 0  # failed attempts since the last successful catch-up
        while self._sessioned and not self._closed:
            if not (first and attempt == 0):
                delay = self._reconnect_delay(attempt, code)
                self._set_status(
                    Status.RECONNECTING, retry_in=delay, attempt=attempt, code=code, reason=reason
                )
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                if not self._sessioned or self._closed:
                    return
            self._set_status(Status.CONNECTING, attempt=attempt)
            assert self.token is not None
            try:
                await self._open()
                auth = await self.request(rq.Resume(id="0", token=self.token), rp.AuthOk)
                await self._after_auth(auth, resumed=True)
                return
            except ClientError as exc:  # refused, dropped, timed out, wrong protocol
                if self._session_over(exc):
                    return
                code, reason = _cause(exc)
            await self._drop()
            attempt += 1


def _cause(exc: ClientError) -> tuple[int | None, str]:
    """(close code, sentence) of a failed attempt, for the next delay and the status."""
    if isinstance(exc, ConnectionLost):
        return exc.code, str(exc)
    if isinstance(exc, RequestError):
        return None, exc.message
    return None, str(exc)
