"""Who may do what: pure checks that raise ChatError with the reason."""

from __future__ import annotations

import math

from chinwag.core.errors import ChatError, forbidden
from chinwag.core.models import MemberRecord, RoomRecord, UserRecord
from chinwag.core.validation import GENERAL, canonical
from chinwag.protocol.errors import ErrorCode


def require_member(room_id: str, member: MemberRecord | None) -> MemberRecord:
    """Reading, posting and listing members of a room need membership."""
    if member is None:
        raise ChatError(ErrorCode.NOT_MEMBER, f"you are not in room {room_id!r}")
    return member


def require_send(now_ms: int, user: UserRecord, member: MemberRecord) -> None:
    until = max(user.muted_until, member.muted_until)
    if until > now_ms:
        seconds = (until - now_ms) / 1000
        raise ChatError(ErrorCode.MUTED, f"you are muted for {math.ceil(seconds)} more s", seconds)


def check_join(room: RoomRecord, *, banned: bool) -> None:
    if room.kind != "public":
        raise ChatError(ErrorCode.NOT_FOUND, f"no public room {room.id!r}")
    if banned:
        raise forbidden(f"you are banned from {room.name!r}")


def check_leave(room: RoomRecord) -> None:
    if room.id == GENERAL:
        raise forbidden("everyone stays in general")
    if room.kind == "dm":
        raise forbidden("a direct message cannot be left")


def check_invite(room: RoomRecord, inviter: MemberRecord | None, *, banned: bool) -> None:
    require_member(room.id, inviter)
    if room.kind == "dm":
        raise forbidden("a direct message holds exactly two people")
    if banned:
        raise forbidden("that user is banned from this room")


def is_room_moderator(actor: UserRecord, room: RoomRecord) -> bool:
    return actor.admin or (
        room.owner is not None and canonical(room.owner) == canonical(actor.username)
    )


def check_update_room(actor: UserRecord, room: RoomRecord) -> None:
    if room.kind == "dm" or not is_room_moderator(actor, room):
        raise forbidden("only the room's owner or an admin can change it")


def check_moderation(actor: UserRecord, target: UserRecord, room: RoomRecord | None) -> None:
    """Server-wide actions (`room` None) need an admin; room actions the owner or an
    admin. Nobody moderates themselves; only admins act on admins or on a room's owner."""
    if canonical(actor.username) == canonical(target.username):
        raise forbidden("you cannot moderate yourself")
    if room is None:
        if not actor.admin:
            raise forbidden("only server admins can do that")
    else:
        if room.kind == "dm":
            raise forbidden("direct messages have no moderators")
        if not is_room_moderator(actor, room):
            raise forbidden("only the room's owner or an admin can do that")
        if room.owner and canonical(room.owner) == canonical(target.username) and not actor.admin:
            raise forbidden("the room's owner cannot be moderated")
    if target.admin and not actor.admin:
        raise forbidden("admins can only be moderated by admins")


def check_edit_message(actor: UserRecord, sender: str) -> None:
    """Only the sender edits a message: moderators delete, they do not rewrite."""
    if canonical(sender) != canonical(actor.username):
        raise forbidden("only the sender can edit a message")


def check_delete_message(actor: UserRecord, room: RoomRecord, sender: str) -> None:
    """Senders delete their own messages; owners and admins delete any."""
    if canonical(sender) == canonical(actor.username):
        return
    if room.kind == "dm" or not is_room_moderator(actor, room):
        raise forbidden("only the sender, the room's owner or an admin can delete a message")
