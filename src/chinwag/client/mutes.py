"""Being muted, as the muted user sees it (a part of `ChatState`).

The server tells a muted user at once (`muted`, on every connection, and again after
each login for every mute in force) and when the mute ends (`unmuted`: lifted, or run
out). The view-model keeps each mute in force (per room, or `None` for server-wide)
with its end, so that a window can say for how long in words and disable the message
box while it lasts.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chinwag.client.model import Update
from chinwag.client.people import People
from chinwag.client.wording import duration_words
from chinwag.protocol.events import Muted, Unmuted


@dataclasses.dataclass(frozen=True)
class Mute:
    room: str | None
    #: When it ends (ms since the epoch), or None: until someone lifts it.
    until: int | None
    reason: str = ""
    by: str | None = None
    by_display_name: str | None = None


class Mutes(People):
    mutes: dict[str | None, Mute]
    wall_clock: Callable[[], float]
    #: Mutes the server told of again since the last login (see `_mutes_confirmed`).
    _told: set[str | None]

    if TYPE_CHECKING:

        def room_title(self, room_id: str) -> str: ...

    # -- reading ---------------------------------------------------------------------------
    def mute_for(self, room_id: str | None) -> Mute | None:
        """The mute that keeps the user quiet in `room_id` (server-wide first), if any;
        one whose end has passed no longer counts (the server's `unmuted` is on its way)."""
        now = self.wall_clock() * 1000
        for key in (None, room_id) if room_id is not None else (None,):
            mute = self.mutes.get(key)
            if mute is not None and (mute.until is None or mute.until > now):
                return mute
        return None

    def time_left(self, mute: Mute) -> str:
        """ "for 59 minutes", or "until you are unmuted"."""
        if mute.until is None:
            return "until you are unmuted"
        return "for " + duration_words((mute.until - self.wall_clock() * 1000) / 1000)

    def mute_sentence(self, mute: Mute) -> str:
        """ "You are muted in #Project talk for 59 minutes by Ada: calm down"."""
        where = "on this server" if mute.room is None else f"in #{self.room_title(mute.room)}"
        by = mute.by_display_name or (self.display_name(mute.by) if mute.by else "")
        text = f"You are muted {where} {self.time_left(mute)}"
        text += f" by {by}" if by else ""
        return text + (f": {mute.reason}" if mute.reason else "")

    def mute_box_text(self, mute: Mute) -> str:
        """What the message box says while muted (the notice above has the rest):
        "You are muted here for 2 hours: let the others talk"."""
        where = "on this server" if mute.room is None else "here"
        reason = f": {mute.reason}" if mute.reason else ""
        return f"You are muted {where} {self.time_left(mute)}{reason}"

    def box_muted(self, room_id: str | None) -> str | None:
        """What a message box for `room_id` says while the user is muted there (None:
        not muted): in a room, by its mute or a server-wide one; in a DM, server-wide."""
        rs = self.rooms.get(room_id or "")
        if rs is None:
            return None
        mute = self.mute_for(None if rs.room.kind == "dm" else rs.id)
        return None if mute is None else self.mute_box_text(mute)

    def refused_send(self, room: str, message: str, retry_after: float | None) -> str:
        """Why a send refused as `muted` was not sent, in words."""
        mute = self.mute_for(room)
        if mute is not None:
            return f"Not sent: you are muted {self.time_left(mute)}"
        if retry_after is not None:
            return f"Not sent: you are muted for {duration_words(retry_after)}"
        return f"Not sent: {message}"

    # -- events ----------------------------------------------------------------------------
    def _on_muted(self, ev: Muted, update: Update) -> None:
        mute = Mute(
            room=ev.room,
            until=ev.until,
            reason=ev.reason or "",
            by=ev.by,
            by_display_name=ev.by_display_name,
        )
        known = self.mutes.get(mute.room)
        self.mutes[mute.room] = mute
        self._told.add(mute.room)
        update.muted = True
        if known is None or (known.until, known.reason) != (mute.until, mute.reason):
            update.notices.append(self.mute_sentence(mute))  # not again after each resume

    def _mutes_confirmed(self, update: Update) -> None:
        """Caught up after a login: the server has told of every mute in force, so one
        not told of again was lifted (or ran out) while this client was away."""
        for room in [room for room in self.mutes if room not in self._told]:
            del self.mutes[room]
            update.muted = True

    def _on_unmuted(self, ev: Unmuted, update: Update) -> None:
        if self.mutes.pop(ev.room, None) is None:
            return
        update.muted = True
        where = "on this server" if ev.room is None else f"in #{self.room_title(ev.room)}"
        update.notices.append(f"You are no longer muted {where}.")


def wall_clock() -> float:
    return time.time()
