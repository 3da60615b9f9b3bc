"""The composition root: `chinwag serve`, `chinwag admin ...` and the other commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import logging
import signal
import ssl
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from chinwag import __version__
from chinwag.config import ConfigError, ServerConfig

log = logging.getLogger("chinwag")


# -- serve -----------------------------------------------------------------------------------
def add_store_options(parser: argparse.ArgumentParser) -> None:
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
    add_store_options(p)
    p.add_argument("--bus-url", help="redis://host:6379/0 to run several server nodes")
    p.add_argument("--node-id", help="name of this node on the bus")
    p.add_argument(
        "--workers",
        help="server processes sharing the port: a number, or auto for one per core (1; "
        "more than one needs --bus-url)",
    )
    p.add_argument(
        "--change-poll",
        type=float,
        help="seconds between reads of the change stream when the bus is quiet (0.5)",
    )
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
    p.add_argument("--rate-limit", type=float, help="messages/s per user (5; 0: off)")
    p.add_argument("--rate-burst", type=int, help="messages allowed in a burst (10)")
    p.add_argument("--flood-limit", type=float, help="frames/s before disconnect (50; 0: off)")
    budgets = p.add_argument_group("budgets", "limits at the doors; 0 turns one off")
    budgets.add_argument(
        "--login-timeout", type=float, help="seconds to log in after connecting (30)"
    )
    budgets.add_argument(
        "--request-timeout", type=float, help="seconds to send a whole HTTP request head (10)"
    )
    budgets.add_argument(
        "--keepalive-timeout", type=float, help="seconds an idle HTTP connection stays open (30)"
    )
    budgets.add_argument("--max-per-address", type=int, help="connections per address (64)")
    budgets.add_argument(
        "--max-anonymous", type=int, help="connections not logged in, in all (1000)"
    )
    budgets.add_argument("--max-per-user", type=int, help="connections per user (16)")
    budgets.add_argument(
        "--registrations-per-hour", type=int, help="new accounts per address per hour (10)"
    )
    budgets.add_argument("--rooms-per-day", type=int, help="rooms one account creates a day (50)")
    budgets.add_argument(
        "--allowed-origins",
        help="web origins allowed to connect besides the server's own (comma-separated; *: any)",
    )
    p.add_argument(
        "--trusted-proxies",
        help="reverse proxies whose X-Forwarded-For gives the client's address "
        "(e.g. 127.0.0.1,10.0.0.0/8)",
    )
    p.add_argument(
        "--files-url",
        help="where files are kept: a directory, or s3://bucket/prefix (default: files/ in "
        "the data dir)",
    )
    p.add_argument("--files-endpoint", help="the S3 endpoint URL (default: AWS_ENDPOINT_URL)")
    p.add_argument(
        "--files-origin", help="serve file downloads only from this origin (https://files.host)"
    )
    p.add_argument("--max-upload", type=int, help="largest upload in bytes (25 MiB)")
    p.add_argument(
        "--mention-all-max",
        type=int,
        help="largest room where any member may notify everyone with @room (20; 0: owners)",
    )
    p.add_argument(
        "--max-reaction-kinds", type=int, help="different emoji one message may carry (20)"
    )
    p.add_argument("--max-pins", type=int, help="pinned messages per room (50)")
    p.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR")
    p.set_defaults(func=_serve)


def flags(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    return {name: getattr(args, name, None) for name in names}


SERVE_FLAGS = (
    "files_url",
    "files_endpoint",
    "files_origin",
    "max_upload",
    "host",
    "port",
    "data_dir",
    "database_url",
    "bus_url",
    "node_id",
    "workers",
    "change_poll",
    "tls_cert",
    "tls_key",
    "registration",
    "max_body",
    "rate_limit",
    "rate_burst",
    "flood_limit",
    "login_timeout",
    "request_timeout",
    "keepalive_timeout",
    "max_per_address",
    "max_anonymous",
    "max_per_user",
    "registrations_per_hour",
    "rooms_per_day",
    "mention_all_max",
    "max_reaction_kinds",
    "max_pins",
    "allowed_origins",
    "trusted_proxies",
    "log_level",
)


def _serve(args: argparse.Namespace) -> int:
    config = ServerConfig.load(flags(args, *SERVE_FLAGS), config_file=args.config)
    setup_logging(config.log_level)
    if config.worker_count > 1:
        from chinwag.server.workers import Supervisor

        return Supervisor(config, worker=_serve_worker, announce=announce).run()
    return run_async(serve(config))


def _serve_worker(config: ServerConfig, ready: Callable[[list[str]], None]) -> None:
    """One worker process of `chinwag serve --workers N`."""
    setup_logging(config.log_level)
    run_async(serve(config, ready=ready, worker=True))


async def serve(
    config: ServerConfig,
    *,
    ready: Callable[[list[str]], None] | None = None,
    worker: bool = False,
) -> None:
    """Run one server node until SIGINT or SIGTERM, then shut down gracefully. A
    `worker` shares its port with the other workers (SO_REUSEPORT) and leaves saying
    where the server runs to their supervisor."""
    from aiohttp import web

    from chinwag.server.app import create_app
    from chinwag.server.listener import GuardedRunner

    config.data_dir.mkdir(parents=True, exist_ok=True)
    ssl_context = None
    if config.tls_cert is not None and config.tls_key is not None:
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(config.tls_cert, config.tls_key)
    app = create_app(config)
    runner = GuardedRunner(
        app, handle_signals=False, access_log=None, shutdown_timeout=config.shutdown_grace
    )
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        site = web.TCPSite(
            runner, config.host, config.port, ssl_context=ssl_context, reuse_port=worker or None
        )
        await site.start()
        # What starting made (modules, tables, the emoji data) lives as long as the
        # process: out of the collector's way, its full collections, which stop the
        # loop, walk only what connections make.
        gc.collect()
        gc.freeze()
        ports = [addr[1] for addr in runner.addresses if isinstance(addr, tuple)]
        port = ports[0] if ports else config.port
        urls = [] if worker else announce(config, port)  # the supervisor announces
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


# -- entry point -----------------------------------------------------------------------------
def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic announces each of its plugins at INFO on every start: keep only migrations.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, logging.root.level))


def run_async(main: Coroutine[Any, Any, Any]) -> int:
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
    __import__("chinwag.cli_admin", fromlist=["configure"]).configure(sub)
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
        from chinwag.store.sql.migrate import SchemaTooNew

        if isinstance(exc, ChatError):
            print(f"chinwag: {exc.message}", file=sys.stderr)
            return 1
        if isinstance(exc, SchemaTooNew):  # from `serve` and every `admin` command
            print(f"chinwag: {exc}", file=sys.stderr)
            return exc.exit_code
        raise
    return code
