"""Events waiting to be published: bounded, coalesced, in order (pure, no event loop)."""

from __future__ import annotations

from chinwag.bus.base import BusEvent, ChangesAt, Deliver, PresenceChanged
from chinwag.bus.pending import MAX_CARRIED, PendingEvents
from chinwag.core.models import Change


def doorbell(room: str, seq: int, changes_at: int = 0) -> Deliver:
    return Deliver(frame=b"m%d" % seq, room=room, seq=seq, changes_at=changes_at)


def change(pos: int) -> Change:
    return Change(pos=pos, kind="joined", user="ada", room="r", how="joined")


def typing(user: str) -> Deliver:
    return Deliver(frame=user.encode(), room="r")


def drain(pending: PendingEvents) -> list[BusEvent]:
    return [event for _, event in pending.take(10_000)]


def test_events_come_out_in_the_order_they_went_in() -> None:
    pending = PendingEvents()
    events: list[BusEvent] = [typing("a"), doorbell("r", 1), PresenceChanged(user="x", online=True)]
    for event in events:
        pending.put(event)
    assert drain(pending) == events
    assert len(pending) == 0


def test_a_rooms_doorbells_merge_into_the_newest_in_the_newest_place() -> None:
    pending = PendingEvents()
    pending.put(doorbell("r", 1))
    pending.put(typing("a"))
    pending.put(doorbell("s", 1))
    pending.put(doorbell("r", 2, changes_at=5))
    pending.put(doorbell("r", 3))
    # r's doorbell moved behind everything published before its newest message, and
    # keeps the highest stream position any of them needed.
    assert drain(pending) == [typing("a"), doorbell("s", 1), doorbell("r", 3, changes_at=5)]


def test_a_doorbell_is_never_moved_ahead_of_a_change_published_before_it() -> None:
    """A message posted after a kick must not overtake the kick's change on the way."""
    pending = PendingEvents()
    pending.put(doorbell("r", 1))
    pending.put(ChangesAt(head=7, changes=[change(7)]))
    pending.put(doorbell("r", 2))
    assert drain(pending) == [ChangesAt(head=7, changes=[change(7)]), doorbell("r", 2)]


def test_change_doorbells_carry_every_entry_then_only_the_head() -> None:
    pending = PendingEvents()
    pending.put(ChangesAt(head=1, changes=[change(1)]))
    pending.put(ChangesAt(head=3, changes=[change(2), change(3)]))
    assert drain(pending) == [ChangesAt(head=3, changes=[change(1), change(2), change(3)])]

    for pos in range(1, MAX_CARRIED + 2):
        pending.put(ChangesAt(head=pos, changes=[change(pos)]))
    # too many to carry: the receivers read them from the store
    assert drain(pending) == [ChangesAt(head=MAX_CARRIED + 1, changes=[])]


def test_what_could_not_be_sent_goes_back_ahead_of_what_came_since() -> None:
    pending = PendingEvents()
    pending.put(typing("a"))
    pending.put(doorbell("r", 1))
    taken = pending.take(10)
    pending.put(typing("b"))
    pending.put(doorbell("r", 2))
    pending.restore(taken)
    assert drain(pending) == [typing("a"), typing("b"), doorbell("r", 2)]


def test_past_the_limit_the_oldest_ephemeral_event_goes_first() -> None:
    pending = PendingEvents(limit=3)
    pending.put(doorbell("r", 1))
    pending.put(typing("a"))
    pending.put(typing("b"))
    pending.put(typing("c"))
    assert drain(pending) == [doorbell("r", 1), typing("b"), typing("c")]
    assert pending.dropped == 1


def test_memory_stays_bounded_whatever_is_published() -> None:
    pending = PendingEvents(limit=100)
    for n in range(10_000):
        pending.put(typing(str(n)))
        pending.put(doorbell(f"room{n % 500}", n))
        pending.put(ChangesAt(head=n, changes=[change(n)]))
    assert len(pending) == 100
    kept = drain(pending)
    # the doorbells of the newest rooms and the change stream's survive; typing does not
    assert ChangesAt(head=9_999, changes=[]) in kept
    assert all(isinstance(event, Deliver | ChangesAt) for event in kept)
