"""Mutes and bans as the store keeps them: who set each, when and why; the lists of those
in force; refused no-op lifts; and the `muted` entries of the change stream."""

from __future__ import annotations

import pytest

from chinwag.core.errors import ChatError
from chinwag.core.models import SanctionRecord
from chinwag.protocol.errors import ErrorCode
from chinwag.store.records import Actor, Moderation
from chinwag.store.sql import SqlStore
from tests.store.helpers import make_user

MINUTE = 60_000


@pytest.fixture
async def den(store: SqlStore) -> str:
    """`den`, owned by Olive, with bob and carol in it; admin is a server admin."""
    await make_user(store, "admin", admin=True)
    for name in ("olive", "bob", "carol", "eve"):
        await make_user(store, name)
    await store.ensure_room("general", "general", "public", now=1)
    for name in ("admin", "olive", "bob", "carol", "eve"):
        await store.add_member("general", name, role="member", now=1)
        await store.create_session(f"token-{name}", name, now=1)
    made = await store.open_room(me("olive"), "den", "Den", "public", topic="", now=2)
    assert made.room is not None
    for name in ("bob", "carol"):
        await store.join_room(me(name), made.room.id, now=3)
    return made.room.id


def me(name: str) -> Actor:
    return Actor(name, f"token-{name}")


def brief(records: list[SanctionRecord]) -> list[tuple[str, str | None, str, int | None]]:
    return [(r.user, r.by, r.reason, r.until) for r in records]


async def test_who_set_a_mute_or_ban_when_and_why(store: SqlStore, den: str) -> None:
    await store.moderate(me("olive"), "mute", "bob", room_id=den, reason="calm", seconds=60, now=10)
    await store.moderate(me("olive"), "ban", "eve", room_id=den, reason="spam", now=11)
    await store.moderate(me("olive"), "mute", "carol", room_id=den, seconds=120, now=12)
    found = await store.sanctions(me("olive"), den, now=13)
    assert found.room == den
    assert found.mutes == [
        SanctionRecord(
            room=den,
            user="carol",
            display_name="Carol",
            by="olive",
            by_display_name="Olive",
            reason="",
            since=12,
            until=12 + 2 * MINUTE,
        ),
        SanctionRecord(
            room=den,
            user="bob",
            display_name="Bob",
            by="olive",
            by_display_name="Olive",
            reason="calm",
            since=10,
            until=10 + MINUTE,
        ),
    ]
    assert [(b.user, b.by, b.reason, b.since, b.until) for b in found.bans] == [
        ("eve", "olive", "spam", 11, None)
    ]
    # Expired mutes are left out; the command line (no actor) reads the same lists.
    later = await store.sanctions(None, den, now=10 + MINUTE)
    assert brief(later.mutes) == [("carol", "olive", "", 12 + 2 * MINUTE)]


async def test_server_wide_mutes_and_bans(store: SqlStore, den: str) -> None:
    await store.moderate(me("admin"), "mute", "bob", room_id=None, reason="r", seconds=60, now=10)
    await store.moderate(me("admin"), "ban", "eve", room_id=None, reason="spam", now=11)
    found = await store.sanctions(me("admin"), None, now=12)
    assert found.room is None
    assert brief(found.mutes) == [("bob", "admin", "r", 10 + MINUTE)]
    assert [(b.user, b.by, b.since, b.until) for b in found.bans] == [("eve", "admin", 11, None)]
    assert (await store.mutes_of("bob", now=12))[0].room is None
    await store.moderate(me("admin"), "unban", "eve", room_id=None, now=13)
    await store.moderate(me("admin"), "mute", "bob", room_id=None, seconds=0, now=14)
    assert await store.sanctions(None, None, now=15) == type(found)(None, [], [])


async def test_only_moderators_read_the_lists(store: SqlStore, den: str) -> None:
    for actor, room, code in [
        (me("bob"), den, ErrorCode.FORBIDDEN),
        (me("olive"), None, ErrorCode.FORBIDDEN),
        (me("bob"), None, ErrorCode.FORBIDDEN),
        (me("olive"), "nowhere", ErrorCode.NOT_FOUND),
        (None, "nowhere", ErrorCode.NOT_FOUND),
    ]:
        with pytest.raises(ChatError) as caught:
            await store.sanctions(actor, room, now=10)
        assert caught.value.code == code
    assert (await store.sanctions(me("admin"), den, now=10)).mutes == []
    # An owner who left their room lists it no more.
    await store.leave_room(me("olive"), den, now=11)
    with pytest.raises(ChatError) as caught:
        await store.sanctions(me("olive"), den, now=12)
    assert caught.value.code == ErrorCode.FORBIDDEN


