"""The server under test: started here on a seeded temporary data directory, pinned to
its core, or an existing one at a URL.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chinwag.bench import seed
from chinwag.bench.harness import CHEAP_ARGON2, ServerGroup, ServerProcess
from chinwag.bench.scenarios.options import Options
from chinwag.config import ServerConfig


@dataclass
class Target:
    """The server under test: one this bench started, or one at a URL."""

    kind: str
    host: str
    port: int
    path: str
    proc: ServerProcess | ServerGroup | None
    health: dict[str, Any]
    #: How bench users log in: "resume" (seeded sessions) or "register" (URL mode).
    login: str = "resume"
    prefix: str = ""

    def username(self, i: int) -> str:
        return f"{self.prefix}{seed.username(i)}" if self.prefix else seed.username(i)

    def user(self, i: int) -> tuple[int, str, str | None]:
        return i, self.username(i), seed.token(i) if self.login == "resume" else None

    def cpu(self) -> float:
        return self.proc.cpu() if self.proc is not None else float("nan")

    def loop_cpu(self) -> float:
        return self.proc.main_thread_cpu() if self.proc is not None else float("nan")

    def rss(self) -> int:
        return self.proc.rss() if self.proc is not None else 0


@contextlib.contextmanager
def running(
    opts: Options,
    plan: seed.Plan | None,
    *,
    kind: str = "chinwag",
    cheap_argon2: bool = True,
    env: dict[str, str] | None = None,
) -> Iterator[Target]:
    """The server to bench: started here on a seeded temp dir, or `opts.url`."""
    if opts.url is not None and kind == "chinwag":
        parts = urlsplit(opts.url)
        target = Target(
            kind,
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            parts.path or "/ws",
            None,
            {},
            login="register",
            prefix=f"b{secrets.token_hex(3)}",
        )
        yield target
        return
    with tempfile.TemporaryDirectory(prefix=f"chinwag-bench-{kind}-") as tmp:
        data_dir = Path(tmp)
        if kind == "chinwag" and plan is not None:
            url = opts.database_url or seed_url(data_dir)
            counts = seed_now(url, plan)
            opts.log(f"  seeded {counts}")
        settings = dict(CHEAP_ARGON2) if cheap_argon2 else {}
        settings.update(env or {})
        proc = ServerProcess(
            kind, data_dir, opts.layout.server_cpus, database_url=opts.database_url, env=settings
        )
        proc.start()
        try:
            health = proc.health()
            opts.log(
                f"  {kind} server pid {proc.proc.pid if proc.proc else '?'} "
                f"on {proc.url}, loop {health.get('loop')}"
            )
            yield Target(kind, "127.0.0.1", proc.port, "/ws", proc, health)
        except BaseException:
            alive = proc.proc is not None and proc.proc.poll() is None
            opts.log(f"  the {kind} server ({'running' if alive else 'exited'}) logged:")
            opts.log(proc.log_tail(40))
            raise
        finally:
            proc.stop()


def seed_url(data_dir: Path) -> str:
    return "sqlite:///" + str(data_dir / "chinwag.db")


def seed_now(url: str, plan: seed.Plan) -> dict[str, Any]:
    import asyncio

    return asyncio.run(seed.seed(url, plan))


def cheap_hash() -> str:
    return seed.password_hash(
        int(CHEAP_ARGON2["CHINWAG_ARGON2_TIME_COST"]),
        int(CHEAP_ARGON2["CHINWAG_ARGON2_MEMORY_KIB"]),
        int(CHEAP_ARGON2["CHINWAG_ARGON2_PARALLELISM"]),
    )


def default_hash() -> str:
    config = ServerConfig()
    return seed.password_hash(
        config.argon2_time_cost, config.argon2_memory_kib, config.argon2_parallelism
    )
