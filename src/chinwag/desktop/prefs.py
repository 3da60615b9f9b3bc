"""What the desktop app remembers between runs, in the user's config directory.

- `desktop.json` (readable by the user only): the last server and username, the theme,
  notification choices (desktop notifications, the bell, and whether they are for direct
  messages and @mentions only or for every message), and per account the newest seq
  read in each room (for unread counts at the next start) and the messages typed but
  not yet stored by the server when the app closed or the account logged out (sent at
  its next login, with the same `client_msg_id`, so never twice, and quoting what they
  replied to), and per room what was typed in the message box and not sent (with the
  message it replies to);
- `session.json`: the session token, readable by the user only (mode 0600), removed at
  logout, so that the next start logs straight back in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import msgspec
import platformdirs

from chinwag.desktop.mentions import EVERY, NOTIFY_CHOICES

DEFAULT_SERVER = "localhost:8080"


def default_config_dir() -> Path:
    env = os.environ.get("CHINWAG_DESKTOP_CONFIG")
    if env:
        return Path(env)
    return platformdirs.user_config_path("chinwag", appauthor=False) / "desktop"


@dataclasses.dataclass
class Session:
    server: str
    username: str
    token: str


@dataclasses.dataclass
class Unsent:
    """A message typed but not stored by the server yet, kept across runs, with the seq
    of the message of its room it replies to (None: none; absent in older files)."""

    room: str
    body: str
    client_msg_id: str
    ts: int
    reply_to: int | None = None


@dataclasses.dataclass
class Draft:
    """What was typed in a room's message box and not sent, kept when another room is
    shown and across runs: the text, and the message it replies to (its seq and the
    "Replying to …" sentence shown above the box)."""

    text: str
    reply_to: int | None = None
    quote: str = ""


@dataclasses.dataclass
class Prefs:
    directory: Path = dataclasses.field(default_factory=default_config_dir)
    server: str = DEFAULT_SERVER
    username: str = ""
    theme: str = "light"
    notifications: bool = True
    sound: bool = True
    notify_of: str = EVERY
    geometry: str = ""
    read_marks: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    unsent: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    drafts: dict[str, dict[str, dict[str, Any]]] = dataclasses.field(default_factory=dict)

    _SAVED = (
        "server",
        "username",
        "theme",
        "notifications",
        "sound",
        "notify_of",
        "geometry",
        "read_marks",
        "unsent",
        "drafts",
    )

    @classmethod
    def load(cls, directory: Path | None = None) -> Prefs:
        prefs = cls(directory=directory or default_config_dir())
        data = _read_json(prefs.directory / "desktop.json")
        for name in cls._SAVED:
            default = getattr(prefs, name)
            value = data.get(name, default)
            if isinstance(value, type(default)):
                setattr(prefs, name, value)
        if prefs.theme not in ("light", "dark"):
            prefs.theme = "light"
        if prefs.notify_of not in NOTIFY_CHOICES:
            prefs.notify_of = EVERY
        return prefs

    def save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = {name: getattr(self, name) for name in self._SAVED}
        _write_private(self.directory / "desktop.json", json.dumps(data, indent=2))

    # -- the session token -----------------------------------------------------------------
    @property
    def session_file(self) -> Path:
        return self.directory / "session.json"

    def load_session(self) -> Session | None:
        data = _read_json(self.session_file)
        try:
            session = Session(str(data["server"]), str(data["username"]), str(data["token"]))
        except KeyError:
            return None
        return session if session.token else None

    def save_session(self, session: Session) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_private(self.session_file, json.dumps(dataclasses.asdict(session)))

    def clear_session(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.session_file.unlink()

    # -- read positions --------------------------------------------------------------------
    @staticmethod
    def account_key(server: str, username: str) -> str:
        return f"{username.lower()}@{server}"

    def marks_for(self, server: str, username: str) -> dict[str, int]:
        return dict(self.read_marks.get(self.account_key(server, username), {}))

    def set_marks(self, server: str, username: str, marks: dict[str, int]) -> None:
        self.read_marks[self.account_key(server, username)] = dict(marks)

    # -- messages not sent yet -------------------------------------------------------------
    def set_unsent(self, server: str, username: str, items: list[Unsent]) -> None:
        key = self.account_key(server, username)
        if items:
            self.unsent[key] = [dataclasses.asdict(item) for item in items]
        else:
            self.unsent.pop(key, None)

    def take_unsent(self, server: str, username: str) -> list[Unsent]:
        """The account's unsent messages, oldest first, forgotten here."""
        saved = self.unsent.pop(self.account_key(server, username), [])
        try:
            items = msgspec.convert(saved, list[Unsent])
        except msgspec.ValidationError:  # a hand-edited or older file: nothing to send
            return []
        return sorted(items, key=lambda item: item.ts)

    def set_drafts(self, server: str, username: str, drafts: dict[str, Draft]) -> None:
        key = self.account_key(server, username)
        if drafts:
            self.drafts[key] = {room: dataclasses.asdict(d) for room, d in drafts.items()}
        else:
            self.drafts.pop(key, None)

    def take_drafts(self, server: str, username: str) -> dict[str, Draft]:
        """The account's drafts by room, forgotten here."""
        saved = self.drafts.pop(self.account_key(server, username), {})
        try:
            return msgspec.convert(saved, dict[str, Draft])
        except msgspec.ValidationError:  # a hand-edited file: no draft
            return {}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, replacing it atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    with contextlib.suppress(OSError):
        os.chmod(tmp, 0o600)
    os.replace(tmp, path)
