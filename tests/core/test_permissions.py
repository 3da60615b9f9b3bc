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


NOW = 1_700_000_000_000
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


def moderate(
    actor: UserRecord,
    target: UserRecord,
    where: RoomRecord | None,
    *,
    member_of: bool = True,
    banned: bool = False,
) -> None:
    """`check_moderation` by an actor who is (`member_of`) a member of the room."""
    standing = member(actor.username, where.id) if where is not None and member_of else None
    permissions.check_moderation(actor, target, where, member=standing, banned=banned)


@pytest.mark.parametrize(("actor", "target", "where", "outcome"), MODERATION, ids=repr)
def test_moderation_matrix(
    actor: UserRecord, target: UserRecord, where: RoomRecord | None, outcome: ErrorCode | None
) -> None:
    assert code_of(lambda: moderate(actor, target, where)) == outcome


def test_moderation_refusals_say_why() -> None:
    def message(actor: UserRecord, target: UserRecord, where: RoomRecord | None) -> str:
        with pytest.raises(ChatError) as caught:
            moderate(actor, target, where)
        return caught.value.message

    assert "yourself" in message(ADMIN, ADMIN, None)
    assert "server admins" in message(ALICE, BOB, None)
    assert "direct messages" in message(ADMIN, BOB, DM)
    assert "owner or an admin" in message(ALICE, BOB, PUBLIC)
    assert "admins" in message(OWNER, ADMIN, PUBLIC)


@pytest.mark.parametrize("where", [PUBLIC, PRIVATE], ids=repr)
def test_an_owner_banned_from_the_room_or_out_of_it_moderates_nothing(where: RoomRecord) -> None:
    assert code_of(lambda: moderate(OWNER, BOB, where, banned=True)) == FORBIDDEN
    assert code_of(lambda: moderate(OWNER, BOB, where, member_of=False)) == FORBIDDEN
    assert code_of(lambda: moderate(OWNER, BOB, where, member_of=False, banned=True)) == (FORBIDDEN)
    with pytest.raises(ChatError, match="banned from"):
        moderate(OWNER, BOB, where, banned=True)
    with pytest.raises(ChatError, match="no longer in"):
        moderate(OWNER, BOB, where, member_of=False)
    # admins keep their powers: they act server-wide anyway
    assert code_of(lambda: moderate(ADMIN, BOB, where, member_of=False, banned=True)) is OK


def test_room_moderators() -> None:
    def moderates(
        actor: UserRecord, where: RoomRecord, *, in_it: bool = True, banned: bool = False
    ) -> bool:
        standing = member(actor.username, where.id) if in_it else None
        return permissions.is_room_moderator(actor, where, member=standing, banned=banned)

    assert moderates(OWNER, PUBLIC)
    assert moderates(user("olga"), PUBLIC)
    assert moderates(ADMIN, PUBLIC)
    assert moderates(ADMIN, GENERAL_ROOM)
    assert moderates(ADMIN, PUBLIC, in_it=False, banned=True)
    assert not moderates(OWNER, PUBLIC, banned=True)
    assert not moderates(OWNER, PUBLIC, in_it=False)
    assert not moderates(ALICE, PUBLIC)
    assert not moderates(ALICE, GENERAL_ROOM)
    assert not moderates(ALICE, DM)


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
    standing = member(actor.username, where.id)
    assert (
        code_of(
            lambda: permissions.check_update_room(NOW, actor, where, member=standing, banned=False)
        )
        == outcome
    )


@pytest.mark.parametrize("where", [PUBLIC, PRIVATE], ids=repr)
def test_an_owner_banned_from_the_room_or_out_of_it_cannot_change_it(where: RoomRecord) -> None:
    def change(*, in_it: bool, banned: bool) -> None:
        standing = member(OWNER.username, where.id) if in_it else None
        permissions.check_update_room(NOW, OWNER, where, member=standing, banned=banned)

    assert code_of(lambda: change(in_it=True, banned=True)) == FORBIDDEN
    assert code_of(lambda: change(in_it=False, banned=False)) == FORBIDDEN
    assert code_of(lambda: change(in_it=False, banned=True)) == FORBIDDEN
    assert code_of(lambda: change(in_it=True, banned=False)) is OK


