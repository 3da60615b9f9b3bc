"""The composition root: `chinwag serve`, `chinwag admin ...` and the other commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import ipaddress
import logging
import signal
import ssl
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from chinwag import __version__
from chinwag.config import ConfigError, ServerConfig

log = logging.getLogger("chinwag")


# -- serve -----------------------------------------------------------------------------------
def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML file of settings")
    parser.add_argument(
        "--data-dir", type=Path, help="where the SQLite database lives (default: user data dir)"
    )
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL, e.g. postgresql+asyncpg://user@host/db (default: SQLite)",
    )


def _configure_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the chat server")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 for LAN)")
    p.add_argument("--port", type=int, help="port to listen on (default 8080)")
    _add_store_options(p)
    p.add_argument("--bus-url", help="redis://host:6379/0 to run several server nodes")
    p.add_argument("--node-id", help="name of this node on the bus")
    p.add_argument("--tls-cert", type=Path, help="certificate (PEM) for https and wss")
    p.add_argument("--tls-key", type=Path, help="private key (PEM) of the certificate")
    p.add_argument(
        "--no-registration",
        dest="registration",
        action="store_const",
        const=False,
        help="refuse new accounts (admins add them with `chinwag admin create-user`)",
    )
    p.add_argument("--max-body", type=int, help="longest message in characters (4000)")
    p.add_argument("--rate-limit", type=float, help="messages/s per connection (5; 0: off)")
    p.add_argument("--rate-burst", type=int, help="messages allowed in a burst (10)")
    p.add_argument("--flood-limit", type=float, help="frames/s before disconnect (50; 0: off)")
    p.add_argument(
        "--trusted-proxies",
        help="reverse proxies whose X-Forwarded-For gives the client's address "
        "(e.g. 127.0.0.1,10.0.0.0/8)",
    )
    p.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR")
    p.set_defaults(func=_serve)


def _flags(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    return {name: getattr(args, name, None) for name in names}


SERVE_FLAGS = (
    "host",
    "port",
    "data_dir",
    "database_url",
    "bus_url",
    "node_id",
    "tls_cert",
    "tls_key",
    "registration",
    "max_body",
    "rate_limit",
    "rate_burst",
    "flood_limit",
    "trusted_proxies",
    "log_level",
)


def _serve(args: argparse.Namespace) -> int:
    config = ServerConfig.load(_flags(args, *SERVE_FLAGS), config_file=args.config)
    _setup_logging(config.log_level)
    return _run(serve(config))


async def serve(config: ServerConfig, *, ready: Callable[[list[str]], None] | None = None) -> None:
    """Run one server node until SIGINT or SIGTERM, then shut down gracefully."""
    from aiohttp import web

    from chinwag.server.app import create_app

    config.data_dir.mkdir(parents=True, exist_ok=True)
    ssl_context = None
    if config.tls_cert is not None and config.tls_key is not None:
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(config.tls_cert, config.tls_key)
    app = create_app(config)
    runner = web.AppRunner(
        app, handle_signals=False, access_log=None, shutdown_timeout=config.shutdown_grace
    )
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        site = web.TCPSite(runner, config.host, config.port, ssl_context=ssl_context)
        await site.start()
        ports = [addr[1] for addr in runner.addresses if isinstance(addr, tuple)]
        urls = announce(config, ports[0] if ports else config.port)
        if ready is not None:
            ready(urls)
        await stop.wait()
        log.info("stopping: closing connections")
    finally:
        await runner.cleanup()


def listen_addresses(host: str) -> list[str]:
    """The addresses people can reach a server bound to `host` at."""
    if host not in ("0.0.0.0", "::", ""):
        return [host]
    import psutil

    found: list[str] = []
    for addrs in psutil.net_if_addrs().values():
        for addr in addrs:
            ip = addr.address.split("%")[0]
            try:
                parsed = ipaddress.ip_address(ip)
            except ValueError:
                continue
            if parsed.version == 4 or (host == "::" and not parsed.is_link_local):
                found.append(ip)
    found.sort(key=lambda ip: (ipaddress.ip_address(ip).is_loopback, ip))
    return found or ["127.0.0.1"]


def announce(config: ServerConfig, port: int) -> list[str]:
    scheme = "https" if config.tls else "http"
    urls = []
    url = config.resolved_database_url()
    where = url.split("///", 1)[1] if url.startswith("sqlite") else _hide_password(url)
    print(f"chinwag {__version__} is running (data: {where})", flush=True)
    for ip in listen_addresses(config.host):
        shown = f"[{ip}]" if ":" in ip else ip
        urls.append(f"{scheme}://{shown}:{port}/")
        print(f"  Browser:  {scheme}://{shown}:{port}/", flush=True)
        server = f"{'wss://' if config.tls else ''}{shown}:{port}"
        print(f"  Desktop:  chinwag desktop --server {server}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    return urls


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- admin -----------------------------------------------------------------------------------
def _configure_admin(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("admin", help="manage accounts from the shell")
    _add_store_options(p)
    asub = p.add_subparsers(dest="action", required=True)
    c = asub.add_parser("create-user", help="add an account")
    c.add_argument("username")
    c.add_argument("--admin", action="store_true", help="make it a server admin")
    c.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    c.set_defaults(func=_admin(_create_user))
    pr = asub.add_parser("promote", help="make a user a server admin")
    pr.add_argument("username")
    pr.add_argument("--demote", action="store_true", help="take admin rights away instead")
    pr.set_defaults(func=_admin(_promote))
    r = asub.add_parser("reset-password", help="set a new password and end all sessions")
    r.add_argument("username")
    r.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    r.set_defaults(func=_admin(_reset_password))
    ls = asub.add_parser("list-users", help="print every account")
    ls.set_defaults(func=_admin(_list_users))


AdminAction = Callable[[Any, argparse.Namespace], Coroutine[Any, Any, int]]


def _admin(action: AdminAction) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        config = ServerConfig.load(
            _flags(args, "data_dir", "database_url"), config_file=args.config
        )
        _setup_logging("WARNING")

        async def main() -> int:
            async with _admin_context(config) as ctx:
                return await action(ctx, args)

        return _run(main())

    return run


@contextlib.asynccontextmanager
async def _admin_context(config: ServerConfig) -> AsyncIterator[Any]:
    """The server's parts without a network: the same use cases, run from the shell."""
    from chinwag.bus.memory import MemoryBroker, MemoryBus
    from chinwag.core.validation import GENERAL
    from chinwag.server.app import make_hasher
    from chinwag.server.context import Context, now_ms
    from chinwag.server.hub import Hub
    from chinwag.server.metrics import Metrics
    from chinwag.server.notifier import Notifier
    from chinwag.store.sql import open_store

    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_store(config.resolved_database_url())
    bus = MemoryBus(MemoryBroker(), "admin")
    hasher = make_hasher(config)
    try:
        await store.ensure_room(GENERAL, "general", "public", now=now_ms())
        metrics = Metrics()
        hub = Hub(metrics, max_outgoing=config.max_outgoing, fetch_since=store.messages_since)
        yield Context(
            config=config,
            store=store,
            hub=hub,
            notifier=Notifier(hub, bus, store),
            hasher=hasher,
            metrics=metrics,
            node_id="admin",
        )
    finally:
        await bus.close()
        hasher.close()
        await store.close()


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ConfigError("the two passwords differ")
    return first


