"""Who may do what: pure checks that raise ChatError with the reason."""

from __future__ import annotations

from chinwag.core import notices
from chinwag.core.errors import ChatError, forbidden
from chinwag.core.models import MemberRecord, RoomRecord, UserRecord
from chinwag.core.validation import GENERAL, canonical
from chinwag.protocol.errors import ErrorCode


def require_member(room_id: str, member: MemberRecord | None) -> MemberRecord:
    """Reading, posting and listing members of a room need membership."""
    if member is None:
        raise ChatError(ErrorCode.NOT_MEMBER, f"you are not in room {room_id!r}")
    return member


def require_unmuted(
    now_ms: int, user: UserRecord, member: MemberRecord | None = None, *, doing: str = ""
) -> None:
    """Refuse a muted user (server-wide, or in the room of `member`) what speaks to
    others: a message, but also a room's name or topic, or a display name."""
    until = max(user.muted_until, member.muted_until if member is not None else 0)
    if until > now_ms:
        seconds = (until - now_ms) / 1000
        why = f": {doing}" if doing else ""
        raise ChatError(
            ErrorCode.MUTED, f"you are muted for {notices.time_left(seconds)} more{why}", seconds
        )


def require_send(now_ms: int, user: UserRecord, member: MemberRecord) -> None:
    require_unmuted(now_ms, user, member)


def check_create_room(now_ms: int, user: UserRecord, *, private: bool) -> None:
    """A public room's name is listed to everyone: not while muted server-wide."""
    if not private:
        require_unmuted(now_ms, user, doing="a public room's name is shown to everyone")


def check_display_name_change(now_ms: int, user: UserRecord) -> None:
    require_unmuted(now_ms, user, doing="your display name is shown to everyone")


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


def check_invite(
    room: RoomRecord,
    inviter: MemberRecord | None,
    *,
    banned: bool,
    inviter_banned: bool = False,
) -> None:
    """A member adds someone (`banned`: the invitee is banned from the room); not a
    member banned from the room (`inviter_banned`)."""
    require_member(room.id, inviter)
    if inviter_banned:
        raise forbidden(f"you are banned from {room.name}")
    if room.kind == "dm":
        raise forbidden("a direct message holds exactly two people")
    if banned:
        raise forbidden("that user is banned from this room")


def is_room_moderator(
    actor: UserRecord, room: RoomRecord, *, member: MemberRecord | None, banned: bool
) -> bool:
    """Admins, and the room's owner while a member of it and not banned from it:
    `member` and `banned` are the actor's membership of the room and room ban."""
    return actor.admin or (_owns(actor, room) and member is not None and not banned)


def _owns(actor: UserRecord, room: RoomRecord) -> bool:
    return room.owner is not None and canonical(room.owner) == canonical(actor.username)


def _require_room_powers(
    actor: UserRecord, room: RoomRecord, member: MemberRecord | None, banned: bool, what: str
) -> None:
    if is_room_moderator(actor, room, member=member, banned=banned):
        return
    if _owns(actor, room) and banned:
        raise forbidden(f"you are banned from {room.name}: you can no longer manage it")
    if _owns(actor, room):
        raise forbidden(f"you are no longer in {room.name}: only its members manage it")
    raise forbidden(f"only the room's owner or an admin can {what}")


def check_update_room(
    now_ms: int,
    actor: UserRecord,
    room: RoomRecord,
    *,
    member: MemberRecord | None,
    banned: bool,
) -> None:
    """Rename a room or set its topic: its owner (a member, not banned from it) or an
    admin; not while muted there or server-wide, since both are shown to its members."""
    if room.kind == "dm":
        raise forbidden("a direct message cannot be changed")
    _require_room_powers(actor, room, member, banned, "change it")
    require_unmuted(now_ms, actor, member, doing="a room's name and topic speak to its members")


#: Why a muted user cannot manage a room: every action is announced to its members.
MANAGING = "managing a room speaks to its members"


def check_moderation(
    actor: UserRecord,
    target: UserRecord,
    room: RoomRecord | None,
    *,
    member: MemberRecord | None = None,
    banned: bool = False,
    now_ms: int | None = None,
) -> None:
    """Server-wide actions (`room` None) need an admin; room actions the owner (a
    member of the room, not banned from it: `member` and `banned` are the actor's) or an
    admin, neither muted there or server-wide at `now_ms` (when given). Nobody
    moderates themselves; only admins act on admins or on a room's owner."""
    if canonical(actor.username) == canonical(target.username):
        raise forbidden("you cannot moderate yourself")
    if room is None:
        if not actor.admin:
            raise forbidden("only server admins can do that")
    else:
        if room.kind == "dm":
            raise forbidden("direct messages have no moderators")
        _require_room_powers(actor, room, member, banned, "do that")
        if now_ms is not None:
            require_unmuted(now_ms, actor, member, doing=MANAGING)
        if room.owner and canonical(room.owner) == canonical(target.username) and not actor.admin:
            raise forbidden("the room's owner cannot be moderated")
    if target.admin and not actor.admin:
        raise forbidden("admins can only be moderated by admins")


def check_edit_message(actor: UserRecord, sender: str) -> None:
    """Only the sender edits a message: moderators delete, they do not rewrite."""
    if canonical(sender) != canonical(actor.username):
        raise forbidden("only the sender can edit a message")


def check_delete_message(
    actor: UserRecord,
    room: RoomRecord,
    sender: str,
    *,
    member: MemberRecord | None,
    banned: bool,
    now_ms: int | None = None,
) -> None:
    """Senders delete their own messages; owners (members, not banned) and admins any,
    but not while muted there or server-wide at `now_ms` (when given)."""
    if canonical(sender) == canonical(actor.username):
        return
    if room.kind == "dm":
        raise forbidden("only the sender can delete a direct message")
    _require_room_powers(actor, room, member, banned, "delete someone else's message")
    if now_ms is not None:
        require_unmuted(now_ms, actor, member, doing=MANAGING)


def check_pin(
    actor: UserRecord,
    room: RoomRecord,
    *,
    member: MemberRecord | None,
    banned: bool,
    now_ms: int | None = None,
) -> None:
    """Pinning and unpinning: in a DM both members; elsewhere the room's owner (a
    member, not banned from it) and admins; nobody while muted there or server-wide at
    `now_ms` (when given), since a pin is announced to the room."""
    if room.kind == "dm":
        require_member(room.id, member)
    else:
        _require_room_powers(actor, room, member, banned, "pin messages")
    if now_ms is not None:
        require_unmuted(now_ms, actor, member, doing=MANAGING)
