"""The files part of a node's life: its file store and intake, opened at start-up and
closed at clean-up, and the sweep that removes files nobody can reach any more.

The sweep removes uploads whose messages were all deleted, uploads never attached to a
message within `unattached_hours`, then the bytes no upload refers to. Every node runs
it; each run is one transaction, so two nodes sweeping at once remove each file once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator

from aiohttp import web

from chinwag.config import ServerConfig
from chinwag.files import images
from chinwag.files.intake import Intake, remove_blobs
from chinwag.files.storage import open_file_store
from chinwag.server.context import now_ms
from chinwag.server.files import FILES, Files
from chinwag.store.uploads import Swept, Uploads

log = logging.getLogger(__name__)

#: An unreferenced blob is kept this long after its last upload, so that a sweep never
#: removes bytes an upload in progress is about to refer to again.
BLOB_GRACE_MS = 3_600_000


def open_files(config: ServerConfig, uploads: Uploads) -> Files:
    store = open_file_store(config.files_url, config.data_dir, endpoint=config.files_endpoint)
    tmp = config.data_dir / "uploads-tmp"
    shutil.rmtree(tmp, ignore_errors=True)  # what a node that stopped mid-upload left
    intake = Intake(
        uploads,
        store,
        tmp,
        workers=config.image_workers,
        limits=images.Limits(config.max_image_pixels, config.max_image_side),
        keep_originals=config.keep_originals,
    )
    return Files(config=config, store=store, intake=intake)


async def sweep(files: Files, uploads: Uploads, *, now: int) -> Swept:
    """One sweep (see the module's docstring)."""
    hours = files.config.unattached_hours
    swept = await uploads.sweep_files(
        unattached_before=now - int(hours * 3_600_000), unused_before=now - BLOB_GRACE_MS
    )
    await remove_blobs(files.store, swept.blobs)
    if swept.files or swept.blobs:
        log.info("sweep: %d files and %d blobs removed", swept.files, len(swept.blobs))
    return swept


async def _sweeping(files: Files, uploads: Uploads) -> None:
    while True:
        await asyncio.sleep(files.config.files_sweep_interval)
        try:
            await sweep(files, uploads, now=now_ms())
        except Exception:  # a database or store hiccup: the next sweep tries again
            log.exception("the sweep of files failed")


async def lifecycle(
    config: ServerConfig, uploads: Uploads, app: web.Application
) -> AsyncIterator[None]:
    files = open_files(config, uploads)
    app[FILES] = files
    task = asyncio.create_task(_sweeping(files, uploads), name="chinwag-files-sweep")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        files.intake.close()
        await files.store.close()
