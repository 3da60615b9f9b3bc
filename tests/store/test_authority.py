"""Writes on someone's behalf are decided in the transaction that acts: the session, the
ban, membership, mutes and roles are read there, not taken from a node's memory."""

from __future__ import annotations

import pytest

from chinwag.core.errors import ChatError
from chinwag.protocol.errors import ErrorCode
from chinwag.store.records import Actor, Banned, Muted, NotMember, SessionEnded
from chinwag.store.sql import SqlStore
from tests.store.helpers import make_user


@pytest.fixture
async def room(store: SqlStore) -> str:
    await make_user(store, "admin", admin=True)
    await make_user(store, "Alice")
    await make_user(store, "bob")
    await store.ensure_room("general", "General", "public", now=1)
    for name in ("admin", "alice", "bob"):
        await store.add_member("general", name, role="member", now=1)
        await store.create_session(f"token-{name.lower()}", name, now=1)
    return "general"


def me(name: str) -> Actor:
    return Actor(name, f"token-{name.lower()}")


async def test_a_member_with_a_live_session_posts(store: SqlStore, room: str) -> None:
    posted = await store.post(me("alice"), room, "hi", client_msg_id="c1", now=10)
    assert posted.created and posted.message.sender == "Alice"
    again = await store.post(me("alice"), room, "hi", client_msg_id="c1", now=11)
    assert (again.message, again.created) == (posted.message, False)


async def test_a_post_on_an_ended_session_is_refused(store: SqlStore, room: str) -> None:
    await store.delete_sessions("alice")
    with pytest.raises(SessionEnded):
        await store.post(me("alice"), room, "still here?", client_msg_id="c1", now=10)
    with pytest.raises(SessionEnded):  # someone else's token is no session of alice's
        await store.post(Actor("alice", "token-bob"), room, "x", client_msg_id="c2", now=10)
    assert await store.history_before(room, None, 10) == []


async def test_a_banned_account_cannot_post_even_on_a_live_session(
    store: SqlStore, room: str
) -> None:
    """The ban is read by the send's own transaction: a node that missed it still
    refuses the message."""
    await store.update_user("alice", banned=True, ban_reason="spam")
    with pytest.raises(Banned):
        await store.post(me("alice"), room, "x", client_msg_id="c1", now=10)
    with pytest.raises(Banned) as caught:
        await store.create_session("token-new", "alice", now=10)
    assert caught.value.reason == "spam"
    assert await store.history_before(room, None, 10) == []


async def test_membership_and_mutes_are_checked_where_the_message_is_stored(
    store: SqlStore, room: str
) -> None:
    await store.ensure_room("other", "Other", "public", now=1)
    with pytest.raises(NotMember):
        await store.post(me("alice"), "other", "x", client_msg_id="c1", now=10)
    await store.set_member_muted(room, "alice", 100)
    with pytest.raises(Muted):
        await store.post(me("alice"), room, "x", client_msg_id="c1", now=50)


async def test_a_post_knows_the_change_stream_position_it_followed(
    store: SqlStore, room: str
) -> None:
    first = await store.post(me("alice"), room, "one", client_msg_id="c1", now=10)
    kicked = await store.moderate(me("admin"), "kick", "bob", room_id=None, now=11)
    later = await store.post(me("alice"), room, "two", client_msg_id="c2", now=12)
    assert first.changes_at < kicked.changes[-1].pos <= later.changes_at


async def test_only_the_sender_edits_and_not_while_muted(store: SqlStore, room: str) -> None:
    posted = await store.post(me("alice"), room, "helo", client_msg_id="c1", now=10)
    seq = posted.message.seq
    with pytest.raises(ChatError) as caught:
        await store.edit_message(room, seq, "hacked", now=11, actor=me("bob"))
    assert caught.value.code == ErrorCode.FORBIDDEN
    await store.set_member_muted(room, "alice", 100)
    with pytest.raises(ChatError) as caught:
        await store.edit_message(room, seq, "hello", now=50, actor=me("alice"))
    assert caught.value.code == ErrorCode.MUTED
    edited = await store.edit_message(room, seq, "hello", now=200, actor=me("alice"))
    assert edited is not None and edited.body == "hello" and edited.edited_ts == 200
    same = await store.edit_message(room, seq, "hello", now=300, actor=me("alice"))
    assert same == edited  # the same body changes nothing
    await store.remove_member(room, "alice")
    with pytest.raises(NotMember):
        await store.edit_message(room, seq, "gone", now=400, actor=me("alice"))


