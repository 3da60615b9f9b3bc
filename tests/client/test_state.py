"""The view-model, fed events by hand: pure tests on a held clock."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.client.events import (
    LoggedIn,
    MembersLoaded,
    MessagesLoaded,
    RoomsLoaded,
    SendAcked,
    SendFailed,
    Status,
    StatusChanged,
    UsersLoaded,
)
from chinwag.client.state import ChatState
from chinwag.protocol.events import (
    Kicked,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessageEvent,
    Presence,
    ReadMarker,
    RoomUpdated,
    TypingEvent,
    UserUpdated,
)
from chinwag.protocol.types import Member, Message, Room, User

ADA = User(username="ada", display_name="Ada", color="#e0245e", admin=True, online=True)
BOB = User(username="bob", display_name="Bob", color="#0ea5a4", online=True)
CY = User(username="cy", display_name="Cy", color="#123456", online=False)
GENERAL = Room(id="general", name="general", kind="public", member=True)
LAN = Room(id="lan", name="LAN Party", kind="public", owner="bob", member=True)
ATTIC = Room(id="attic", name="Attic", kind="private", owner="ada", member=True)
DM = Room(id="dm:ada:bob", name="ada, bob", kind="dm", member=True, members=["ada", "bob"])
OTHER = Room(id="other", name="Other", kind="public", member=False)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def msg(room: str, seq: int, sender: str = "bob", body: str = "", **kw: object) -> Message:
    return Message(
        room=room, seq=seq, sender=sender, body=body or f"m{seq}", ts=1_767_261_000_000 + seq, **kw
    )  # type: ignore[arg-type]


def logged_in(me: User = ADA, clock: Clock | None = None, **kw: object) -> ChatState:
    state = ChatState(clock=clock or Clock(), **kw)  # type: ignore[arg-type]
    state.apply(LoggedIn(me, "token", False))
    state.apply(RoomsLoaded([LAN, GENERAL, DM, ATTIC, OTHER]))
    state.apply(UsersLoaded([ADA, BOB, CY]))
    for room in ("general", "lan", DM.id, "attic"):
        state.apply(MessagesLoaded(room, [msg(room, 1, "ada", kind="system")], "initial"))
    state.apply(StatusChanged(Status.CONNECTED))  # caught up, as the client reports it
    return state


def test_rooms_are_listed_general_first_and_dms_by_partner() -> None:
    state = logged_in()
    assert [rs.id for rs in state.room_list()] == ["general", "attic", "lan"]
    assert [rs.id for rs in state.dm_list()] == [DM.id]
    assert state.room_title(DM.id) == "Bob"
    assert state.dm_partner(DM.id) == "bob"
    assert list(state.public) == ["other"]
    assert state.current == "general"


@settings(max_examples=200)
@given(st.lists(st.lists(st.integers(1, 60), max_size=12), max_size=8))
def test_timeline_is_sorted_without_duplicates(batches: list[list[int]]) -> None:
    state = logged_in()
    for i, batch in enumerate(batches):
        messages = [msg("lan", seq) for seq in batch]
        if i % 2:
            state.apply(MessagesLoaded("lan", sorted(messages, key=lambda m: m.seq), "history"))
        else:
            for m in messages:
                state.apply(MessageEvent(message=m))
    rs = state.rooms["lan"]
    expected = sorted({1, *(s for b in batches for s in b)})
    assert rs.seqs == expected
    assert [m.seq for m in rs.timeline()] == expected


def test_appends_and_resets() -> None:
    state = logged_in()
    update = state.apply(MessageEvent(message=msg("general", 2)))
    assert update.timelines["general"].appended == [2]
    assert not state.apply(MessageEvent(message=msg("general", 2))).timelines
    state.apply(MessageEvent(message=msg("general", 5)))
    older = [msg("general", 3), msg("general", 4)]
    update = state.apply(MessagesLoaded("lan", [msg("lan", 0)], "history"))
    assert update.timelines["lan"].prepended == [0]
    update = state.apply(MessagesLoaded("general", older, "history"))
    assert update.timelines["general"].reset  # between held messages: redraw


def test_unread_counts_only_texts_of_others_out_of_view() -> None:
    state = logged_in()
    update = state.apply(MessageEvent(message=msg("lan", 2)))
    assert state.rooms["lan"].unread == 1 and update.rooms and update.notify
    state.apply(MessageEvent(message=msg("lan", 3, kind="system", body="cy joined")))
    state.apply(MessageEvent(message=msg("lan", 4, sender="ada")))
    assert state.rooms["lan"].unread == 0  # writing in a room reads it
    state.apply(MessageEvent(message=msg("lan", 5)))
    state.apply(MessageEvent(message=msg("lan", 6)))
    assert state.total_unread == 2
    # In view: no unread.
    state.apply(MessageEvent(message=msg("general", 2)))
    assert state.rooms["general"].unread == 0
    # Switching clears it and puts the marker before the first unread.
    update = state.select("lan")
    assert update.current and update.timelines["lan"].reset
    assert state.rooms["lan"].unread == 0 and state.rooms["lan"].marker_seq == 5
    assert state.total_unread == 0
    state.select("general")
    assert state.rooms["lan"].marker_seq is None


def test_scrolled_up_shows_a_marker_not_an_unread_count() -> None:
    state = logged_in()
    state.set_view(at_bottom=False)
    update = state.apply(MessageEvent(message=msg("general", 2)))
    rs = state.rooms["general"]
    assert rs.unread == 0 and not update.notify
    assert rs.marker_seq == 2 and rs.unseen_below == 1
    state.apply(MessageEvent(message=msg("general", 3)))
    assert rs.marker_seq == 2 and rs.unseen_below == 2
    state.set_view(at_bottom=True)
    assert rs.unseen_below == 0 and rs.read_seq == 3 and rs.marker_seq == 2


def test_unfocused_window_counts_and_notifies() -> None:
    state = logged_in()
    state.set_view(focused=False)
    update = state.apply(MessageEvent(message=msg("general", 2)))
    assert state.rooms["general"].unread == 1 and update.notify
    assert state.rooms["general"].marker_seq == 2
    update = state.set_view(focused=True)
    assert state.rooms["general"].unread == 0 and update.rooms


def test_typing_expires_on_the_clock_and_ends_with_a_message() -> None:
    clock = Clock()
    state = logged_in(clock=clock)
    update = state.apply(TypingEvent(room="general", user="bob"))
    assert update.typing == {"general"}
    state.apply(TypingEvent(room="general", user="ada"))  # our own: ignored
    assert state.typing_names("general") == ["Bob"]
    clock.now += 4.9
    assert state.typing_names("general") == ["Bob"]
    clock.now += 0.2
    assert state.typing_names("general") == []
    state.apply(TypingEvent(room="general", user="bob"))
    state.apply(MessageEvent(message=msg("general", 2)))
    assert state.typing_names("general") == []


def test_pending_sends_resolve_or_fail() -> None:
    state = logged_in()
    update = state.add_pending("general", "c1", "hello", 0)
    assert update.timelines["general"].pending
    state.add_pending("general", "c2", "again", 0)
    sent = msg("general", 2, sender="ada", body="hello", client_msg_id="c1")
    update = state.apply(MessageEvent(message=sent))
    assert list(state.rooms["general"].pending) == ["c2"] and update.timelines["general"].pending
    state.apply(SendAcked("c1", sent))  # the reply after the event: nothing more
    assert state.rooms["general"].seqs == [1, 2]
    state.apply(SendFailed("general", "c2", "muted", "you are muted for 60 more s", 60))
    item = state.rooms["general"].pending["c2"]
    assert item.failed and "muted" in item.error
    assert state.retry_pending("c2") is item and not item.failed
    state.drop_pending("c2")
    assert not state.rooms["general"].pending


def test_leaving_or_being_kicked_removes_the_room() -> None:
    state = logged_in()
    state.select("lan")
    update = state.apply(Kicked(reason="spam", by="bob", room="lan"))
    assert "lan" not in state.rooms and state.current == "general"
    assert update.notices == ["You were removed from LAN Party by Bob: spam"]
    state.apply(MemberLeft(room="attic", user="ada"))
    assert "attic" not in state.rooms
    state.apply(RoomUpdated(room=LAN))
    assert "lan" in state.rooms


def test_members_presence_and_profiles() -> None:
    state = logged_in()
    assert state.members_of("lan") is None
    assert [u.username for u in state.members_of(DM.id) or []] == ["ada", "bob"]
    state.apply(MembersLoaded("lan", [Member(user="ada"), Member(user="bob", role="owner")]))
    assert [u.username for u in state.members_of("lan") or []] == ["bob", "ada"]
    state.apply(MemberJoined(room="lan", user="cy"))
    assert len(state.members_of("lan") or []) == 3
    state.apply(MemberLeft(room="lan", user="cy"))
    assert len(state.members_of("lan") or []) == 2
    assert [u.username for u in state.online_users()] == ["ada", "bob"]
    state.apply(Presence(user="cy", online=True))
    assert [u.username for u in state.online_users()] == ["ada", "bob", "cy"]
    new_bob = User(username="bob", display_name="Robert", color="#000000", online=True)
    state.apply(UserUpdated(user=new_bob))
    assert state.display_name("BOB") == "Robert" and state.room_title(DM.id) == "Robert"


def test_moderation_scopes() -> None:
    admin = logged_in(ADA)
    assert admin.moderation_scopes("general", "bob") == ["room", "server"]
    assert admin.moderation_scopes(DM.id, "bob") == ["server"]
    assert admin.moderation_scopes("general", "ada") == []
    owner = logged_in(BOB)
    assert owner.moderation_scopes("lan", "cy") == ["room"]
    assert owner.moderation_scopes("lan", "ada") == []  # an admin
    assert owner.moderation_scopes("general", "cy") == []
    member = logged_in(CY)
    assert member.moderation_scopes("lan", "bob") == []


def test_read_marks_give_unread_counts_at_start() -> None:
    state = ChatState(clock=Clock(), read_marks={"lan": 3})
    state.apply(LoggedIn(ADA, "t", False))
    state.apply(RoomsLoaded([GENERAL, LAN]))
    page = [msg("lan", s) for s in range(2, 8)]
    state.apply(MessagesLoaded("lan", page, "initial", more_before=True))
    assert state.rooms["lan"].unread == 4 and not state.rooms["lan"].unread_more
    state2 = ChatState(clock=Clock(), read_marks={"lan": 0})
    state2.apply(LoggedIn(ADA, "t", False))
    state2.apply(RoomsLoaded([GENERAL, LAN]))
    state2.apply(MessagesLoaded("lan", page, "initial", more_before=True))
    assert state2.rooms["lan"].unread == 6 and state2.rooms["lan"].unread_more
    assert state.read_marks()["lan"] == 3


def test_the_servers_read_markers_win_over_older_local_ones() -> None:
    state = ChatState(clock=Clock(), read_marks={"lan": 3, "general": 9})
    state.apply(LoggedIn(ADA, "t", False))
    state.apply(RoomsLoaded([GENERAL, LAN], {"lan": 5, "general": 2}))
    page = [msg("lan", s) for s in range(2, 8)]
    state.apply(MessagesLoaded("lan", page, "initial", more_before=True))
    assert state.rooms["lan"].unread == 2  # read up to 5 on another device
    assert state.read_marks()["general"] == 9  # a local marker ahead of the server stays


def test_a_read_event_clears_what_another_device_read() -> None:
    state = logged_in()
    for seq in range(2, 6):
        state.apply(MessageEvent(message=msg("lan", seq)))
    assert state.rooms["lan"].unread == 4 and state.total_unread == 4
    update = state.apply(ReadMarker(room="lan", seq=4))
    assert state.rooms["lan"].unread == 1 and update.rooms
    assert not state.apply(ReadMarker(room="lan", seq=2)).rooms  # never backwards
    assert state.rooms["lan"].unread == 1
    state.apply(ReadMarker(room="lan", seq=7))  # ahead of what arrived yet
    state.apply(MessageEvent(message=msg("lan", 6)))
    assert state.rooms["lan"].unread == 0
    state.apply(MessageEvent(message=msg("lan", 8)))
    assert state.rooms["lan"].unread == 1


def test_reads_not_yet_on_the_server_are_listed_until_reported() -> None:
    state = logged_in()
    state.apply(RoomsLoaded([LAN, GENERAL, DM, ATTIC, OTHER], {"general": 1, "lan": 1}))
    assert state.unreported_reads() == {DM.id: 1, "attic": 1}  # never marked on the server
    state.reads_reported(state.unreported_reads())
    assert state.unreported_reads() == {}
    state.apply(MessageEvent(message=msg("lan", 2)))
    assert state.unreported_reads() == {}  # unread: nothing to report
    state.select("lan")
    assert state.unreported_reads() == {"lan": 2}
    state.reads_reported({"lan": 2})
    assert state.unreported_reads() == {}
    # A report lost with the connection: the next rooms reply shows it again.
    state.apply(RoomsLoaded([LAN, GENERAL, DM, ATTIC, OTHER], {"general": 1, "lan": 1}))
    assert state.unreported_reads() == {"lan": 2, DM.id: 1, "attic": 1}
    # The echo of a read event needs no report.
    state.apply(ReadMarker(room="lan", seq=2))
    assert "lan" not in state.unreported_reads()


def test_a_new_dm_during_the_session_counts_its_first_message() -> None:
    state = logged_in()
    dm = Room(id="dm:ada:cy", name="ada, cy", kind="dm", member=True, members=["ada", "cy"])
    state.apply(RoomUpdated(room=dm))
    first = msg(dm.id, 1, sender="cy")
    update = state.apply(MessagesLoaded(dm.id, [first], "initial"))
    assert state.rooms[dm.id].unread == 1
    # It came with the room's first load, not live: it is told of all the same, once.
    assert update.notify == [first]
    assert not state.apply(MessageEvent(message=first)).notify
    assert not state.apply(MessagesLoaded(dm.id, [first], "history")).notify


def test_the_rooms_loaded_at_login_tell_of_nothing_old() -> None:
    state = ChatState(clock=Clock())
    state.apply(LoggedIn(ADA, "token", False))
    state.apply(RoomsLoaded([LAN, GENERAL], {"lan": 1}))
    update = state.apply(MessagesLoaded("lan", [msg("lan", 1), msg("lan", 2)], "initial"))
    assert state.rooms["lan"].unread == 1 and not update.notify


def test_deleting_an_unread_message_uncounts_it() -> None:
    state = logged_in()
    state.apply(MessageEvent(message=msg("lan", 2)))
    update = state.apply(MessageDeleted(room="lan", seq=2))
    assert state.rooms["lan"].unread == 0 and update.timelines["lan"].reset
    assert state.rooms["lan"].messages[2].deleted


def test_an_edit_replaces_a_held_message_and_nothing_else() -> None:
    state = logged_in()
    state.apply(MessageEvent(message=msg("lan", 2, body="teh plan")))
    edited = msg("lan", 2, body="the plan", edited_ts=1_767_261_000_100)
    update = state.apply(MessageEdited(message=edited))
    assert state.rooms["lan"].messages[2] == edited and update.timelines["lan"].reset
    assert state.rooms["lan"].unread == 1  # still one unread message, not two
    assert not state.apply(MessageEdited(message=msg("lan", 40))).timelines  # not held
    state.apply(MessageDeleted(room="lan", seq=2))
    state.apply(MessageEdited(message=edited))  # a late edit does not bring it back
    assert state.rooms["lan"].messages[2].deleted


def test_status_is_kept() -> None:
    state = logged_in()
    update = state.apply(StatusChanged(Status.RECONNECTING, retry_in=2.0, attempt=1))
    assert update.status and state.status.retry_in == 2.0


def test_a_late_copy_of_a_message_does_not_undo_a_newer_one() -> None:
    """Two reactions at once: their `message_updated` may cross (one node's comes over
    the bus after the other's); the copy with the higher `changed` stays."""
    from chinwag.protocol.events import MessageUpdated
    from chinwag.protocol.types import Reaction

    state = logged_in()
    state.apply(MessageEvent(message=msg("lan", 2)))
    one = Reaction(emoji="👍", count=1, users=["ada"])
    two = Reaction(emoji="👍", count=2, users=["ada", "cy"])
    newer = msg("lan", 2, reactions=[two], changed=5)
    older = msg("lan", 2, reactions=[one], changed=4)
    assert state.apply(MessageUpdated(message=newer)).timelines["lan"].reset
    assert not state.apply(MessageUpdated(message=older)).timelines
    assert state.rooms["lan"].messages[2] == newer
