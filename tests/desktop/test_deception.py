"""The desktop app draws bidi controls harmless: "\u202egnp.exe" reads as typed, with a
boxed tag where the control was, and a link that holds one shows (and opens) its real
address. The rules without a display, then the real app under Xvfb."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chinwag.client import Client
from chinwag.desktop.notify import Notifier
from chinwag.desktop.rows import (
    BIDI_CONTROLS,
    HAIR_SPACE,
    THIN_SPACE,
    Layout,
    bidi_as_text,
    link_target,
    real_address,
    split_bidi,
)
from chinwag.protocol.types import Message
from tests.client.conftest import RestartableServer
from tests.desktop.conftest import LoopThread, MakeApp, log_in, pump, pump_until

if TYPE_CHECKING:  # Tk is imported by the fixtures, which skip (or fail in CI) without it
    from chinwag.desktop.app import DesktopApp

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
SPOOF = "my holiday photo \u202egnp.exe"
LINK = "get it at https://example.com/files/\u202egnp.exe now"
REAL = "https://example.com/files/%E2%80%AEgnp.exe"


def tag(name: str) -> str:
    """How a control's tag reads in the Text widget: its name, padded inside its box."""
    return f"{HAIR_SPACE}{name}{HAIR_SPACE}"


def layout() -> Layout:
    return Layout(str.title, tz=dt.UTC, today=lambda: dt.date(2026, 3, 3))


def runs_of(body: str) -> list[tuple[str, tuple[str, ...]]]:
    return layout().body(body, ("body",))


def test_every_bidi_control_has_a_tag() -> None:
    assert "".join(BIDI_CONTROLS) == BIDI
    assert split_bidi(f"a{BIDI}b") == [
        ("a", False),
        *((name, True) for name in BIDI_CONTROLS.values()),
        ("b", False),
    ]
    assert split_bidi("plain") == [("plain", False)]
    assert bidi_as_text("photo \u202egnp.exe\u2069") == "photo [RLO]gnp.exe[PDI]"


def test_a_spoofed_body_reads_as_typed_with_a_tag() -> None:
    runs = runs_of(SPOOF)
    assert runs == [
        ("my holiday photo ", ("body",)),
        (tag("RLO"), ("body", "bidi")),
        ("gnp.exe", ("body",)),
        ("\n", ("body",)),
    ]
    assert not set("".join(text for text, _ in runs)) & set(BIDI)


def test_a_link_that_holds_a_control_shows_its_real_address() -> None:
    runs = runs_of(LINK)
    assert (REAL, ("body", "url")) in runs
    assert link_target(REAL) == REAL  # what a click opens is what is shown
    assert real_address("www.x.test/\u2066a") == "https://www.x.test/%E2%81%A6a"
    assert real_address("https://x.test/a?q=\u202e#\u200f") == (
        "https://x.test/a?q=%E2%80%AE#%E2%80%8F"
    )
    assert real_address("https://x.test/a%20b") == "https://x.test/a%20b"  # kept as is
    # a control in the host: no such host, so no link, and the control is a tag
    host = runs_of("https://exa\u202emple.com/")
    assert all("url" not in tags for _, tags in host)
    assert (tag("RLO"), ("body", "bidi")) in host
    # links without controls are shown as written
    assert ("https://example.com/é", ("body", "url")) in runs_of("see https://example.com/é")


def test_system_lines_and_pending_sends_are_drawn_the_same_way() -> None:
    lay = layout()
    system = Message(room="general", seq=2, sender="bob", body="bob\u202e joined", ts=0,
                     kind="system")  # fmt: skip
    runs = lay.message(system, None)
    assert (tag("RLO"), ("system", "bidi")) in runs


# -- the real app, under Xvfb ----------------------------------------------------------------
@pytest.fixture
def ada_and_mallory(
    make_app: MakeApp, chat_server: RestartableServer, other: Callable[..., Client]
) -> tuple[DesktopApp, Client]:
    app = make_app(chat_server.address, notifier=Notifier(quiet=0))
    log_in(app, "ada", create=True)
    mallory = other("mallory")
    pump_until(app.root, lambda: "mallory joined" in timeline_text(app), what="the join")
    return app, mallory


def timeline_text(app: DesktopApp) -> str:
    assert app.main is not None
    return str(app.main.timeline.text.get("1.0", "end"))


@pytest.mark.display
def test_the_timeline_draws_bidi_controls_as_tags(
    ada_and_mallory: tuple[DesktopApp, Client], loop_thread: LoopThread, tmp_path: Path
) -> None:
    app, mallory = ada_and_mallory
    run = loop_thread.run
    for body in (SPOOF, LINK, f"all of them: {BIDI}"):
        sent = run(mallory.send("general", body))
        assert sent.body == body  # stored as sent
    pump_until(app.root, lambda: "all of them" in timeline_text(app), what="the messages")
    assert app.main is not None
    text = app.main.timeline.text
    shown = timeline_text(app)
    assert f"my holiday photo {tag('RLO')}gnp.exe\n" in shown
    assert f"get it at {REAL} now\n" in shown
    assert not set(shown) & set(BIDI)

    def tagged(tag: str) -> list[str]:
        ranges = text.tag_ranges(tag)
        return [text.get(a, b) for a, b in zip(ranges[::2], ranges[1::2], strict=True)]

    # each in a box of its own, a thin space apart
    assert tagged("bidi") == [tag(name) for name in ("RLO", *BIDI_CONTROLS.values())]
    assert THIN_SPACE.join(map(tag, BIDI_CONTROLS.values())) in shown
    assert tagged("url") == [REAL]
    assert text.tag_cget("bidi", "foreground") == app.palette.danger
    assert text.tag_cget("bidi", "background") not in ("", app.palette.bg)
    if shutil.which("import"):  # what it looks like (kept by the test run, not asserted)
        app.root.update()
        window = app.root.winfo_toplevel().wm_frame()
        subprocess.run(["import", "-window", window, str(tmp_path / "bidi.png")], check=True)


@pytest.mark.display
def test_a_notification_writes_the_controls_out(
    ada_and_mallory: tuple[DesktopApp, Client], loop_thread: LoopThread
) -> None:
    app, mallory = ada_and_mallory
    app.set_focused(False)
    loop_thread.run(mallory.send("general", SPOOF))
    pump_until(app.root, lambda: app.notifier.sent, what="the notification")
    assert app.notifier.sent == [("mallory in #general", "my holiday photo [RLO]gnp.exe")]
    pump(app.root, 0.05)
