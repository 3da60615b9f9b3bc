"""Password hashing (argon2id, off the event loop) and session tokens."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError


class PasswordHasher:
    """argon2id hashing in a small thread pool: a login storm costs CPU, never the
    event loop's time. argon2's C code releases the GIL while it works."""

    def __init__(
        self,
        *,
        time_cost: int = 3,
        memory_kib: int = 65536,
        parallelism: int = 4,
        workers: int = 2,
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="argon2", initializer=_yield_to_the_loop
        )
        # Verifying against this when the account does not exist keeps the reply time
        # of "no such user" equal to that of "wrong password".
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, self._verify, password_hash or self._dummy, password
        )

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def hash_sync(self, password: str) -> str:
        """For the admin command line, which has no event loop to spare."""
        return self._hasher.hash(password)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _yield_to_the_loop() -> None:
    """Run this hashing thread (and the lane threads argon2 starts from it) at the
    lowest priority: on a busy core the event loop then preempts a login storm instead
    of sharing the core with it, and hashing still gets every idle cycle. Measured with
    chinwag bench login (one core): a storm of 8 concurrent logins raised the p99 of
    users chatting from 7 ms to 89 ms before."""
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Only this digest of a token is stored: a leaked database logs nobody in."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Gate:
    semaphore: asyncio.Semaphore
    #: Checks waiting for the gate or holding it.
    users: int = 0


class LoginGates:
    """At most `width` password checks at a time per key (a client address, an account);
    the others wait their turn. A failure is then counted before the next guess is
    checked, so guesses sent in parallel over many connections meet the throttle like
    guesses sent one after the other, while people who log in at the same moment from
    one address (a classroom behind a NAT) only queue for a fraction of a second."""

    def __init__(self, *, width: int = 2, max_waiting: int = 64) -> None:
        self.width = width
        self.max_waiting = max_waiting
        self._gates: dict[str, _Gate] = {}

    def crowded(self, *keys: str) -> bool:
        """Whether one of the keys already has `max_waiting` checks waiting or running."""
        return any(
            key in self._gates and self._gates[key].users >= self.max_waiting for key in keys
        )

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _Gate(asyncio.Semaphore(self.width))
        gate.users += 1
        try:
            async with gate.semaphore:
                yield
        finally:
            gate.users -= 1
            if gate.users == 0:
                del self._gates[key]