async def test_a_mute_parked_on_leaving_is_listed_lifted_and_restored(
    store: SqlStore, den: str
) -> None:
    await store.moderate(me("olive"), "mute", "bob", room_id=den, reason="r", seconds=60, now=10)
    await store.leave_room(me("bob"), den, now=11)
    assert brief((await store.sanctions(me("olive"), den, now=12)).mutes) == [
        ("bob", "olive", "r", 10 + MINUTE)
    ]
    assert await store.mutes_of("bob", now=12) == []  # in no room of his now
    await store.join_room(me("bob"), den, now=13)
    (back,) = await store.mutes_of("bob", now=14)
    assert (back.room, back.by, back.reason, back.since) == (den, "olive", "r", 10)
    # Lifted while he is out of the room: nothing comes back.
    await store.leave_room(me("bob"), den, now=15)
    await store.moderate(me("olive"), "mute", "bob", room_id=den, seconds=0, now=16)
    await store.join_room(me("bob"), den, now=17)
    assert await store.mutes_of("bob", now=18) == []


async def test_lifting_what_is_not_there_changes_nothing(store: SqlStore, den: str) -> None:
    # A mute elsewhere, or one that ran out, is not a mute here.
    await store.moderate(me("admin"), "mute", "bob", room_id="general", seconds=60, now=5)
    for where in (None, den):
        await store.moderate(me("admin"), "mute", "bob", room_id=where, seconds=1, now=6)
    refusals: list[tuple[Moderation, str | None, str]] = [
        ("unban", None, "Bob is not banned on this server"),
        ("unban", den, "Bob is not banned in this room"),
        ("mute", None, "Bob is not muted on this server"),
        ("mute", den, "Bob is not muted in this room"),
    ]
    head = await store.stream_head()
    last = (await store.history_before("general", None, 1))[-1].seq
    for action, where, message in refusals:
        with pytest.raises(ChatError) as caught:
            await store.moderate(me("admin"), action, "bob", room_id=where, seconds=0, now=2000)
        assert (caught.value.code, caught.value.message) == (ErrorCode.NO_CHANGE, message)
    assert await store.stream_head() == head
    assert (await store.history_before("general", None, 1))[-1].seq == last
    assert (await store.history_before(den, None, 1))[-1].body == "admin muted bob for 1 s"


async def test_a_mute_set_or_lifted_is_a_change_for_every_node(store: SqlStore, den: str) -> None:
    head = await store.stream_head()
    await store.moderate(me("olive"), "mute", "bob", room_id=den, seconds=60, now=10)
    await store.moderate(me("olive"), "mute", "bob", room_id=den, seconds=0, now=11)
    await store.moderate(me("admin"), "mute", "carol", room_id=None, seconds=60, now=12)
    muted = [
        (c.user, c.room, c.how, c.actor)
        for c in await store.stream_since(head, 100)
        if c.kind == "muted"
    ]
    assert muted == [
        ("bob", den, "muted", "olive"),
        ("bob", den, "unmuted", "olive"),
        ("carol", None, "muted", "admin"),
    ]


async def test_the_command_line_lifts_bans_and_mutes_only(store: SqlStore, den: str) -> None:
    await store.moderate(me("olive"), "ban", "eve", room_id=den, now=10)
    await store.moderate(me("admin"), "mute", "bob", room_id=None, seconds=60, now=10)
    lifted = await store.moderate(None, "unban", "eve", room_id=den, now=11)
    assert [m.body for m in lifted.messages] == ["eve was unbanned by the server's operator"]
    assert lifted.messages[0].sender == "eve"
    lifted = await store.moderate(None, "mute", "bob", room_id=None, seconds=0, now=12)
    assert [m.body for m in lifted.messages] == ["bob was unmuted by the server's operator"]
    assert [(c.kind, c.actor) for c in lifted.changes if c.kind == "muted"] == [("muted", None)]
    refused: list[tuple[Moderation, int]] = [("ban", 0), ("kick", 0), ("mute", 60)]
    for action, seconds in refused:
        with pytest.raises(ChatError) as caught:
            await store.moderate(None, action, "bob", room_id=None, seconds=seconds, now=13)
        assert caught.value.code == ErrorCode.FORBIDDEN
