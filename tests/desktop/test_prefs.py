"""What the desktop app remembers between runs (no display needed)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from chinwag.desktop.prefs import Prefs, Unsent


def test_settings_marks_and_unsent_round_trip_privately(tmp_path: Path) -> None:
    prefs = Prefs.load(tmp_path)
    prefs.theme = "dark"
    prefs.set_marks("host:8080", "Ada", {"general": 7})
    prefs.set_unsent(
        "host:8080",
        "Ada",
        [Unsent("general", "second", "c2", 20), Unsent("general", "first", "c1", 10)],
    )
    prefs.save()
    assert stat.S_IMODE((tmp_path / "desktop.json").stat().st_mode) == 0o600
    again = Prefs.load(tmp_path)
    assert again.theme == "dark"
    assert again.marks_for("host:8080", "ADA") == {"general": 7}
    assert again.take_unsent("host:8080", "ada") == [
        Unsent("general", "first", "c1", 10),
        Unsent("general", "second", "c2", 20),
    ]
    assert again.take_unsent("host:8080", "ada") == []  # taken once
    assert again.take_unsent("other:8080", "ada") == []


def test_nothing_unsent_leaves_no_entry(tmp_path: Path) -> None:
    prefs = Prefs.load(tmp_path)
    prefs.set_unsent("h", "ada", [Unsent("general", "x", "c", 1)])
    prefs.set_unsent("h", "ada", [])
    assert prefs.unsent == {}


def test_a_damaged_file_gives_defaults_and_sends_nothing(tmp_path: Path) -> None:
    bad = {"theme": "purple", "unsent": {"ada@h": [{"room": 1, "body": None}]}, "sound": "no"}
    (tmp_path / "desktop.json").write_text(json.dumps(bad))
    prefs = Prefs.load(tmp_path)
    assert (prefs.theme, prefs.sound) == ("light", True)
    assert prefs.take_unsent("h", "ada") == []
    (tmp_path / "desktop.json").write_text("{not json")
    assert Prefs.load(tmp_path).unsent == {}


def test_what_to_be_notified_of_is_kept_and_old_files_still_load(tmp_path: Path) -> None:
    assert Prefs.load(tmp_path).notify_of == "every"  # no file: the default
    (tmp_path / "desktop.json").write_text(json.dumps({"theme": "dark", "sound": False}))
    old = Prefs.load(tmp_path)  # written before the choice existed
    assert (old.theme, old.sound, old.notify_of) == ("dark", False, "every")
    old.notify_of = "mentions"
    old.save()
    assert Prefs.load(tmp_path).notify_of == "mentions"
    (tmp_path / "desktop.json").write_text(json.dumps({"notify_of": "sometimes"}))
    assert Prefs.load(tmp_path).notify_of == "every"
