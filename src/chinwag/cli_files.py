"""`chinwag admin files`: usage per account, one account's files, deleting a file, and
running the sweep now. The file store is the server's (`files_url`, from the config
file or CHINWAG_FILES_URL)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chinwag.files.intake import remove_blobs
from chinwag.files.storage import open_file_store
from chinwag.server.context import Context, now_ms

if TYPE_CHECKING:
    from chinwag.cli_admin import AdminAction


def configure(
    asub: argparse._SubParsersAction[argparse.ArgumentParser],
    admin: Callable[[AdminAction], Callable[[argparse.Namespace], int]],
) -> None:
    f = asub.add_parser(
        "files", help="uploads: usage per user (default), --user's files, --delete, --sweep"
    )
    what = f.add_mutually_exclusive_group()
    what.add_argument("--user", help="list this account's files, newest first")
    what.add_argument("--delete", metavar="FILE_ID", help="delete a file (and its bytes)")
    what.add_argument("--sweep", action="store_true", help="run the sweep of files now")
    f.set_defaults(func=admin(_files))


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n} B"  # unreachable


async def _files(ctx: Context, args: argparse.Namespace) -> int:
    config = ctx.config
    now = now_ms()
    if args.user:
        found = await ctx.store.files_of(args.user)
        for record in found:
            when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(record.ts / 1000))
            state = "sent" if record.attached else "unsent"
            print(
                f"{record.id}  {_size(record.blob.size):>9}  {when} UTC  {state:6}  "
                f"{record.blob.content_type:24}  {record.name}"
            )
        print(f"{len(found)} files")
        return 0
    if args.delete or args.sweep:
        store = open_file_store(config.files_url, config.data_dir, endpoint=config.files_endpoint)
        try:
            if args.delete:
                swept = await ctx.store.delete_file(args.delete, now=now)
                if swept is None:
                    print(f"chinwag: no file {args.delete!r}")
                    return 1
                await remove_blobs(store, swept.blobs)
                freed = sum(b.stored for b in swept.blobs)
                print(f"deleted {args.delete} ({_size(freed)} freed)")
            else:
                from chinwag.server.housekeeping import BLOB_GRACE_MS

                swept = await ctx.store.sweep_files(
                    unattached_before=now - int(config.unattached_hours * 3_600_000),
                    unused_before=now - BLOB_GRACE_MS,
                )
                await remove_blobs(store, swept.blobs)
                print(f"swept {swept.files} files and {len(swept.blobs)} blobs")
        finally:
            await store.close()
        return 0
    usage = await ctx.store.files_usage(now=now)
    print(f"{'user':24} {'files':>7} {'total':>10} {'last day':>10}")
    for row in usage:
        print(f"{row.username:24} {row.files:>7} {_size(row.bytes):>10} {_size(row.day_bytes):>10}")
    total = sum(row.bytes for row in usage)
    print(f"{len(usage)} users, {_size(total)} uploaded (quota {_size(config.upload_quota)} a day)")
    return 0
