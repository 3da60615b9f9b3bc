"""Conversations in the client library: the operations against a real server, what a
reconnecting client learns by `sync`, and how the view-model applies it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from chinwag.client import RequestError
from chinwag.client.events import MessagesLoaded, Status, ThreadsLoaded
from chinwag.client.state import ChatState
from chinwag.protocol.events import (
    MessageDeleted,
    MessageEdited,
    MessageEvent,
    MessageUpdated,
    ReadMarker,
)
from chinwag.protocol.types import PinRef, Reaction, ThreadInfo, ThreadSummary
from tests.client.conftest import RestartableServer
from tests.client.test_connection import second_attempt
from tests.client.test_state import logged_in, msg
from tests.server.conftest import RunningServer
from tests.server.support import login, register

Make = Callable[..., Any]
PASSWORD = "correct horse"
THUMBS = "\U0001f44d"


def updated(seq: int) -> Callable[[Any], bool]:
    return lambda e: isinstance(e, MessageUpdated) and e.message.seq == seq


async def test_every_operation_of_conversations(server: RunningServer, clients: Make) -> None:
    ada, ada_events = await clients(server.url)
    await ada.register("ada", PASSWORD)
    bob, bob_events = await clients(server.url)
    await bob.register("bob", PASSWORD)
    root = await ada.send("general", "who brings the cake?")
    quoted = await bob.send("general", "me", reply_to=root.seq)
    assert quoted.reply_to.seq == root.seq  # type: ignore[union-attr]
    reply = await bob.send("general", "chocolate?", thread=root.seq)
    also = await ada.send("general", "yes!", thread=root.seq, in_room=True, reply_to=reply.seq)
    assert (also.thread, also.in_room) == (root.seq, True)
    summary = (await bob_events.wait_for(updated(root.seq))).message.thread_summary
    assert isinstance(summary, ThreadSummary)

    reacted = await bob.react("general", root.seq, THUMBS)
    assert reacted.reactions == [Reaction(emoji=THUMBS, count=1, users=["bob"])]
    seen = await ada_events.wait_for(
        lambda e: updated(root.seq)(e) and not isinstance(e.message.reactions, msgspec.UnsetType)
    )
    assert seen.message == reacted
    with pytest.raises(RequestError) as refused:
        await bob.react("general", root.seq, THUMBS)
    assert refused.value.code == "no_change"
    await bob.react("general", root.seq, THUMBS, add=False)

    pinned = await ada.pin("general", root.seq)  # ada is an admin
    assert isinstance(pinned.pinned, PinRef)
    assert [m.seq for m in await bob.pins("general")] == [root.seq]
    await ada.unpin("general", root.seq)
    assert await bob.pins("general") == []

    page = await bob.thread("general", root.seq)
    assert [m.body for m in page.messages] == ["chocolate?", "yes!"]
    assert page.root.thread_summary.replies == 2  # type: ignore[union-attr]
    (info,) = await bob.threads("general")
    assert (info.root.seq, info.read) == (root.seq, 0)
    assert any(isinstance(e, ThreadsLoaded) for e in bob_events.events)
    await bob.mark_read("general", also.seq, thread=root.seq)
    marker = await bob_events.wait_for(lambda e: isinstance(e, ReadMarker) and e.thread is not None)
    assert (marker.seq, marker.thread) == (also.seq, root.seq)
    assert (await bob.threads("general"))[0].read == also.seq

    around = await ada.history("general", around=reply.seq, limit=3)
    assert [m.seq for m in around.messages] == [reply.seq - 1, reply.seq, reply.seq + 1]
    assert around.more and around.more_after  # the pin's and unpin's notices came after
    found = await ada.search("", has_file=True)
    assert found.messages == []
    with_words = await ada.search("cake")
    assert [m.seq for m in with_words.messages] == [root.seq]


async def test_a_reconnecting_client_replays_reactions_pins_and_summaries(
    restartable: RestartableServer, clients: Make
) -> None:
    ada, events = await clients(
        restartable.address,
        backoff_base=60.0,
        backoff_cap=60.0,
        backoff_early_cap=60.0,
        rng=lambda: 1.0,
    )
    await ada.register("ada", PASSWORD)
    state = ChatState()
    ada.subscribe(state.apply)
    bob = await register(restartable.url, "bob")
    root = (await bob.ok("send", room="general", body="plan", client_msg_id="p"))["message"]
    await events.wait_message("general", "plan")
    await bob.close()

    await restartable.stop()
    await second_attempt(events)
    await restartable.start()
    bob = await login(restartable.url, "bob")
    await bob.ok("react", room="general", seq=root["seq"], emoji=THUMBS)
    await bob.ok("send", room="general", body="idea", client_msg_id="t", thread=root["seq"])
    ada.reconnect_now()
    await events.wait_status(Status.CONNECTED)
    await events.wait_message("general", "idea")
    replayed = await events.wait_for(
        lambda e: (
            updated(root["seq"])(e) and not isinstance(e.message.thread_summary, msgspec.UnsetType)
        )
    )
    message = replayed.message
    assert message.reactions == [Reaction(emoji=THUMBS, count=1, users=["bob"])]
    assert message.thread_summary.replies == 1  # type: ignore[union-attr]
    # The view-model holds the message as it now is, and the thread reply is not
    # unread in the room (it was not sent to the room).
    held = state.rooms["general"].messages[root["seq"]]
    assert held == message
    assert state.thread_has_unread("general", root["seq"])
    await bob.close()


# -- the view-model -------------------------------------------------------------------


def test_message_updated_replaces_the_copy_held() -> None:
    state = logged_in()
    state.apply(MessageEvent(message=msg("lan", 2, body="vote")))
    reacted = msg("lan", 2, body="vote", reactions=[Reaction(emoji=THUMBS, count=1, users=["cy"])])
    update = state.apply(MessageUpdated(message=reacted))
    assert state.rooms["lan"].messages[2] == reacted
    assert update.timelines["lan"].reset
    # A message not held comes with its history later: nothing to replace.
    assert not state.apply(MessageUpdated(message=msg("lan", 9))).timelines
    assert 9 not in state.rooms["lan"].messages


def test_thread_replies_count_as_unread_only_when_sent_to_the_room() -> None:
    state = logged_in()
    state.apply(MessageEvent(message=msg("lan", 2, body="root")))
    state.apply(MessageEvent(message=msg("lan", 3, thread=2)))
    assert state.rooms["lan"].unread == 1
    state.apply(MessageEvent(message=msg("lan", 4, thread=2, in_room=True)))
    assert state.rooms["lan"].unread == 2
    rs = state.rooms["lan"]
    assert [m.seq for m in rs.in_room()] == [1, 2, 4]
    assert [m.seq for m in rs.thread(2)] == [3, 4]
    assert [m.seq for m in rs.timeline()] == [1, 2, 3, 4]


def test_thread_read_markers_are_their_own() -> None:
    state = logged_in()
    summary = ThreadSummary(replies=2, last_seq=4, last_ts=1, participants=["bob"])
    root = msg("lan", 2, body="root", thread_summary=summary)
    state.apply(
        MessagesLoaded("lan", [root, msg("lan", 3, thread=2), msg("lan", 4, thread=2)], "sync")
    )
    room_read = state.rooms["lan"].read_seq
    state.apply(ReadMarker(room="lan", seq=3, thread=2))
    assert state.thread_read("lan", 2) == 3
    assert state.rooms["lan"].read_seq == room_read  # the room's marker did not move
    assert state.thread_has_unread("lan", 2)
    state.apply(ReadMarker(room="lan", seq=1, thread=2))
    assert state.thread_read("lan", 2) == 3  # never back
    state.apply(ThreadsLoaded("lan", [ThreadInfo(root=root, read=4)]))
    assert state.thread_read("lan", 2) == 4
    assert not state.thread_has_unread("lan", 2)


def test_a_deletion_takes_the_reactions_with_the_text() -> None:
    state = logged_in()
    reacted = msg("lan", 2, body="vote", reactions=[Reaction(emoji=THUMBS, count=1, users=["cy"])])
    state.apply(MessageEvent(message=reacted))
    state.apply(MessageDeleted(room="lan", seq=2))
    held = state.rooms["lan"].messages[2]
    assert (held.deleted, held.body, held.reactions) == (True, "", msgspec.UNSET)
    # An edit of a deleted message changes nothing.
    state.apply(MessageEdited(message=msg("lan", 2, body="back")))
    assert state.rooms["lan"].messages[2].deleted


async def test_a_reaction_toggled_where_its_list_is_cut_short(
    server: RunningServer, clients: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reaction lists only its first users: a user not listed toggles it by adding,
    and where the server says it was made already, by taking it back."""
    monkeypatch.setattr("chinwag.core.conversations.REACTION_USERS", 2)
    people = []
    for name in ("ada", "bob", "cy"):
        client, _ = await clients(server.url)
        await client.register(name, PASSWORD)
        people.append(client)
    ada, bob, cy = people
    root = await ada.send("general", "vote")
    for client in people:
        held = await client.react("general", root.seq, THUMBS)
    assert held.reactions == [Reaction(emoji=THUMBS, count=3, users=["ada", "bob"])]
    # cy reacted, but is not listed: the toggle takes it back.
    after = await cy.toggle_reaction("general", root.seq, THUMBS, held, "cy")
    assert after.reactions == [Reaction(emoji=THUMBS, count=2, users=["ada", "bob"])]
    # Not listed and not reacted: the toggle adds.
    again = await cy.toggle_reaction("general", root.seq, THUMBS, after, "cy")
    assert again.reactions == [Reaction(emoji=THUMBS, count=3, users=["ada", "bob"])]
    # Listed: taken back at once; then the list has room for cy.
    gone = await ada.toggle_reaction("general", root.seq, THUMBS, again, "ada")
    assert gone.reactions == [Reaction(emoji=THUMBS, count=2, users=["bob", "cy"])]
    # A refusal that is not "made already" is not turned into a removal.
    with pytest.raises(RequestError) as refused:
        await bob.toggle_reaction("general", root.seq + 100, THUMBS, None, "bob")
    assert refused.value.code == "not_found"
