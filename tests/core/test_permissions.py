"""Who may do what: moderation, room changes, joining, leaving, inviting, deleting, sending."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chinwag.core import permissions
from chinwag.core.errors import ChatError
from chinwag.core.models import MemberRecord, RoomRecord, UserRecord
from chinwag.core.validation import GENERAL
from chinwag.protocol.errors import ErrorCode


def user(name: str, *, admin: bool = False, muted_until: int = 0) -> UserRecord:
    return UserRecord(
        username=name, display_name=name, color="#1d9bf0", password_hash="x", admin=admin,
        muted_until=muted_until,
    )  # fmt: skip


def room(kind: str = "public", owner: str | None = "Olga", room_id: str = "lan") -> RoomRecord:
    return RoomRecord(id=room_id, name=room_id.title(), kind=kind, owner=owner)  # type: ignore[arg-type]


def member(name: str, room_id: str = "lan", muted_until: int = 0) -> MemberRecord:
    return MemberRecord(room=room_id, user=name, muted_until=muted_until)


ADMIN = user("Root", admin=True)
OTHER_ADMIN = user("Sudo", admin=True)
OWNER = user("Olga")
ALICE = user("alice")
BOB = user("bob")

PUBLIC = room("public")
PRIVATE = room("private")
DM = room("dm", owner=None, room_id="dm:alice:bob")
GENERAL_ROOM = room("public", owner=None, room_id=GENERAL)


def code_of(call: Callable[[], object]) -> ErrorCode | None:
    """The error code `call` raises, or None if it passes."""
    try:
        call()
    except ChatError as exc:
        return exc.code
    return None


FORBIDDEN = ErrorCode.FORBIDDEN
OK = None

# -- moderation -------------------------------------------------------------------------

MODERATION = [
    # actor, target, room, outcome
    # nobody moderates themselves, whatever their powers
    (ALICE, ALICE, None, FORBIDDEN),
    (ADMIN, ADMIN, None, FORBIDDEN),
    (ADMIN, user("ROOT", admin=True), None, FORBIDDEN),  # same account, other case
    (OWNER, OWNER, PUBLIC, FORBIDDEN),
    (ADMIN, ADMIN, PUBLIC, FORBIDDEN),
    # server-wide: admins only; admins may act on admins
    (ALICE, BOB, None, FORBIDDEN),
    (OWNER, BOB, None, FORBIDDEN),
    (ADMIN, BOB, None, OK),
    (ADMIN, OWNER, None, OK),
    (ADMIN, OTHER_ADMIN, None, OK),
    (ALICE, ADMIN, None, FORBIDDEN),
    # in a room: its owner (in any letter case) or an admin
    (OWNER, BOB, PUBLIC, OK),
    (OWNER, BOB, PRIVATE, OK),
    (user("OLGA"), BOB, PUBLIC, OK),
    (ADMIN, BOB, PUBLIC, OK),
    (ADMIN, BOB, PRIVATE, OK),
    (ALICE, BOB, PUBLIC, FORBIDDEN),
    (ALICE, BOB, PRIVATE, FORBIDDEN),
    # the owner is moderated by admins only; admins by admins only
    (ALICE, OWNER, PUBLIC, FORBIDDEN),
    (ADMIN, OWNER, PUBLIC, OK),
    (OWNER, ADMIN, PUBLIC, FORBIDDEN),
    (OTHER_ADMIN, ADMIN, PUBLIC, OK),
    # an admin who owns the room is moderated by admins only
    (user("bob"), user("Olga", admin=True), PUBLIC, FORBIDDEN),
    # direct messages have no moderators, not even admins
    (ALICE, BOB, DM, FORBIDDEN),
    (ADMIN, BOB, DM, FORBIDDEN),
    # general has no owner: admins only
    (ALICE, BOB, GENERAL_ROOM, FORBIDDEN),
    (ADMIN, BOB, GENERAL_ROOM, OK),
]


@pytest.mark.parametrize(("actor", "target", "where", "outcome"), MODERATION, ids=repr)
def test_moderation_matrix(
    actor: UserRecord, target: UserRecord, where: RoomRecord | None, outcome: ErrorCode | None
) -> None:
    assert code_of(lambda: permissions.check_moderation(actor, target, where)) == outcome


def test_moderation_refusals_say_why() -> None:
    def message(actor: UserRecord, target: UserRecord, where: RoomRecord | None) -> str:
        with pytest.raises(ChatError) as caught:
            permissions.check_moderation(actor, target, where)
        return caught.value.message

    assert "yourself" in message(ADMIN, ADMIN, None)
    assert "server admins" in message(ALICE, BOB, None)
    assert "direct messages" in message(ADMIN, BOB, DM)
    assert "owner or an admin" in message(ALICE, BOB, PUBLIC)
    assert "admins" in message(OWNER, ADMIN, PUBLIC)


def test_room_moderators() -> None:
    assert permissions.is_room_moderator(OWNER, PUBLIC)
    assert permissions.is_room_moderator(user("olga"), PUBLIC)
    assert permissions.is_room_moderator(ADMIN, PUBLIC)
    assert permissions.is_room_moderator(ADMIN, GENERAL_ROOM)
    assert not permissions.is_room_moderator(ALICE, PUBLIC)
    assert not permissions.is_room_moderator(ALICE, GENERAL_ROOM)
    assert not permissions.is_room_moderator(ALICE, DM)


@pytest.mark.parametrize(
    ("actor", "where", "outcome"),
    [
        (OWNER, PUBLIC, OK),
        (OWNER, PRIVATE, OK),
        (ADMIN, PUBLIC, OK),
        (ADMIN, GENERAL_ROOM, OK),
        (ALICE, PUBLIC, FORBIDDEN),
        (ALICE, GENERAL_ROOM, FORBIDDEN),
        (ALICE, DM, FORBIDDEN),
        (ADMIN, DM, FORBIDDEN),
    ],
    ids=repr,
)
def test_who_may_change_a_room(
    actor: UserRecord, where: RoomRecord, outcome: ErrorCode | None
) -> None:
    assert code_of(lambda: permissions.check_update_room(actor, where)) == outcome


# -- joining, leaving, inviting ---------------------------------------------------------


def test_join() -> None:
    assert code_of(lambda: permissions.check_join(PUBLIC, banned=False)) is OK
    assert code_of(lambda: permissions.check_join(GENERAL_ROOM, banned=False)) is OK
    assert code_of(lambda: permissions.check_join(PUBLIC, banned=True)) == FORBIDDEN
    # private rooms and DMs are joined by invitation only, and are not disclosed
    assert code_of(lambda: permissions.check_join(PRIVATE, banned=False)) == ErrorCode.NOT_FOUND
    assert code_of(lambda: permissions.check_join(DM, banned=False)) == ErrorCode.NOT_FOUND
    assert code_of(lambda: permissions.check_join(PRIVATE, banned=True)) == ErrorCode.NOT_FOUND


def test_leave() -> None:
    assert code_of(lambda: permissions.check_leave(PUBLIC)) is OK
    assert code_of(lambda: permissions.check_leave(PRIVATE)) is OK
    assert code_of(lambda: permissions.check_leave(GENERAL_ROOM)) == FORBIDDEN
    assert code_of(lambda: permissions.check_leave(DM)) == FORBIDDEN


def test_invite() -> None:
    inviter = member("alice")
    assert code_of(lambda: permissions.check_invite(PRIVATE, inviter, banned=False)) is OK
    assert code_of(lambda: permissions.check_invite(PUBLIC, inviter, banned=False)) is OK
    # only members invite, before anything else is said about the room
    assert code_of(lambda: permissions.check_invite(PRIVATE, None, banned=False)) == (
        ErrorCode.NOT_MEMBER
    )
    assert code_of(lambda: permissions.check_invite(DM, None, banned=True)) == ErrorCode.NOT_MEMBER
    assert code_of(lambda: permissions.check_invite(DM, inviter, banned=False)) == FORBIDDEN
    assert code_of(lambda: permissions.check_invite(PRIVATE, inviter, banned=True)) == FORBIDDEN


def test_require_member() -> None:
    record = member("alice")
    assert permissions.require_member("lan", record) is record
    with pytest.raises(ChatError) as caught:
        permissions.require_member("lan", None)
    assert caught.value.code == ErrorCode.NOT_MEMBER
    assert "'lan'" in caught.value.message


# -- deleting messages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "where", "sender", "outcome"),
    [
        (ALICE, PUBLIC, "alice", OK),
        (ALICE, PUBLIC, "ALICE", OK),  # senders match in any case
        (ALICE, DM, "alice", OK),
        (ALICE, GENERAL_ROOM, "alice", OK),
        (ALICE, PUBLIC, "bob", FORBIDDEN),
        (OWNER, PUBLIC, "bob", OK),
        (OWNER, PRIVATE, "bob", OK),
        (ADMIN, PUBLIC, "bob", OK),
        (ADMIN, GENERAL_ROOM, "bob", OK),
        (ALICE, GENERAL_ROOM, "bob", FORBIDDEN),
        (BOB, DM, "alice", FORBIDDEN),
        (ADMIN, DM, "alice", FORBIDDEN),  # nobody moderates DMs
    ],
    ids=repr,
)
def test_delete_own_or_as_moderator(
    actor: UserRecord, where: RoomRecord, sender: str, outcome: ErrorCode | None
) -> None:
    assert code_of(lambda: permissions.check_delete_message(actor, where, sender)) == outcome


# -- muted senders ----------------------------------------------------------------------

NOW = 1_700_000_000_000


def test_not_muted_may_send() -> None:
    permissions.require_send(NOW, ALICE, member("alice"))
    permissions.require_send(NOW, user("a", muted_until=NOW), member("a", muted_until=NOW - 1))


@pytest.mark.parametrize(
    ("server_until", "room_until", "retry_after"),
    [
        (NOW + 60_000, 0, 60.0),
        (0, NOW + 1_500, 1.5),
        (NOW + 10_000, NOW + 20_000, 20.0),  # the later of the two mutes
        (NOW + 20_000, NOW + 10_000, 20.0),
        (NOW + 1, 0, 0.001),
    ],
)
def test_muted_senders_are_told_how_long(
    server_until: int, room_until: int, retry_after: float
) -> None:
    with pytest.raises(ChatError) as caught:
        permissions.require_send(
            NOW, user("a", muted_until=server_until), member("a", muted_until=room_until)
        )
    assert caught.value.code == ErrorCode.MUTED
    assert caught.value.retry_after == pytest.approx(retry_after)
    assert caught.value.message.startswith("you are muted for ")
    assert " 0 more s" not in caught.value.message  # rounded up, never "0 s"
