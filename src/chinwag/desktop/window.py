"""The window of the desktop timeline: which run of a room's messages is drawn in the
Text, and how it moves as the user scrolls.

At most `WINDOW` messages are drawn. Scrolling to the top draws the next older `CHUNK`
in front (from memory, then from the server's history), keeping the message at the top
of the view where it was, and drops as many of the newest from the bottom; scrolling
back down draws them again, dropping the oldest from the top in a task of its own. Each
of these costs one chunk, whatever the room holds: the messages held are found by
bisection of the room's seqs, never walked. A cProfile of paging up a long room put most
of the time in Tk itself (its event loop redrawing and measuring lines, then the Text's
insert and delete), and about a sixth in laying out rows in Python: both grow with the
chunk, so a chunk is 100 messages (it was 300), and the window 500.

The run drawn is the room's held messages, or a far-back run of it (far.py) while the
user reads around a message far older than those: its ends then ask for the pages beyond
them (`on_far`) instead of the room's older history, and the newest are never drawn.
"""

from __future__ import annotations

import bisect
import tkinter as tk
from collections.abc import Callable
from typing import Any

from chinwag.client.model import RoomState
from chinwag.client.state import ChatState
from chinwag.desktop.far import FarRun
from chinwag.protocol.types import Message

#: How many messages are drawn at a time.
CHUNK = 100
#: The most messages drawn at once: scrolling on past them drops the far end (and draws
#: it again on the way back), so that a room of 100,000 costs what a few chunks do.
WINDOW = 5 * CHUNK