async def _create_user(ctx: Any, args: argparse.Namespace) -> int:
    from chinwag.server.accounts import create_account

    user = await create_account(ctx, args.username, _read_password(args), admin=args.admin)
    print(f"created {user.username}{' (admin)' if user.admin else ''}")
    return 0


async def _user_or_fail(ctx: Any, username: str) -> Any:
    user = await ctx.store.get_user(username)
    if user is None:
        raise ConfigError(f"no user {username!r}")
    return user


async def _promote(ctx: Any, args: argparse.Namespace) -> int:
    user = await _user_or_fail(ctx, args.username)
    user = await ctx.store.update_user(user.username, admin=not args.demote)
    print(f"{user.username} is {'now' if user.admin else 'no longer'} a server admin")
    return 0


async def _reset_password(ctx: Any, args: argparse.Namespace) -> int:
    from chinwag.core.validation import check_password

    user = await _user_or_fail(ctx, args.username)
    password = check_password(_read_password(args))
    await ctx.store.update_user(user.username, password_hash=await ctx.hasher.hash(password))
    await ctx.store.delete_sessions(user.username)
    print(f"new password set for {user.username}; their sessions have ended")
    return 0


async def _list_users(ctx: Any, args: argparse.Namespace) -> int:
    users = await ctx.store.list_users()
    print(f"{'username':<32} {'display name':<24} {'role':<6} status")
    for user in users:
        status = "banned" if user.banned else "active"
        role = "admin" if user.admin else "user"
        print(f"{user.username:<32} {user.display_name:<24} {role:<6} {status}")
    print(f"{len(users)} account(s)")
    return 0


# -- entry point -----------------------------------------------------------------------------
def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic announces each of its plugins at INFO on every start: keep only migrations.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, logging.root.level))


def _run(main: Coroutine[Any, Any, Any]) -> int:
    """Run on uvloop when it is installed, else on asyncio's own loop."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        pass
    with asyncio.Runner(loop_factory=factory) as runner:
        result = runner.run(main)
    return result if isinstance(result, int) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chinwag", description="self-hosted real-time chat")
    parser.add_argument("--version", action="version", version=f"chinwag {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _configure_serve(sub)
    _configure_admin(sub)
    __import__("chinwag.bench.command", fromlist=["configure"]).configure(sub)
    __import__("chinwag.desktop.command", fromlist=["configure"]).configure(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        print(f"chinwag: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from chinwag.core.errors import ChatError

        if isinstance(exc, ChatError):
            print(f"chinwag: {exc.message}", file=sys.stderr)
            return 1
        raise
    return code
