"""How a message shows its conversation, without a display: the quoted original, reaction
chips, the thread it starts, a pin, and `@room` highlighted only on the server's flag."""

from __future__ import annotations

import datetime as dt

from chinwag.desktop.conversation import (
    chip_text,
    emoji_of_chip,
    excerpt_text,
    mentions_everyone,
    shown_in_room,
)
from chinwag.desktop.rows import Layout
from chinwag.protocol.types import Message, PinRef, Reaction, ReplyRef, ThreadSummary

UTC = dt.UTC


def msg(seq: int = 5, body: str = "sure", sender: str = "bob", **kw: object) -> Message:
    ts = int(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC).timestamp() * 1000)
    return Message(room="general", seq=seq, sender=sender, body=body, ts=ts, **kw)  # type: ignore[arg-type]


def layout(me: str = "ada") -> Layout:
    return Layout(str.title, me=lambda: me, tz=UTC, today=lambda: dt.date(2026, 3, 3))


def text_of(runs: list[tuple[str, tuple[str, ...]]]) -> str:
    return "".join(t for t, _ in runs)


def with_tag(runs: list[tuple[str, tuple[str, ...]]], tag: str) -> str:
    return "".join(t for t, tags in runs if tag in tags)


def test_a_reply_quotes_the_start_of_the_original() -> None:
    ref = ReplyRef(seq=2, sender="cy", excerpt="**the** plan\nfor Saturday")
    runs = layout().message(msg(reply_to=ref), None)
    assert text_of(runs) == "Today\nBob  09:00\n↪ Cy: the plan for Saturday\nsure\n"
    assert with_tag(runs, "replyquote") == "↪ Cy: the plan for Saturday\n"
    assert with_tag(runs, "replyname") == "Cy"
    gone = layout().message(
        msg(reply_to=ReplyRef(seq=2, sender="cy", excerpt="", deleted=True)), None
    )
    assert "↪ original deleted\n" in text_of(gone) and "Cy" not in with_tag(gone, "replyquote")
    assert excerpt_text(ReplyRef(seq=2, sender="cy", excerpt="")) == "a file"
    long = excerpt_text(ReplyRef(seq=2, sender="cy", excerpt="word " * 60))
    assert len(long) == 90 and long.endswith("…")


def test_a_quote_shows_the_original_as_held_now() -> None:
    lay = layout()
    held = {2: msg(seq=2, sender="cy", body="the plan, edited")}
    lay.held = lambda room, seq: held.get(seq) if room == "general" else None
    ref = ReplyRef(seq=2, sender="cy", excerpt="the plan")
    assert "↪ Cy: the plan, edited\n" in text_of(lay.message(msg(reply_to=ref), None))
    held[2] = msg(seq=2, sender="cy", body="", deleted=True)
    assert "↪ original deleted\n" in text_of(lay.message(msg(reply_to=ref), None))
    held.clear()
    assert "↪ Cy: the plan\n" in text_of(lay.message(msg(reply_to=ref), None))


def test_a_reply_on_its_way_quotes_already() -> None:
    from chinwag.client.model import PendingSend

    lay = layout()
    lay.held = lambda room, seq: msg(seq=2, sender="cy", body="the plan") if seq == 2 else None
    lay.pending_reply = {"c-1": 2}.get
    runs = lay.pending(PendingSend("c-1", "general", "agreed", 0), "ada", None, True)
    assert text_of(runs) == "Ada  sending…\n↪ Cy: the plan\nagreed\n"
    other = lay.pending(PendingSend("c-2", "general", "hm", 0), "ada", None, True)
    assert "↪" not in text_of(other)


def test_a_quote_cannot_spoof_with_bidi_controls() -> None:
    ref = ReplyRef(seq=2, sender="cy", excerpt="photo \u202egnp.exe")
    runs = layout().message(msg(reply_to=ref), None)
    assert "\u202e" not in text_of(runs)
    assert any("bidi" in tags and "replyquote" in tags for _, tags in runs)


def test_reactions_are_chips_and_mine_stand_out() -> None:
    reactions = [
        Reaction(emoji="👍", count=2, users=["bob", "Ada"]),
        Reaction(emoji="🎉", count=1, users=["cy"]),
    ]
    runs = layout().message(msg(reactions=reactions), None)
    chips = [(t, tags) for t, tags in runs if "chip" in tags]
    assert [emoji_of_chip(t) for t, _ in chips] == ["👍", "🎉"]
    assert ["chip_mine" in tags for _, tags in chips] == [True, False]
    assert with_tag(runs, "chip_add") and text_of(runs).endswith("\n")
    assert emoji_of_chip(chip_text(Reaction(emoji="👨‍👩‍👧", count=12, users=[]))) == "👨‍👩‍👧"
    assert not any("chip" in tags for _, tags in layout().message(msg(), None))


def test_a_thread_root_sums_up_its_replies() -> None:
    summary = ThreadSummary(replies=3, last_seq=9, last_ts=msg().ts, participants=["cy", "dee"])
    lay = layout()
    runs = lay.message(msg(thread_summary=summary), None)
    assert with_tag(runs, "threadlink") == "💬 3 replies"
    assert "· last 09:00 · Cy, Dee" in text_of(runs) and not with_tag(runs, "threadnew")
    lay.thread_unread = lambda room, seq: 2 if (room, seq) == ("general", 5) else 0
    assert with_tag(lay.message(msg(thread_summary=summary), None), "threadnew") == "  2 new"
    one = ThreadSummary(replies=1, last_seq=9, last_ts=msg().ts)
    assert with_tag(lay.message(msg(thread_summary=one), None), "threadlink") == "💬 1 reply"
    gone = lay.message(msg(body="", deleted=True, thread_summary=one), None)
    assert "message deleted\n💬 1 reply" in text_of(gone)  # the thread stays reachable
    # a thread reply also sent to the room says where it belongs
    reply = msg(seq=9, thread=5, in_room=True)
    assert with_tag(lay.message(reply, None), "threadlink") == "↳ in a thread"
    assert shown_in_room(reply) and shown_in_room(msg())
    assert not shown_in_room(msg(seq=10, thread=5))


def test_a_pin_shows_who_pinned_it() -> None:
    pinned = msg(pinned=PinRef(by="ada", ts=0))
    runs = layout().message(pinned, None)
    assert text_of(runs).startswith("Today\nBob  09:00  📌 pinned by Ada\n")
    grouped = layout().message(msg(seq=6, pinned=PinRef(by="ada", ts=0)), msg())
    assert text_of(grouped) == "  📌 pinned by Ada\nsure\n"


def test_room_and_here_highlight_only_on_the_flag() -> None:
    plain = layout().message(msg(body="@room pizza!"), None)
    assert not any("mention" in tags for _, tags in plain)
    flagged = layout().message(msg(body="@room pizza! @here", mentions_all="room"), None)
    assert with_tag(flagged, "mention_name") == "@room"
    assert ("Bob", ("name", "u:bob", "mention")) in flagged
    mine = msg(body="@room pizza!", sender="ada", mentions_all="room")
    assert not mentions_everyone(mine, "ada")
    assert not mentions_everyone(msg(body="", deleted=True, mentions_all="room"), "ada")