async def test_deleting_needs_the_sender_or_a_moderator(store: SqlStore, room: str) -> None:
    posted = await store.post(me("alice"), room, "oops", client_msg_id="c1", now=10)
    seq = posted.message.seq
    with pytest.raises(ChatError) as caught:
        await store.delete_message(room, seq, actor=me("bob"))
    assert caught.value.code == ErrorCode.FORBIDDEN
    assert await store.delete_message(room, seq, actor=me("admin"))
    assert await store.delete_message(room, 999, actor=me("alice")) is False


async def test_joining_inviting_and_moderating_check_the_stored_state(
    store: SqlStore, room: str
) -> None:
    made = await store.open_room(me("bob"), "plans", "Plans", "private", topic="", now=2)
    assert made.room is not None and made.room.owner == "bob"
    plans = made.room.id
    with pytest.raises(ChatError) as caught:  # a private room is not disclosed
        await store.join_room(me("alice"), plans, now=3)
    assert caught.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(ChatError) as caught:  # only members invite
        await store.invite(me("alice"), plans, "admin", now=3)
    assert caught.value.code == ErrorCode.NOT_FOUND
    await store.invite(me("bob"), plans, "alice", now=3)
    with pytest.raises(ChatError) as caught:  # alice is no moderator there
        await store.moderate(me("alice"), "kick", "bob", room_id=plans, now=4)
    assert caught.value.code == ErrorCode.FORBIDDEN
    banned = await store.moderate(me("bob"), "ban", "alice", room_id=plans, now=5)
    assert [(c.kind, c.how) for c in banned.changes] == [("left", "banned")]
    with pytest.raises(ChatError) as caught:
        await store.invite(me("bob"), plans, "alice", now=6)
    assert caught.value.code == ErrorCode.FORBIDDEN
    # a session that ended cannot act at all
    await store.delete_sessions("bob")
    with pytest.raises(SessionEnded):
        await store.moderate(me("bob"), "unban", "alice", room_id=plans, now=7)


async def test_an_owner_removed_from_the_room_no_longer_changes_it(
    store: SqlStore, room: str
) -> None:
    await store.open_room(me("bob"), "plans", "Plans", "public", topic="", now=2)
    await store.moderate(me("admin"), "ban", "bob", room_id="plans", now=3)
    with pytest.raises(ChatError) as caught:
        await store.change_room(me("bob"), "plans", name="Mine", topic=None, now=4)
    assert caught.value.code == ErrorCode.FORBIDDEN
    changed = await store.change_room(me("admin"), "plans", name="Ours", topic=None, now=5)
    assert changed.room is not None and changed.room.name == "Ours"


async def test_an_owner_banned_from_the_room_can_do_nothing_to_it(
    store: SqlStore, room: str
) -> None:
    made = await store.open_room(me("bob"), "plans", "Plans", "public", topic="t", now=2)
    assert made.room is not None
    plans = made.room.id
    await store.join_room(me("alice"), plans, now=3)
    said = await store.post(me("alice"), plans, "hello", client_msg_id="c1", now=4)
    await store.moderate(me("admin"), "ban", "bob", room_id=plans, reason="abuse", now=5)
    attempts = {
        "rename": lambda: store.change_room(me("bob"), plans, name="Mine", topic=None, now=6),
        "topic": lambda: store.change_room(me("bob"), plans, name=None, topic="mine", now=6),
        "kick": lambda: store.moderate(me("bob"), "kick", "alice", room_id=plans, now=6),
        "ban": lambda: store.moderate(me("bob"), "ban", "alice", room_id=plans, now=6),
        "mute": lambda: store.moderate(
            me("bob"), "mute", "alice", room_id=plans, seconds=60, now=6
        ),
        "unban": lambda: store.moderate(me("bob"), "unban", "admin", room_id=plans, now=6),
        "invite": lambda: store.invite(me("bob"), plans, "admin", now=6),
        "delete": lambda: store.delete_message(plans, said.message.seq, actor=me("bob")),
    }
    for what, attempt in attempts.items():
        with pytest.raises((ChatError, NotMember)) as caught:
            await attempt()
        if isinstance(caught.value, ChatError):
            assert caught.value.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_MEMBER), what
    after = await store.get_room(plans)
    assert after is not None and (after.name, after.topic) == ("Plans", "t")
    assert [m.user for m in await store.list_members(plans)] == ["Alice"]
    kept = await store.get_message(plans, said.message.seq)
    assert kept is not None and not kept.deleted