@pytest.mark.parametrize(
    ("server_until", "room_until"), [(NOW + 60_000, 0), (0, NOW + 60_000), (NOW + 1, NOW + 1)]
)
@pytest.mark.parametrize("actor", [OWNER, ADMIN], ids=repr)
def test_a_muted_owner_or_admin_cannot_change_a_room(
    actor: UserRecord, server_until: int, room_until: int
) -> None:
    """A room's name and topic are shown to its members: speech, like a message."""
    muted = user(actor.username, admin=actor.admin, muted_until=server_until)
    standing = member(actor.username, PUBLIC.id, muted_until=room_until)
    with pytest.raises(ChatError) as caught:
        permissions.check_update_room(NOW, muted, PUBLIC, member=standing, banned=False)
    assert caught.value.code == ErrorCode.MUTED
    assert caught.value.retry_after is not None and caught.value.retry_after > 0
    assert caught.value.message.startswith("you are muted for ")
    # a mute that has run out does not count
    over = user(actor.username, admin=actor.admin, muted_until=NOW)
    ended = member(actor.username, PUBLIC.id, muted_until=NOW)
    permissions.check_update_room(NOW, over, PUBLIC, member=ended, banned=False)


def test_a_user_muted_server_wide_keeps_their_display_name_and_makes_no_public_room() -> None:
    muted = user("alice", muted_until=NOW + 5_000)
    for call in (
        lambda: permissions.check_display_name_change(NOW, muted),
        lambda: permissions.check_create_room(NOW, muted, private=False),
    ):
        assert code_of(call) == ErrorCode.MUTED
    permissions.check_create_room(NOW, muted, private=True)  # seen by its members only
    permissions.check_display_name_change(NOW, user("alice", muted_until=NOW))
    permissions.check_create_room(NOW, ALICE, private=False)


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
    standing = member(actor.username, where.id)
    assert (
        code_of(
            lambda: permissions.check_delete_message(
                actor, where, sender, member=standing, banned=False
            )
        )
        == outcome
    )


def test_an_owner_banned_from_the_room_deletes_only_their_own_messages() -> None:
    standing = member(OWNER.username)

    def delete(sender: str, *, banned: bool, in_it: bool = True) -> None:
        permissions.check_delete_message(
            OWNER, PUBLIC, sender, member=standing if in_it else None, banned=banned
        )

    assert code_of(lambda: delete("bob", banned=True)) == FORBIDDEN
    assert code_of(lambda: delete("bob", banned=False, in_it=False)) == FORBIDDEN
    assert code_of(lambda: delete("olga", banned=True)) is OK


def test_a_member_banned_from_the_room_invites_nobody() -> None:
    inviter = member("alice")
    assert (
        code_of(
            lambda: permissions.check_invite(PRIVATE, inviter, banned=False, inviter_banned=True)
        )
        == FORBIDDEN
    )


# -- muted senders ----------------------------------------------------------------------


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
    assert " 0 " not in caught.value.message  # rounded up, never "0 seconds"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.001, "1 second"),
        (40, "40 seconds"),
        (59.2, "1 minute"),
        (61, "2 minutes"),
        (3540, "59 minutes"),
        (3598, "1 hour"),
        (7200, "2 hours"),
        (86399, "1 day"),
        (3 * 86400, "3 days"),
    ],
)
def test_the_time_left_of_a_mute_is_said_in_words(seconds: float, words: str) -> None:
    until = NOW + int(seconds * 1000)
    with pytest.raises(ChatError) as caught:
        permissions.require_send(NOW, user("a", muted_until=until), member("a"))
    assert caught.value.message == f"you are muted for {words} more"
