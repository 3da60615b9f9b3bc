"""`chinwag admin ...`: accounts, mutes and bans from the shell, through the server's own
use cases (the `files` and data commands add theirs: `cli_files`, `cli_data`)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from chinwag.cli import add_store_options, flags, run_async, setup_logging
from chinwag.config import ConfigError, ServerConfig


def configure(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "admin", help="manage accounts, mutes, bans, files, backups and the schema from the shell"
    )
    add_store_options(p)
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
    for name, what, action in (
        ("list-mutes", "mutes", _list_mutes),
        ("list-bans", "bans", _list_bans),
    ):
        lm = asub.add_parser(name, help=f"print the {what} in force (server-wide, or in --room)")
        lm.add_argument("--room", help="a room's id (default: server-wide)")
        lm.set_defaults(func=_admin(action))
    for name, what, action in (
        ("unban", "a ban", _unban),
        ("unmute", "a mute", _unmute),
    ):
        lift = asub.add_parser(name, help=f"lift {what} (server-wide, or in --room)")
        lift.add_argument("username")
        lift.add_argument("--room", help="a room's id (default: server-wide)")
        lift.set_defaults(func=_admin(action))
    __import__("chinwag.cli_files", fromlist=["configure"]).configure(asub, _admin)
    __import__("chinwag.cli_data", fromlist=["configure"]).configure(asub)


AdminAction = Callable[[Any, argparse.Namespace], Coroutine[Any, Any, int]]


def _admin(action: AdminAction) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        config = ServerConfig.load(flags(args, "data_dir", "database_url"), config_file=args.config)
        setup_logging("WARNING")

        async def main() -> int:
            async with _admin_context(config) as ctx:
                return await action(ctx, args)

        return run_async(main())

    return run


@contextlib.asynccontextmanager
async def _admin_context(config: ServerConfig) -> AsyncIterator[Any]:
    """The server's parts without a network: the same use cases, run from the shell."""
    from chinwag.bus.memory import MemoryBroker, MemoryBus
    from chinwag.core.validation import GENERAL
    from chinwag.server.app import build_context, make_hasher
    from chinwag.server.context import now_ms
    from chinwag.store.sql import open_store

    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_store(config.resolved_database_url())
    bus = MemoryBus(MemoryBroker(), "admin")
    hasher = make_hasher(config)
    try:
        await store.ensure_room(GENERAL, "general", "public", now=now_ms())
        # What the commands change reaches running servers through the store's change
        # stream, which every server node reads.
        yield build_context(config, store, bus, hasher)
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


def _when(ms: int | None) -> str:
    import datetime

    if ms is None:
        return "-"
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


async def _print_sanctions(ctx: Any, args: argparse.Namespace, what: str) -> int:
    from chinwag.server.context import now_ms

    found = await ctx.store.sanctions(None, args.room, now=now_ms())
    records = found.mutes if what == "mute" else found.bans
    until = f" {'until':<20}" if what == "mute" else ""
    print(f"{'username':<24} {'display name':<24} {'by':<24} {'since':<20}{until} reason")
    for r in records:
        ends = f" {_when(r.until):<20}" if what == "mute" else ""
        by = r.by or "(command line)"
        print(f"{r.user:<24} {r.display_name:<24} {by:<24} {_when(r.since):<20}{ends} {r.reason}")
    where = f"in room {args.room}" if args.room else "server-wide"
    print(f"{len(records)} {what}(s) {where}")
    return 0


async def _list_mutes(ctx: Any, args: argparse.Namespace) -> int:
    return await _print_sanctions(ctx, args, "mute")


async def _list_bans(ctx: Any, args: argparse.Namespace) -> int:
    return await _print_sanctions(ctx, args, "ban")


async def _lift(ctx: Any, args: argparse.Namespace, action: str) -> int:
    """Lift a ban or a mute; lifting one that is not there fails (`no_change`). Running
    servers learn of it from the change stream (the muted user is told)."""
    from chinwag.server.context import now_ms

    user = await _user_or_fail(ctx, args.username)
    await ctx.store.moderate(None, action, user.username, room_id=args.room, now=now_ms())
    where = f"in room {args.room}" if args.room else "on the server"
    print(f"{user.username} is no longer {'banned' if action == 'unban' else 'muted'} {where}")
    return 0


async def _unban(ctx: Any, args: argparse.Namespace) -> int:
    return await _lift(ctx, args, "unban")


async def _unmute(ctx: Any, args: argparse.Namespace) -> int:
    return await _lift(ctx, args, "mute")
