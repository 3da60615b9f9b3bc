"""The bus between the nodes of a cluster, over Redis pub/sub.

Keys, all under `prefix`:

- `{prefix}:events`: the one pub/sub channel; each message is one msgpack event whose
  `origin` is the publishing node. A reader task per node decodes it, drops its own
  events and queues the rest for a dispatcher task that calls the handler one at a
  time, so a slow handler never stalls the socket.
- `{prefix}:nodes`: the set of registered node ids.
- `{prefix}:node:{id}`: a node's liveness key, refreshed every `heartbeat` seconds with
  a time to live of `node_ttl` seconds.
- `{prefix}:online:{id}`: the set of users with a connection on that node.

`online_users()` is the union of the sets of the nodes whose liveness key exists. When a
node's key expires (the node crashed, or stalled longer than `node_ttl`), the surviving
nodes notice in their heartbeat loop. Exactly one of them reaps the dead node in one
Lua script: it unregisters the node, deletes its set and publishes, with the dead node as
`origin`, a `PresenceChanged(online=False)` for each of its users online on no live
node. Every survivor (the reaper included, since the origin is not its own) hands those
events to its own handler through its reader, in channel order, so that each node tells
its own connections. A node that finds it was reaped while still running (it stalled)
re-registers, rewrites its set and publishes its users online again. `close()` leaves
the same way: its remaining users are announced offline at once instead of after
`node_ttl`.

Redis is a doorbell here, and nothing a request does waits for it. `publish` queues the
event (`PendingEvents`: bounded, coalesced) for a publisher task, which sends what is
waiting in pipelined batches and, while Redis is down or frozen, keeps it and retries
with backoff. `set_online` records presence locally and wakes the heartbeat task, which
writes it out; `online_users` answers from this node's view, refreshed every heartbeat
and kept current by the presence events it reads. The reader reconnects with backoff.
The Lua scripts name keys they compute, so this needs a single Redis, not a Cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

import msgspec
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline, PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from chinwag.bus._tasks import cancel_and_wait
from chinwag.bus.base import (
    AnyBusEvent,
    BusEvent,
    Handler,
    PresenceChanged,
    Resync,
    decode_event,
    encode_event,
)
from chinwag.bus.pending import PendingEvents
from chinwag.bus.redis_scripts import DEAD_LUA, REAP_LUA, VIEW_LUA

log = logging.getLogger(__name__)

#: Errors that mean "Redis is unreachable right now" rather than a bug.
_REDIS_DOWN = (RedisError, OSError)


class RedisBus:
    """One node's end of a Redis-backed bus."""

    #: Upper bound of the reader's and the publisher's reconnection delay, in seconds.
    max_backoff = 5.0
    #: Events published in one pipelined round trip.
    batch = 256

    def __init__(
        self,
        url: str,
        node_id: str,
        *,
        prefix: str = "chinwag",
        heartbeat: float = 5.0,
        node_ttl: float = 15.0,
        command_timeout: float = 2.0,
        max_pending: int = 10_000,
    ) -> None:
        if not 0 < heartbeat < node_ttl:
            raise ValueError("need 0 < heartbeat < node_ttl")
        self.node_id = node_id
        #: Where the bus is, for other parts of the node that share its Redis (the login
        #: throttle keeps its counts there, under the same prefix).
        self.url = url
        self.prefix = prefix
        self._prefix = prefix
        self._heartbeat = heartbeat
        self._node_ttl = node_ttl
        self._channel = f"{prefix}:events"
        self._nodes_key = f"{prefix}:nodes"
        self._node_key = f"{prefix}:node:{node_id}"
        self._online_key = f"{prefix}:online:{node_id}"
        timeouts: dict[str, Any] = {
            "socket_connect_timeout": command_timeout,
            "socket_timeout": command_timeout,
        }
        # No retries inside redis-py: each task (publisher, heartbeat, reader) notices a
        # failure at once, keeps what it could not send, and retries with its own backoff.
        self._redis: aioredis.Redis = aioredis.Redis.from_url(
            url, client_name=f"{prefix}:{node_id}", retry=Retry(NoBackoff(), 0), **timeouts
        )
        self._sub: aioredis.Redis = aioredis.Redis.from_url(
            url, client_name=f"{prefix}:{node_id}:sub", retry=Retry(NoBackoff(), 0), **timeouts
        )
        self._view_script = self._redis.register_script(VIEW_LUA)
        self._dead_script = self._redis.register_script(DEAD_LUA)
        self._reap_script = self._redis.register_script(REAP_LUA)
        self._online: set[str] = set()
        #: Presence written since the last beat: user -> online (None: rewrite the set).
        self._presence: dict[str, bool] | None = {}
        #: Other live nodes and their users, as this node last heard.
        self._view: dict[str, set[str]] = {}
        self._presence_lock = asyncio.Lock()
        self._presence_due = asyncio.Event()
        self._pending = PendingEvents(max_pending)
        self._publish_due = asyncio.Event()
        self._queue: asyncio.Queue[AnyBusEvent] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False

    async def start(self, handler: Handler) -> None:
        """Subscribe and register this node; raises if Redis is unreachable."""
        if self._closed:
            raise RuntimeError("bus is closed")
        if self._started:
            raise RuntimeError("bus already started")
        self._started = True
        try:
            pubsub = await self._subscribe()
        except BaseException:
            self._started = False
            raise
        try:
            # A node restarted under the same id first retires its previous incarnation,
            # announcing offline the users it had left behind.
            await self._redis.delete(self._node_key)
            await self._reap(self.node_id)
            self._presence = None
            await self._register(first=True)
            await self._refresh_view()
        except BaseException:
            self._started = False
            await _close_pubsub(pubsub)
            raise
        name = f"chinwag-bus-{self.node_id}"
        self._tasks = [
            asyncio.create_task(self._dispatch(handler), name=f"{name}-dispatch"),
            asyncio.create_task(self._read(pubsub), name=f"{name}-read"),
            asyncio.create_task(self._beat_forever(), name=f"{name}-heartbeat"),
            asyncio.create_task(self._publish_forever(), name=f"{name}-publish"),
        ]

    def publish(self, event: BusEvent) -> None:
        if self._closed:
            return
        self._pending.put(msgspec.structs.replace(event, origin=self.node_id))
        self._publish_due.set()

    def set_online(self, user: str, online: bool) -> None:
        if self._closed:
            return
        if online:
            self._online.add(user)
        else:
            self._online.discard(user)
        if self._presence is not None:
            self._presence[user] = online
        self._presence_due.set()

    def online_users(self) -> set[str]:
        """This node's users and those of the other live nodes as last heard (refreshed
        every heartbeat, and by every presence event in between)."""
        users = set(self._online)
        for node, online in self._view.items():
            if node != self.node_id:
                users |= online
        return users

    @property
    def waiting(self) -> int:
        """Events queued for publishing (for tests and metrics)."""
        return len(self._pending)

    async def close(self) -> None:
        """Stop the tasks, publish what is waiting if Redis takes it at once, announce
        offline the users still online here (and on no other live node), forget this
        node's keys and close the connections."""
        if self._closed:
            return
        self._closed = True
        await cancel_and_wait(*self._tasks)
        self._tasks = []
        try:
            if self._started:
                await self._publish_waiting()
                await self._redis.delete(self._node_key)
                await self._reap(self.node_id, self._online)
                await self._redis.delete(self._online_key)
        except _REDIS_DOWN as exc:
            log.warning("bus node %s could not clean up its presence: %s", self.node_id, exc)
        finally:
            self._online.clear()
            await self._sub.aclose()
            await self._redis.aclose()

    # Publishing

    async def _publish_waiting(self) -> None:
        """Publish every event waiting, in order, a pipelined batch at a time; on failure
        the batch is put back and the error raised."""
        while True:
            taken = self._pending.take(self.batch)
            if not taken:
                return
            pipe = self._redis.pipeline(transaction=False)
            for _, event in taken:
                pipe.publish(self._channel, encode_event(event))
            try:
                await pipe.execute()
            except BaseException:
                self._pending.restore(taken)
                raise

    async def _publish_forever(self) -> None:
        failures = 0
        while not self._closed:
            await self._publish_due.wait()
            self._publish_due.clear()
            try:
                await self._publish_waiting()
            except _REDIS_DOWN as exc:
                if not failures:
                    log.warning(
                        "bus node %s cannot publish; %d event(s) wait: %s",
                        self.node_id,
                        len(self._pending),
                        exc,
                    )
                failures += 1
                self._publish_due.set()
                await asyncio.sleep(_backoff(failures, self.max_backoff))
                continue
            if failures:
                log.info(
                    "bus node %s publishes again (%d event(s) dropped meanwhile)",
                    self.node_id,
                    self._pending.dropped,
                )
                failures = 0

    # Reading

    async def _subscribe(self) -> PubSub:
        """A pubsub subscribed to the channel, once Redis has confirmed it."""
        pubsub = self._sub.pubsub()
        try:
            await pubsub.subscribe(self._channel)
            async with asyncio.timeout(self._node_ttl):
                while True:
                    message = await pubsub.get_message(timeout=self._node_ttl)
                    if message is not None and message["type"] == "subscribe":
                        return pubsub
        except BaseException:
            await _close_pubsub(pubsub)
            raise

    async def _read(self, pubsub: PubSub | None) -> None:
        failures = 0
        delay = 0.0
        while not self._closed:
            try:
                if pubsub is None:
                    pubsub = await self._subscribe()
                    log.info("bus node %s resubscribed to %s", self.node_id, self._channel)
                    failures = 0
                    self._queue.put_nowait(Resync(origin=self.node_id))
                await self._listen(pubsub)
            except (*_REDIS_DOWN, TimeoutError) as exc:
                failures += 1
                delay = _backoff(failures, self.max_backoff)
                log.warning(
                    "bus node %s lost its subscription (%s: %s); reconnecting in %.2fs",
                    self.node_id,
                    type(exc).__name__,
                    exc,
                    delay,
                )
            finally:
                if pubsub is not None:
                    with contextlib.suppress(*_REDIS_DOWN):
                        await _close_pubsub(pubsub)
                    pubsub = None
            await asyncio.sleep(delay)

    async def _listen(self, pubsub: PubSub) -> None:
        """Queue the other nodes' events until the connection fails. An idle connection is
        pinged every heartbeat; one silent for node_ttl is taken for dead."""
        loop = asyncio.get_running_loop()
        heard = loop.time()
        while not self._closed:
            message = await pubsub.get_message(timeout=self._heartbeat)
            now = loop.time()
            if message is None:
                if now - heard > self._node_ttl:
                    raise TimeoutError(f"no reply from Redis for {self._node_ttl}s")
                if now - heard >= self._heartbeat:
                    await pubsub.ping()
                continue
            heard = now
            if message["type"] != "message":
                continue
            try:
                event = decode_event(message["data"])
            except msgspec.DecodeError:
                log.exception("bus node %s dropped an undecodable event", self.node_id)
                continue
            if event.origin != self.node_id:
                if isinstance(event, PresenceChanged):
                    self._heard_presence(event)
                self._queue.put_nowait(event)

    def _heard_presence(self, event: PresenceChanged) -> None:
        online = self._view.setdefault(event.origin, set())
        if event.online:
            online.add(event.user)
        else:
            online.discard(event.user)

    async def _dispatch(self, handler: Handler) -> None:
        while True:
            event = await self._queue.get()
            try:
                await handler(event)
            except Exception:
                log.exception(
                    "bus handler of node %s failed on %s event from %s",
                    self.node_id,
                    type(event).__name__,
                    event.origin,
                )

    # Presence

    async def _register(self, *, first: bool = False) -> None:
        """Refresh this node's liveness key and registration, and write out its presence
        (what changed since, or the whole set). A node found unregistered after start was
        reaped: it announces its users again."""
        async with self._presence_lock:
            written, self._presence = self._presence, {}
            pipe = self._redis.pipeline(transaction=True)
            pipe.set(self._node_key, b"1", px=int(self._node_ttl * 1000))
            pipe.sadd(self._nodes_key, self.node_id)
            if written is None:
                self._rewrite_online(pipe)
            else:
                came = [user for user, online in written.items() if online]
                went = [user for user, online in written.items() if not online]
                if came:
                    pipe.sadd(self._online_key, *came)
                if went:
                    pipe.srem(self._online_key, *went)
            try:
                _, added, *_ = await pipe.execute()
            except BaseException:
                self._presence = None  # write the whole set next time
                raise
            reaped = bool(added) and not first
            if reaped and written is not None:  # the reaper deleted the set too
                pipe = self._redis.pipeline(transaction=True)
                self._rewrite_online(pipe)
                await pipe.execute()
            users = sorted(self._online)
        if reaped:
            log.warning("bus node %s was taken for dead and has rejoined", self.node_id)
            for user in users:
                self.publish(PresenceChanged(user=user, online=True))

    def _rewrite_online(self, pipe: Pipeline) -> None:
        pipe.delete(self._online_key)
        if self._online:
            pipe.sadd(self._online_key, *self._online)

    async def _refresh_view(self) -> None:
        flat = await self._view_script(keys=[self._nodes_key], args=[self._prefix])
        self._view = {
            _text(node): {_text(user) for user in users}
            for node, users in zip(flat[::2], flat[1::2], strict=True)
        }

    async def _beat_forever(self) -> None:
        """Every heartbeat: reap dead nodes, refresh this node's liveness and its view of
        the others. In between, write out presence as soon as it changes."""
        loop = asyncio.get_running_loop()
        beat_at = loop.time() + self._heartbeat
        failing = False
        # Each `_closed` check stops a loop whose cancellation redis-py swallowed.
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, beat_at - loop.time())):
                    await self._presence_due.wait()
            self._presence_due.clear()
            if self._closed:
                break
            beat = loop.time() >= beat_at
            try:
                await self._register()
                if beat:
                    beat_at = loop.time() + self._heartbeat
                    for dead in await self._dead_script(
                        keys=[self._nodes_key], args=[self._prefix]
                    ):
                        await self._reap(_text(dead))
                    await self._refresh_view()
            except _REDIS_DOWN as exc:
                if not failing:
                    log.warning("bus node %s missed a heartbeat: %s", self.node_id, exc)
                failing = True
                beat_at = loop.time() + self._heartbeat
                continue
            if failing:
                log.info("bus node %s beats again", self.node_id)
                failing = False

    async def _reap(self, node: str, users: set[str] | None = None) -> None:
        """Unregister `node` (dead, or this one closing) and announce offline its users
        (`users`, else those in its Redis set) that are online on no live node."""
        if users is None:
            users = {
                _text(user) for user in await self._redis.smembers(f"{self._prefix}:online:{node}")
            }
        args: list[str | bytes] = [self._prefix, node]
        for user in sorted(users):
            args += [user, encode_event(PresenceChanged(origin=node, user=user, online=False))]
        sent = await self._reap_script(keys=[self._nodes_key], args=args)
        if sent >= 0 and node != self.node_id:
            self._view.pop(node, None)
            log.warning(
                "bus node %s reaped dead node %s: %d user(s) went offline", self.node_id, node, sent
            )


def _backoff(failures: int, cap: float) -> float:
    """Capped exponential backoff with jitter, from 0.1 s."""
    return float(min(cap, 0.05 * 2**failures) * random.uniform(0.5, 1.0))


async def _close_pubsub(pubsub: PubSub) -> None:
    await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