class Window:
    """The scrolling half of `TimelineView`, which draws the rows (`_runs`) and holds
    what is declared here."""

    text: tk.Text
    scrollbar: Any
    state: ChatState
    room_id: str | None
    at_bottom: bool
    #: Whether the newest message held is drawn (the window reaches the end).
    newest_drawn: bool
    #: (first line, seq) of each message drawn, ascending.
    _starts: list[tuple[int, int]]
    _last: Message | None
    _revealing: bool
    _next_line: int
    on_scrolled: Callable[[bool], Any]
    on_load_older: Callable[[str], Any]
    #: Asked for the page "older" or "newer" than the far-back run drawn.
    on_far: Callable[[str], Any] | None
    #: The far-back run drawn instead of the room's held messages, if any.
    away: FarRun | None
    _runs: Callable[..., list[Any]]
    _place_thumbs: Callable[[], None]
    _redraw_header: Callable[[RoomState], None]
    _draw_pending: Callable[[RoomState | None], None]
    show: Callable[..., None]
    show_jump: Callable[[int], None]
    #: Whether the view shows a message (a room's timeline: not a thread reply that was
    #: not also sent to the room).
    shown: Callable[[Message], bool]
    on_drawn: list[Callable[[], Any]]
    #: Called whenever the view moves (scrolled, or its text changed).
    on_moved: list[Callable[[], Any]]

    def drawn(self) -> RoomState | None:
        """The run the view draws: the far-back one, or the room's held messages."""
        if self.away is not None:
            return self.away.rs
        return self.state.rooms.get(self.room_id or "")

    def show_far(self, run: FarRun, seq: int) -> None:
        """Draw the far-back run `run` around its message `seq` in place of the room's
        newest messages, until it joins them or is let go (`show` of another run)."""
        self.away = run
        self.at_bottom = False
        self.show(run.rs, around=seq)

    def joined(self, rs: RoomState) -> None:
        """The far-back run drawn has joined the room's held messages `rs` (which now
        begin with it): the view stays, and goes on down into the room's newer ones."""
        self.away = None
        if self._starts and self._end_in_view():
            self.reveal_newer(rs)
        self.show_jump(rs.unseen_below)

    def reveal_older(self, rs: RoomState) -> bool:
        """Draw the chunk of held messages just older than those drawn, in front,
        keeping the view where it is. False when there is none (ask the server)."""
        if rs.id != self.room_id or not self._starts:
            return False
        first_seq = self._starts[0][1]
        i = bisect.bisect_left(rs.seqs, first_seq)
        if i == 0:
            self._redraw_header(rs)
            return False
        start = max(0, i - CHUNK)
        # Held messages the view does not show (thread replies) are no chunk: further
        # back until one is shown, else drawing nothing new would be asked again and
        # again, as long as the view stays at the top.
        while not any(self.shown(rs.messages[seq]) for seq in rs.seqs[start:i]):
            if start == 0:
                self._redraw_header(rs)
                return False
            start = max(0, start - CHUNK)
        anchor = self.top_seq()
        chunk = rs.seqs[start:i]
        old_starts = self._starts
        end_of_first = old_starts[1][0] if len(old_starts) > 1 else self._confirmed_line()
        # Redraw the old first message too: its day line and grouping depend on what
        # now comes before it.
        self._starts, last = [], self._last
        self._last = None
        args = self._runs(rs, [*chunk, first_seq], 2, header=True)
        shift = self._next_line - end_of_first
        self._starts += [(line + shift, seq) for line, seq in old_starts[1:]]
        self._last = last
        t = self.text
        t.configure(state="normal")
        t.delete("1.0", f"{end_of_first}.0")
        t.insert("1.0", *args)
        self._place_thumbs()
        if len(self._starts) > WINDOW:
            self._drop_newest(rs, len(self._starts) - WINDOW)
        t.configure(state="disabled")
        if anchor is not None and self.line_of(anchor) is not None:
            self.scroll_to_seq(anchor)
        else:  # the view was among the messages dropped: stay at the top
            t.yview("1.0")
        for hook in self.on_drawn:
            hook()
        return True

    def _drop_newest(self, rs: RoomState, count: int) -> None:
        """Forget the newest `count` drawn messages (and the pending sends after them)."""
        keep = self._starts[:-count]
        self.text.delete(f"{self._starts[-count][0]}.0", "end")
        self.text.mark_set("confirmed", "end-1c")
        self._starts = keep
        self._last = rs.messages.get(keep[-1][1]) if keep else None
        self.newest_drawn = False

    def reveal_newer(self, rs: RoomState) -> bool:
        """Draw the chunk of messages just newer than those drawn, at the bottom, and
        drop as many of the oldest from the top. False when the newest are drawn."""
        if rs.id != self.room_id or not self._starts or self.newest_drawn:
            return False
        i = bisect.bisect_right(rs.seqs, self._starts[-1][1])
        chunk = rs.seqs[i : i + CHUNK]
        far = self.away is not None and rs is self.away.rs
        if far and not chunk:
            return False  # the end of the far-back run: the next page is asked for
        t = self.text
        t.configure(state="normal")
        if chunk:  # below the view: it does not move
            t.insert("confirmed", *self._runs(rs, chunk, self._confirmed_line(), header=False))
            self._place_thumbs()
        if i + CHUNK >= len(rs.seqs) and not far:
            self.newest_drawn = True
            self._draw_pending(rs)
        t.configure(state="disabled")
        # Dropping the oldest moves every line: a task of its own, after this one.
        t.after_idle(self._trim_top, rs.id)
        return True

    def _trim_top(self, room_id: str) -> None:
        rs = self.drawn()
        over = len(self._starts) - WINDOW
        if rs is None or room_id != self.room_id or over <= 0:
            return
        anchor = self.top_seq()
        t = self.text
        t.configure(state="normal")
        self._drop_oldest(rs, over)
        t.configure(state="disabled")
        if anchor is not None and self.line_of(anchor) is not None:
            self.scroll_to_seq(anchor)
        else:  # the view was among the messages dropped: stay at the end
            t.yview_moveto(1.0)

    def _drop_oldest(self, rs: RoomState, count: int) -> None:
        """Forget the oldest `count` drawn messages; the new first one is drawn again
        (its day line and name no longer follow anything), under the header."""
        first_seq = self._starts[count][1]
        end = self._starts[count + 1][0] if count + 1 < len(self._starts) else None
        end_index = f"{end}.0" if end is not None else "confirmed"
        rest = self._starts[count + 1 :]
        last = self._last
        self._starts, self._last = [], None
        args = self._runs(rs, [first_seq], 2, header=True)
        old_end = end if end is not None else self._confirmed_line()
        shift = self._next_line - old_end
        self._starts += [(line + shift, seq) for line, seq in rest]
        self._last = last
        self.text.delete("1.0", end_index)
        self.text.insert("1.0", *args)
        self._place_thumbs()

    def _confirmed_line(self) -> int:
        return int(self.text.index("confirmed").split(".")[0])

    # -- scrolling -------------------------------------------------------------------------
    def _on_scroll(self, first: str, last: str) -> None:
        self.scrollbar.set(first, last)
        for hook in self.on_moved:
            hook()
        if float(first) <= 0.0 and float(last) >= 1.0:
            self.scrollbar.grid_remove()
        else:
            self.scrollbar.grid()
        at_end = float(last) >= 0.999 or self._end_in_view()
        at_bottom = at_end and self.newest_drawn
        if at_bottom != self.at_bottom:
            self.at_bottom = at_bottom
            self.on_scrolled(at_bottom)
        if float(first) <= 0.0 and self.room_id is not None and not self._revealing:
            self._revealing = True
            self.text.after_idle(self._at_top)
        elif at_end and not self.newest_drawn and not self._revealing:
            self._revealing = True
            self.text.after_idle(self._at_end)

    def _at_top(self) -> None:
        self._revealing = False
        rs = self.drawn()
        if rs is None or self.reveal_older(rs):
            return
        if self.away is None:
            self.on_load_older(rs.id)
        elif self.on_far is not None:
            self.on_far("older")

    def _at_end(self) -> None:
        self._revealing = False
        rs = self.drawn()
        if rs is None or not self._end_in_view() or self.reveal_newer(rs):
            return
        if self.away is not None and self.on_far is not None:
            self.on_far("newer")

    def _end_in_view(self) -> bool:
        """Whether the last line drawn is in view: exact, where the scroll fractions are
        estimates while Tk measures new lines in the background."""
        bottom = self.text.index(f"@0,{self.text.winfo_height()}")
        return int(bottom.split(".")[0]) >= self._confirmed_line() - 1

    def top_seq(self) -> int | None:
        """The seq of the message at the top of the view."""
        if not self._starts:
            return None
        line = int(self.text.index("@0,0").split(".")[0])
        i = bisect.bisect_right(self._starts, (line, 2**63)) - 1
        return self._starts[max(i, 0)][1]

    def line_of(self, seq: int) -> int | None:
        i = bisect.bisect_left(self._starts, seq, key=lambda start: start[1])
        if i < len(self._starts) and self._starts[i][1] == seq:
            return self._starts[i][0]
        return None

    def seq_at(self, index: str) -> int | None:
        """The seq of the stored message drawn at Text index `index` (None: the header
        line, a pending send, or nothing)."""
        line = int(self.text.index(index).split(".")[0])
        if not self._starts or line >= self._confirmed_line():
            return None
        i = bisect.bisect_right(self._starts, (line, 2**63)) - 1
        return self._starts[i][1] if i >= 0 else None

    def lines_of(self, seq: int) -> tuple[int, int] | None:
        """The first line of message `seq` and the line after its last one."""
        i = bisect.bisect_left(self._starts, seq, key=lambda start: start[1])
        if i >= len(self._starts) or self._starts[i][1] != seq:
            return None
        end = self._starts[i + 1][0] if i + 1 < len(self._starts) else self._confirmed_line()
        return self._starts[i][0], end

    def reveal(self, seq: int) -> None:
        """Scroll just enough for message `seq` to be in view."""
        lines = self.lines_of(seq)
        if lines is not None:
            self.text.see(f"{lines[1] - 1}.0")
            self.text.see(f"{lines[0]}.0")

    def scroll_to_seq(self, seq: int, above: int = 0) -> None:
        line = self.line_of(seq)
        if line is not None:
            self.text.yview(f"{max(1, line - above)}.0")