async def test_a_ban_refuses_an_owner_even_while_still_a_member(store: SqlStore, room: str) -> None:
    """The ban itself is read, not only the membership it usually takes away."""
    made = await store.open_room(me("bob"), "plans", "Plans", "public", topic="", now=2)
    assert made.room is not None
    plans = made.room.id
    await store.join_room(me("alice"), plans, now=3)
    said = await store.post(me("alice"), plans, "hello", client_msg_id="c1", now=4)
    await store.set_room_ban(plans, "bob", banned=True, reason="x", now=5)
    assert await store.get_member(plans, "bob") is not None
    attempts = {
        "rename": lambda: store.change_room(me("bob"), plans, name="Mine", topic=None, now=6),
        "kick": lambda: store.moderate(me("bob"), "kick", "alice", room_id=plans, now=6),
        "mute": lambda: store.moderate(me("bob"), "mute", "alice", room_id=plans, seconds=9, now=6),
        "invite": lambda: store.invite(me("bob"), plans, "admin", now=6),
        "delete": lambda: store.delete_message(plans, said.message.seq, actor=me("bob")),
    }
    for what, attempt in attempts.items():
        with pytest.raises(ChatError) as caught:
            await attempt()
        assert caught.value.code == ErrorCode.FORBIDDEN, what
        assert "banned" in caught.value.message, what


async def test_a_muted_user_changes_no_room_name_or_topic(store: SqlStore, room: str) -> None:
    made = await store.open_room(me("bob"), "plans", "Plans", "public", topic="", now=2)
    assert made.room is not None
    plans = made.room.id
    await store.update_user("bob", muted_until=100)  # server-wide
    for name, topic in (("Loud", None), (None, "buy now")):
        with pytest.raises(ChatError) as caught:
            await store.change_room(me("bob"), plans, name=name, topic=topic, now=50)
        assert caught.value.code == ErrorCode.MUTED
        assert caught.value.retry_after == pytest.approx(0.05)
    await store.update_user("bob", muted_until=0)
    await store.set_member_muted(plans, "bob", 200)  # in the room
    with pytest.raises(ChatError) as caught:
        await store.change_room(me("bob"), plans, name="Loud", topic=None, now=150)
    assert caught.value.code == ErrorCode.MUTED
    changed = await store.change_room(me("bob"), plans, name="Quiet", topic=None, now=200)
    assert changed.room is not None and changed.room.name == "Quiet"
    # admins too: a room's name and topic are speech
    await store.update_user("admin", muted_until=100)
    with pytest.raises(ChatError) as caught:
        await store.change_room(me("admin"), room, name=None, topic="news", now=50)
    assert caught.value.code == ErrorCode.MUTED
    after = await store.get_room(room)
    assert after is not None and after.topic == ""


async def test_a_user_muted_server_wide_opens_no_public_room(store: SqlStore, room: str) -> None:
    await store.update_user("bob", muted_until=100)
    with pytest.raises(ChatError) as caught:
        await store.open_room(me("bob"), "ads", "Cheap pills", "public", topic="", now=50)
    assert caught.value.code == ErrorCode.MUTED
    assert [r.id for r in await store.public_rooms()] == [room]
    private = await store.open_room(me("bob"), "notes", "Notes", "private", topic="", now=50)
    assert private.room is not None and private.room.kind == "private"


async def test_server_bans_and_kicks_end_sessions_in_their_transaction(
    store: SqlStore, room: str
) -> None:
    banned = await store.moderate(me("admin"), "ban", "bob", room_id=None, reason="x", now=5)
    assert [(c.kind, c.how) for c in banned.changes] == [("user", ""), ("ended", "banned")]
    assert [m.body for m in banned.messages] == ["admin banned bob: x"]
    assert await store.session_user("token-bob", now=6, max_idle=10**9) is None
    state = await store.session_state("token-alice", "alice")
    assert state is not None and state.live and state.rooms == [room]
    kicked = await store.moderate(me("admin"), "kick", "alice", room_id=None, now=7)
    assert [(c.kind, c.how) for c in kicked.changes] == [("ended", "kicked")]
    state = await store.session_state("token-alice", "alice")
    assert state is not None and not state.live


async def test_a_password_change_ends_every_other_session(store: SqlStore, room: str) -> None:
    await store.create_session("token-alice-2", "alice", now=1)
    acted = await store.change_password(me("alice"), "new-hash")
    [ended] = acted.changes
    assert (ended.kind, ended.how, ended.keep) == ("ended", "revoked", "token-alice")
    assert await store.session_user("token-alice-2", now=2, max_idle=10**9) is None
    assert await store.session_user("token-alice", now=2, max_idle=10**9) is not None
