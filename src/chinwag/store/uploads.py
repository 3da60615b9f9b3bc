"""The store's part of files: uploads, the blobs they share, and who may read them.

The bytes live in a file store (`chinwag.files.storage`); the database holds what is
known of them and decides, in one query, who may read a file, and in the transaction of
an upload, whether it fits the uploader's daily quota and the server-wide cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chinwag.protocol.types import Attachment

#: Sizes (pixels a side, at most) of the thumbnails made of an image: the `thumbnail`,
#: and the `preview`, made only of an image larger than the thumbnail.
THUMBNAIL = 320
PREVIEW = 1280


class UploadRefused(Exception):
    """An upload the database refuses to record (over a limit)."""


class QuotaExceeded(UploadRefused):
    """The upload would take the uploader over their daily quota."""

    def __init__(self, used: int, quota: int, retry_after: float) -> None:
        super().__init__(f"daily upload quota reached: {used} of {quota} bytes used")
        self.used = used
        self.quota = quota
        #: Seconds until the oldest upload of the last day stops counting.
        self.retry_after = retry_after


class StorageFull(UploadRefused):
    """The upload's new bytes would take the server over its cap."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"the server's file storage is full ({cap} bytes)")
        self.cap = cap


@dataclass(frozen=True, slots=True)
class Blob:
    """What is known of some bytes: their SHA-256, size, sniffed type, and for images
    the displayed width and height and whether a preview (1280 px) was made."""

    sha256: str
    size: int
    content_type: str
    width: int | None = None
    height: int | None = None
    preview: bool = False
    #: Bytes the blob and its thumbnails take in the file store.
    stored: int = 0


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One upload: `name` is what the uploader called it (metadata, never a path)."""

    id: str
    owner: str
    name: str
    ts: int
    attached: bool
    blob: Blob


@dataclass(frozen=True, slots=True)
class FileUsage:
    """What one account has uploaded: files and bytes, all told and in the last day."""

    username: str
    files: int
    bytes: int
    day_bytes: int


@dataclass(frozen=True, slots=True)
class Swept:
    """What a sweep removed: uploads, and the blobs no upload refers to any more (whose
    objects the caller deletes from the file store)."""

    files: int
    blobs: list[Blob]


def attachment(record: FileRecord) -> Attachment:
    """What a message says of a file it carries."""
    blob = record.blob
    image = blob.width is not None
    return Attachment(
        id=record.id,
        name=record.name,
        size=blob.size,
        content_type=blob.content_type,
        width=blob.width,
        height=blob.height,
        thumbnail=f"{record.id}.t{THUMBNAIL}" if image else None,
        preview=f"{record.id}.t{PREVIEW}" if image and blob.preview else None,
    )


class Uploads(Protocol):
    async def add_file(
        self,
        actor_username: str,
        session: str | None,
        file_id: str,
        name: str,
        blob: Blob,
        *,
        daily_quota: int,
        cap: int,
        now: int,
    ) -> tuple[FileRecord, bool]:
        """Record an upload of `blob` by the actor (live session, not banned: else
        `SessionEnded`, `Banned`), if it fits their daily quota (the sizes of their
        uploads of the last 24 hours; `QuotaExceeded`) and, when the blob is new, the
        server-wide cap (`StorageFull`); 0 is no limit. Returns the record and whether
        the blob is new (its bytes must then be put in the file store)."""
        ...

    async def upload_usage(self, username: str, *, since: int) -> int:
        """Bytes `username` uploaded at or after `since`."""
        ...

    async def readable_file(self, file_id: str, username: str) -> FileRecord | None:
        """The file, if `username` uploaded it or is a member of a room where a message
        carrying it was posted (and not deleted); else None. One query."""
        ...

    async def files_usage(self, *, now: int) -> list[FileUsage]:
        """Uploads per account, by username."""
        ...

    async def files_of(self, username: str, *, limit: int = 1000) -> list[FileRecord]:
        """An account's uploads, newest first."""
        ...

    async def delete_file(self, file_id: str, *, now: int) -> Swept | None:
        """Delete an upload (messages that carried it then name a file that answers
        404), and its blob if no other upload has the same bytes; None if absent."""
        ...

    async def sweep_files(self, *, unattached_before: int, unused_before: int) -> Swept:
        """Delete uploads that messages carried but no message carries any more (they
        were deleted), and those never attached, uploaded before `unattached_before`;
        then the blobs no upload refers to, last uploaded before `unused_before`."""
        ...
