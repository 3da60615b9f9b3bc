"""What the desktop app decides without a display: timeline layout, remembered settings,
notifications, colours and error sentences."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chinwag.client.errors import ConnectionLost, RequestError
from chinwag.client.model import PendingSend
from chinwag.desktop.notify import Notifier
from chinwag.desktop.prefs import Prefs, Session
from chinwag.desktop.rows import Layout, count_lines, link_target, split_urls
from chinwag.desktop.theme import contrast, readable
from chinwag.desktop.wording import login_error, typing_sentence
from chinwag.protocol.types import Message

UTC = dt.UTC
DAY = 86_400_000
T0 = int(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp() * 1000)


def msg(seq: int, sender: str = "bob", ts: int = T0, **kw: object) -> Message:
    kw.setdefault("body", f"m{seq}")
    return Message(room="general", seq=seq, sender=sender, ts=ts, **kw)  # type: ignore[arg-type]


def layout() -> Layout:
    return Layout(str.title, tz=UTC, today=lambda: dt.date(2026, 3, 3))


def text_of(runs: list[tuple[str, tuple[str, ...]]]) -> str:
    return "".join(text for text, _ in runs)


def test_day_separators_and_grouping() -> None:
    lay = layout()
    first = lay.message(msg(1), None)
    assert text_of(first) == "Yesterday\nBob  09:00\nm1\n"
    assert ("Bob", ("name", "u:bob")) in first
    same = lay.message(msg(2, ts=T0 + 60_000), msg(1))
    assert text_of(same) == "m2\n"  # grouped: no name again
    later = lay.message(msg(3, ts=T0 + 10 * 60_000), msg(2, ts=T0 + 60_000))
    assert text_of(later).startswith("Bob  09:10")  # five minutes apart: a new group
    other = lay.message(msg(4, sender="ada", ts=T0 + 61_000), msg(2, ts=T0 + 60_000))
    assert text_of(other).startswith("Ada  09:01")
    today = lay.message(msg(5, ts=T0 + DAY), msg(4, sender="ada"))
    assert text_of(today).startswith("Today\nBob")
    old = lay.message(msg(6, ts=T0 - 400 * DAY), None)
    assert text_of(old).startswith("Sunday, 26 January 2025\n")


def test_system_lines_deleted_messages_and_the_marker() -> None:
    lay = layout()
    system = lay.message(msg(2, kind="system", body="cy joined"), msg(1))
    assert text_of(system) == "cy joined  09:00\n"
    assert all("system" in tags for _, tags in system)
    after = lay.message(msg(3), msg(2, kind="system"))
    assert text_of(after).startswith("Bob")  # a system line breaks a group
    deleted = lay.message(msg(4, deleted=True, body=""), msg(3))
    assert text_of(deleted) == "message deleted\n"
    marked = lay.message(msg(5), msg(4), marker=True)
    assert text_of(marked) == "New messages\nBob  09:00\nm5\n"
    assert count_lines(marked) == 3
    edited = lay.message(msg(6, body="see www.x.org", edited_ts=T0 + 60_000), msg(5))
    assert text_of(edited) == "see www.x.org (edited)\n"
    assert (" (edited)", ("body", "edited")) in edited  # grey and small, not part of a link
    assert edited[-1] == ("\n", ("body",))
    gone = lay.message(msg(7, deleted=True, body="", edited_ts=T0), msg(6))
    assert text_of(gone) == "message deleted\n"  # a deleted message says only that


def test_pending_and_failed_sends() -> None:
    lay = layout()
    pending = PendingSend("c1", "general", "on its way", 0)
    runs = lay.pending(pending, "ada", msg(1), first=True)
    assert text_of(runs) == "Ada  sending…\non its way\n"
    assert all("pending" in tags for text, tags in runs if text == "on its way")
    failed = PendingSend("c2", "general", "nope", 0, failed=True, error="you are muted")
    runs = lay.pending(failed, "ada", msg(1, sender="ada"), first=True)
    assert text_of(runs) == "nope  ⚠ you are muted  Retry  Discard\n"
    assert ("Retry", ("action", "retry:c2")) in runs
    assert ("Discard", ("action", "discard:c2")) in runs


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("see https://example.com/x.", ["https://example.com/x"]),
        ("(http://a.b/c_(d))", ["http://a.b/c_(d)"]),
        ("go to www.example.org, then", ["https://www.example.org"]),
        ("no links here", []),
        ("two: https://a.io and https://b.io!", ["https://a.io", "https://b.io"]),
    ],
)
def test_urls_are_found(text: str, urls: list[str]) -> None:
    runs = split_urls(text)
    assert "".join(piece for piece, _ in runs) == text
    assert [url for _, url in runs if url] == urls


@given(st.text(max_size=200))
def test_url_splitting_keeps_every_character(text: str) -> None:
    assert "".join(piece for piece, _ in split_urls(text)) == text


def test_links_are_tagged_and_opened_as_shown() -> None:
    runs = layout().message(msg(1, body="a https://x.io b www.y.org"), None)
    assert [text for text, tags in runs if "url" in tags] == ["https://x.io", "www.y.org"]
    assert link_target("https://x.io") == "https://x.io"
    assert link_target("www.y.org") == "https://www.y.org"


def test_a_mention_of_me_is_tagged_but_not_my_own_or_in_a_link() -> None:
    lay = Layout(str.title, me=lambda: "ada", tz=UTC, today=lambda: dt.date(2026, 3, 3))
    runs = lay.message(msg(1, body="@ADA see www.x.org/@ada, not @adam"), None)
    assert text_of(runs) == "Yesterday\nBob  09:00\n@ADA see www.x.org/@ada, not @adam\n"
    assert ("Bob", ("name", "u:bob", "mention")) in runs
    assert [t for t, tags in runs if "mention_name" in tags] == ["@ADA"]
    assert all("mention" in tags for _t, tags in runs[1:])  # all but the day line
    mine = lay.message(msg(2, sender="ada", body="@ada note to self"), None)
    assert not any("mention" in tags or "mention_name" in tags for _t, tags in mine)
    plain = lay.message(msg(3, body="hi all"), None)
    assert not any("mention" in tags for _t, tags in plain)
    edited = lay.message(msg(4, body="hi @ada", edited_ts=T0), None)
    assert (" (edited)", ("body", "edited", "mention")) in edited
    nobody = Layout(str.title, tz=UTC).message(msg(5, body="hi @ada"), None)
    assert not any("mention" in tags for _t, tags in nobody)  # not logged in


def test_prefs_and_a_private_token(tmp_path: Path) -> None:
    prefs = Prefs.load(tmp_path / "cfg")
    assert prefs.server == "localhost:8080" and prefs.theme == "light"
    prefs.server, prefs.username, prefs.theme = "chat.lan:8080", "ada", "dark"
    prefs.set_marks("chat.lan:8080", "Ada", {"general": 7})
    prefs.save()
    again = Prefs.load(tmp_path / "cfg")
    assert (again.server, again.username, again.theme) == ("chat.lan:8080", "ada", "dark")
    assert again.marks_for("chat.lan:8080", "ADA") == {"general": 7}
    assert again.load_session() is None
    again.save_session(Session("chat.lan:8080", "ada", "secret-token"))
    mode = stat.S_IMODE((tmp_path / "cfg" / "session.json").stat().st_mode)
    assert mode == 0o600
    assert again.load_session() == Session("chat.lan:8080", "ada", "secret-token")
    again.clear_session()
    assert again.load_session() is None
    (tmp_path / "cfg" / "desktop.json").write_text("{not json")
    assert Prefs.load(tmp_path / "cfg").server == "localhost:8080"


def test_notifications_are_rate_limited_per_room() -> None:
    now = [0.0]
    shown: list[tuple[str, str]] = []
    notifier = Notifier(desktop=lambda t, b: shown.append((t, b)), clock=lambda: now[0])
    assert notifier.notify("general", "Bob in #general", "hi")
    assert not notifier.notify("general", "Bob in #general", "again")
    assert notifier.notify("dm:ada:bob", "Bob", "psst")
    now[0] += 11
    assert notifier.notify("general", "Bob in #general", "later")
    assert [b for _, b in shown] == ["hi", "psst", "later"]


@given(st.from_regex(r"#[0-9a-f]{6}", fullmatch=True), st.sampled_from(["#ffffff", "#1e2227"]))
def test_names_stay_readable_on_both_themes(color: str, background: str) -> None:
    assert contrast(readable(color, background), background) >= 3.0


def test_typing_sentences() -> None:
    assert typing_sentence([]) == ""
    assert typing_sentence(["Bob"]) == "Bob is typing…"
    assert typing_sentence(["Bob", "Cy"]) == "Bob and Cy are typing…"
    assert typing_sentence(["A", "B", "C", "D"]) == "Several people are typing…"


def test_login_error_sentences() -> None:
    def say(exc: BaseException, create: bool = False) -> str:
        return login_error(exc, creating=create, server="chat.lan", username="ada")

    assert say(RequestError("auth_failed", "wrong username or password")) == (
        "Wrong username or password."
    )
    assert "“ada” is taken" in say(RequestError("username_taken", "taken"), True)
    assert "does not accept new accounts" in say(RequestError("registration_closed", "x"))
    assert "Try again in 4 s" in say(RequestError("throttled", "slow", 3.2))
    assert say(ConnectionLost("Cannot reach chat.lan: connection refused.")).startswith(
        "Cannot reach chat.lan"
    )


def test_attachments_are_laid_out_before_their_bytes_arrive() -> None:
    from chinwag.desktop.rows import THUMB_SLOT
    from chinwag.desktop.thumbs import display_size
    from chinwag.protocol.types import Attachment

    photo = Attachment(
        id="p1",
        name="harbour.jpg",
        size=482_113,
        content_type="image/jpeg",
        width=1600,
        height=1200,
        thumbnail="p1.t320",
        preview="p1.t1280",
    )
    pdf = Attachment(id="d1", name="minutes.pdf", size=90_211, content_type="application/pdf")
    lay = layout()
    runs = lay.message(msg(1, body="", attachments=[photo, pdf]), None)
    text = text_of(runs)
    # No empty body line; the picture's slot on a line of its own, then its name line.
    assert text == (
        f"Yesterday\nBob  09:00\n{THUMB_SLOT}\n"
        "harbour.jpg  482 KB  Open  Save\nminutes.pdf  90 KB  Save\n"
    )
    assert count_lines(runs) == text.count("\n")
    slot = next(tags for piece, tags in runs if piece == THUMB_SLOT)
    assert "thumbslot" in slot and "file:p1" in slot
    assert ("Save", ("action", "save:d1")) in runs
    assert lay.attachments == {"p1": photo, "d1": pdf}
    assert display_size(photo) == (320, 240)
    tall = Attachment(id="t", name="t.png", size=1, content_type="image/png", width=100, height=900)
    assert display_size(tall) == (27, 240)
    # A caption keeps its body line above the files.
    captioned = text_of(lay.message(msg(2, body="the plan", attachments=[pdf]), None))
    assert captioned.endswith("the plan\nminutes.pdf  90 KB  Save\n")
