"""Domain records and the public views the protocol shows of them."""

from __future__ import annotations

import msgspec

from chinwag.core.errors import ChatError, forbidden, invalid, not_found
from chinwag.core.models import MemberRecord, RoomRecord, UserRecord
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.types import Member, Room, User


def test_the_public_user_holds_no_secret() -> None:
    record = UserRecord(
        username="Ada",
        display_name="Ada L.",
        color="#1d9bf0",
        password_hash="$argon2id$...",
        admin=True,
        banned=True,
        ban_reason="spam",
        muted_until=123,
    )
    public = record.public(online=True)
    assert public == User(
        username="Ada", display_name="Ada L.", color="#1d9bf0", admin=True, online=True
    )
    encoded = msgspec.json.encode(public)
    for secret in (b"argon2", b"banned", b"spam", b"muted", b"password"):
        assert secret not in encoded
    assert record.public().online is False


def test_the_public_room() -> None:
    record = RoomRecord(
        id="dm:ada:bob",
        name="Ada, bob",
        kind="dm",
        last_seq=7,
        member_count=2,
        created_ts=5,
        dm_users=["Ada", "bob"],
    )
    public = record.public(member=True)
    assert public == Room(
        id="dm:ada:bob",
        name="Ada, bob",
        kind="dm",
        topic="",
        owner=None,
        member=True,
        member_count=2,
        last_seq=7,
        members=["Ada", "bob"],
        created_ts=5,
    )
    public.members.append("eve")  # a copy: the record is untouched
    assert record.dm_users == ["Ada", "bob"]
    assert (
        RoomRecord(id="lan", name="LAN", kind="public", owner="Ada").public(member=False).members
        == []
    )


def test_the_public_member_holds_no_mute() -> None:
    record = MemberRecord(room="lan", user="Ada", role="owner", muted_until=99, joined_ts=1)
    assert record.public() == Member(user="Ada", role="owner")


def test_chat_errors_carry_their_code() -> None:
    assert invalid("x").code == ErrorCode.INVALID
    assert forbidden("x").code == ErrorCode.FORBIDDEN
    assert not_found("x").code == ErrorCode.NOT_FOUND
    error = ChatError(ErrorCode.RATE_LIMITED, "slow down", 1.5)
    assert (error.message, error.retry_after, str(error)) == ("slow down", 1.5, "slow down")
    assert repr(error) == "ChatError('rate_limited', 'slow down')"
