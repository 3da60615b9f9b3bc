"""Reactions, pins and threads in the store, on every backend: decided in the
transaction that acts, each change of a message its room's next change, exact under
concurrency."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from chinwag.core.conversations import said_to_all
from chinwag.core.errors import ChatError
from chinwag.store.conversations import Reference, Refused
from chinwag.store.records import Actor, NotMember
from chinwag.store.sql import SqlStore
from tests.store.helpers import make_user

ROOM = "general"
THUMBS = "\U0001f44d"
HEART = "\u2764\ufe0f"


@pytest.fixture
async def people(store: SqlStore) -> list[str]:
    names = [f"user{i}" for i in range(12)]
    await store.ensure_room(ROOM, "General", "public", now=1)
    for name in names:
        await make_user(store, name)
        await store.add_member(ROOM, name, role="member", now=1)
    return names


async def say(store: SqlStore, who: str, body: str, ref: Reference | None = None) -> int:
    posted = await store.post(
        Actor(who), ROOM, body, client_msg_id=f"{who}-{body}", now=5, ref=ref or Reference()
    )
    return posted.message.seq


async def react(store: SqlStore, who: str, seq: int, emoji: str, *, add: bool = True) -> object:
    return await store.react(Actor(who), ROOM, seq, emoji, add=add, now=10, max_kinds=3)


async def test_concurrent_reactions_are_all_counted_once(
    store: SqlStore, people: list[str]
) -> None:
    seq = await say(store, people[0], "vote")
    before = (await store.get_room(ROOM)).last_change  # type: ignore[union-attr]
    await asyncio.gather(*(react(store, who, seq, THUMBS) for who in people))
    # Retried, each of them: nothing more is counted.
    retries = await asyncio.gather(
        *(react(store, who, seq, THUMBS) for who in people), return_exceptions=True
    )
    assert all(isinstance(r, Refused) and r.code == "no_change" for r in retries)
    message = await store.get_message(ROOM, seq)
    assert message is not None and message.reactions
    (thumbs,) = message.reactions
    assert thumbs.emoji == THUMBS
    assert thumbs.count == len(people) == len(thumbs.users)
    assert sorted(thumbs.users) == sorted(people)
    # Each reaction was one change of the room, and the message is at the last one.
    room = await store.get_room(ROOM)
    assert room is not None and room.last_change == before + len(people)
    changed, mark = await store.changes_since(ROOM, seq, before, 100)
    assert [m.seq for m in changed] == [seq] and mark == room.last_change


async def test_order_removal_and_the_budget_of_emoji(store: SqlStore, people: list[str]) -> None:
    a, b, c = people[:3]
    seq = await say(store, a, "pick")
    await react(store, b, seq, HEART)
    await react(store, a, seq, THUMBS)
    await react(store, c, seq, HEART)
    message = await react(store, a, seq, HEART)
    assert [(r.emoji, r.users) for r in message.reactions] == [  # type: ignore[attr-defined]
        (HEART, [b, c, a]),
        (THUMBS, [a]),
    ]
    await react(store, c, seq, "\U0001f389")
    with pytest.raises(Refused) as refused:
        await react(store, c, seq, "\U0001f680")  # a fourth kind, over max_kinds=3
    assert refused.value.code == "invalid" and "at most 3" in refused.value.message
    await react(store, c, seq, THUMBS)  # a kind already there is fine
    message = await react(store, a, seq, THUMBS, add=False)
    # The emoji come in the order of the oldest reaction each has now: c's thumbs came
    # after the party popper.
    assert [(r.emoji, r.users) for r in message.reactions] == [  # type: ignore[attr-defined]
        (HEART, [b, c, a]),
        ("\U0001f389", [c]),
        (THUMBS, [c]),
    ]
    with pytest.raises(Refused) as refused:
        await react(store, a, seq, THUMBS, add=False)
    assert refused.value.code == "no_change"
    for who in (b, c, a):
        message = await react(store, who, seq, HEART, add=False)
    assert [r.emoji for r in message.reactions] == ["\U0001f389", THUMBS]  # type: ignore[attr-defined]


async def test_who_may_react_to_what(store: SqlStore, people: list[str]) -> None:
    await make_user(store, "stranger")
    seq = await say(store, people[0], "hello")
    with pytest.raises(NotMember):
        await react(store, "stranger", seq, THUMBS)
    with pytest.raises(Refused) as refused:
        await react(store, people[1], 999, THUMBS)
    assert refused.value.code == "not_found"
    await react(store, people[1], seq, THUMBS)
    await store.delete_message(ROOM, seq)
    deleted = await store.get_message(ROOM, seq)
    assert deleted is not None and deleted.reactions is msgspec.UNSET  # they went with it
    with pytest.raises(Refused) as refused:
        await react(store, people[1], seq, THUMBS)
    assert refused.value.code == "invalid"
    await store.set_member_muted(ROOM, people[2], 10**15)
    other = await say(store, people[0], "again")
    with pytest.raises(ChatError) as muted:
        await react(store, people[2], other, THUMBS)
    assert muted.value.code == "muted"


async def test_pins_by_the_owner_newest_first_within_the_budget(store: SqlStore) -> None:
    owner = await make_user(store, "owner")
    await make_user(store, "guest")
    opened = await store.open_room(Actor("owner"), "club", "Club", "public", topic="", now=1)
    room = opened.room
    assert room is not None and owner.username == room.owner
    await store.add_member(room.id, "guest", role="member", now=1)
    seqs = [
        (
            await store.post(Actor("guest"), room.id, f"m{i}", client_msg_id=f"m{i}", now=2)
        ).message.seq
        for i in range(3)
    ]

    async def pin(seq: int, *, on: bool = True, who: str = "owner", now: int = 3) -> object:
        return await store.pin(Actor(who), room.id, seq, pin=on, now=now, max_pins=2)

    with pytest.raises(ChatError) as refused:
        await pin(seqs[0], who="guest")
    assert refused.value.code == "forbidden"
    done = await pin(seqs[0], now=10)
    assert done.message.pinned.by == "owner"  # type: ignore[attr-defined]
    (said,) = done.acted.messages  # type: ignore[attr-defined]
    assert (said.kind, said.body) == ("system", "owner pinned a message")
    await pin(seqs[1], now=11)
    with pytest.raises(Refused) as over:
        await pin(seqs[2], now=12)
    assert over.value.code == "invalid" and "at most 2" in over.value.message
    with pytest.raises(Refused) as again:
        await pin(seqs[1], now=13)
    assert again.value.code == "no_change"
    assert [m.seq for m in await store.pins(room.id)] == [seqs[1], seqs[0]]
    await pin(seqs[0], on=False)
    with pytest.raises(Refused) as again:
        await pin(seqs[0], on=False)
    assert again.value.code == "no_change"
    assert [m.seq for m in await store.pins(room.id)] == [seqs[1]]


async def test_both_members_of_a_dm_pin(store: SqlStore) -> None:
    await make_user(store, "ada")
    await make_user(store, "bob")
    opened = await store.open_direct(Actor("ada"), "bob", now=1)
    room = opened.room
    assert room is not None
    seq = (await store.post(Actor("ada"), room.id, "hi", client_msg_id="h", now=2)).message.seq
    await store.pin(Actor("bob"), room.id, seq, pin=True, now=3, max_pins=5)
    await store.pin(Actor("ada"), room.id, seq, pin=False, now=4, max_pins=5)


async def test_thread_summaries_listing_and_read_markers(
    store: SqlStore, people: list[str]
) -> None:
    a, b, c = people[:3]
    root = await say(store, a, "plan")
    other = await say(store, b, "unrelated")
    first = await store.post(
        Actor(b), ROOM, "one", client_msg_id="t1", now=6, ref=Reference(thread=root)
    )
    assert first.message.thread == root
    (updated,) = first.updated
    summary = updated.thread_summary
    assert (summary.replies, summary.last_seq, summary.participants) == (  # type: ignore[union-attr]
        1,
        first.message.seq,
        [b],
    )
    second = await store.post(
        Actor(c),
        ROOM,
        "two",
        client_msg_id="t2",
        now=7,
        ref=Reference(thread=root, in_room=True, reply_to=first.message.seq),
    )
    assert second.message.in_room is True
    assert second.message.reply_to.seq == first.message.seq  # type: ignore[union-attr]
    await store.post(Actor(b), ROOM, "three", client_msg_id="t3", now=8, ref=Reference(thread=root))
    head, replies = await store.thread(ROOM, root, None, 50)
    assert [m.body for m in replies] == ["one", "two", "three"]
    assert head.thread_summary.replies == 3  # type: ignore[union-attr]
    assert head.thread_summary.participants == [b, c]  # type: ignore[union-attr]
    _, older = await store.thread(ROOM, root, replies[-1].seq, 1)
    assert [m.body for m in older] == ["two"]
    # A second thread, newer: listed first.
    await store.post(Actor(a), ROOM, "re", client_msg_id="t4", now=9, ref=Reference(thread=other))
    listed = await store.threads(ROOM, a, 10)
    assert [t.root.seq for t in listed] == [other, root]
    assert [t.read for t in listed] == [0, 0]
    assert await store.mark_thread_read(ROOM, a, root, replies[1].seq) == replies[1].seq
    assert await store.mark_thread_read(ROOM, a, root, replies[0].seq) is None  # never back
    assert await store.mark_thread_read(ROOM, a, root, 10**9) == replies[2].seq  # clamped
    listed = await store.threads(ROOM, a, 10)
    assert [t.read for t in listed] == [0, replies[2].seq]
    # Wrong roots: a thread reply, a message that does not exist.
    for bad, code in ((replies[0].seq, "invalid"), (999, "not_found")):
        with pytest.raises(Refused) as refused:
            await store.thread(ROOM, bad, None, 10)
        assert refused.value.code == code
    with pytest.raises(Refused) as refused:
        await store.post(
            Actor(a), ROOM, "x", client_msg_id="t5", now=9, ref=Reference(thread=replies[0].seq)
        )
    assert refused.value.code == "invalid"
    with pytest.raises(Refused) as refused:  # quoting a message outside the thread
        await store.post(
            Actor(a),
            ROOM,
            "x",
            client_msg_id="t6",
            now=9,
            ref=Reference(thread=root, reply_to=other),
        )
    assert refused.value.code == "invalid"


async def test_mentions_of_everyone_by_room_size_and_role(
    store: SqlStore, people: list[str]
) -> None:
    async def mention(who: str, body: str, limit: int) -> object:
        posted = await store.post(
            Actor(who),
            ROOM,
            body,
            client_msg_id=body,
            now=5,
            ref=Reference(mention=said_to_all(body), mention_max=limit),
        )
        stored = await store.get_message(ROOM, posted.message.seq)
        assert stored is not None and stored.mentions_all == posted.message.mentions_all
        return posted.message.mentions_all

    members = len(people)
    assert await mention(people[1], "@room lunch", members) == "room"
    assert await mention(people[1], "lunch @HERE", members) == "here"
    assert await mention(people[1], "@here lunch 2", members - 1) is msgspec.UNSET
    assert await mention(people[1], "@here lunch 3", 0) is msgspec.UNSET
    admin = await make_user(store, "boss", admin=True)
    await store.add_member(ROOM, admin.username, role="member", now=1)
    assert await mention("boss", "@room everyone", 0) == "room"
    assert await mention(people[1], "no mention", members) is msgspec.UNSET
