"""Telling the user about a message they cannot see: the window title, the bell, the
taskbar, and a desktop notification where the platform has one. All of it degrades
silently: a missing tool is simply not used."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence


def _spawn(argv: Sequence[str]) -> None:
    with contextlib.suppress(OSError):
        subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )


def desktop_backend() -> Callable[[str, str], None] | None:
    """A function showing a desktop notification, or None on this platform."""
    if sys.platform == "darwin" and shutil.which("osascript"):

        def mac(title: str, body: str) -> None:
            script = f"display notification {_applescript(body)} with title {_applescript(title)}"
            _spawn(["osascript", "-e", script])

        return mac
    notify_send = shutil.which("notify-send")
    if notify_send:

        def freedesktop(title: str, body: str) -> None:
            _spawn([notify_send, "--app-name=chinwag", "--", title, body])

        return freedesktop
    return None


def _applescript(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def urgency_backend() -> Callable[[str], None] | None:
    """A function asking the window manager to flag a window (X11, with xdotool)."""
    xdotool = shutil.which("xdotool")
    if sys.platform.startswith("linux") and xdotool:

        def urgent(window_id: str) -> None:
            _spawn([xdotool, "set_window", "--urgency", "1", str(int(window_id, 0))])

        return urgent
    return None


class Notifier:
    """At most one desktop notification per room every `quiet` seconds."""

    def __init__(
        self,
        *,
        desktop: Callable[[str, str], None] | None = None,
        urgency: Callable[[str], None] | None = None,
        quiet: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.desktop = desktop
        self.urgency = urgency
        self.quiet = quiet
        self.clock = clock
        self._last: dict[str, float] = {}
        self.sent: list[tuple[str, str]] = []

    @classmethod
    def for_platform(cls) -> Notifier:
        return cls(desktop=desktop_backend(), urgency=urgency_backend())

    def notify(self, key: str, title: str, body: str) -> bool:
        now = self.clock()
        if now - self._last.get(key, -1e9) < self.quiet:
            return False
        self._last[key] = now
        self.sent.append((title, body))
        if self.desktop is not None:
            self.desktop(title, body[:200])
        return True

    def flag_window(self, window_id: str) -> None:
        if self.urgency is not None and window_id:
            self.urgency(window_id)
