"""Garbage collection on the Tk thread only.

Tk may be called only from the thread that made its interpreter. A widget, a variable or
an image left in a reference cycle (a closed pane, a dialog and its callbacks) is freed
by Python's cyclic garbage collector, which runs in whichever thread happens to allocate
when its counts pass their thresholds: often the network thread. Their `__del__` then
calls Tcl from that thread ("main thread is not in main loop"; an interpreter freed
there aborts the process). So while the app runs, automatic collection is off and the
Tk thread collects on a timer, as often as the collector's own thresholds ask; a full
collection at most once a minute (CPython also holds one back until enough survived).
"""

from __future__ import annotations

import gc
import time
import tkinter as tk

#: How often the Tk thread looks whether a collection is due.
TICK_MS = 250
#: The least time between two full collections, in seconds.
FULL_EVERY = 60.0

#: Collectors running (apps open); automatic collection is back on when none is.
_running = 0


class TkCollector:
    def __init__(self, root: tk.Misc) -> None:
        self.root = root
        self.running = False
        self._last_full = time.monotonic()

    def start(self) -> None:
        global _running
        if self.running:
            return
        self.running = True
        _running += 1
        gc.disable()
        self.root.after(TICK_MS, self._tick)

    def stop(self) -> None:
        """Stop collecting here; with no app left, automatic collection is back."""
        global _running
        if not self.running:
            return
        self.running = False
        _running -= 1
        if _running == 0:
            gc.enable()

    def _tick(self) -> None:
        if not self.running:
            return
        self.collect_due()
        self.root.after(TICK_MS, self._tick)

    def collect_due(self) -> int:
        """Collect the youngest generation whose count passed its threshold (0, 1 or,
        once a minute at most, 2); returns the generation collected, or -1."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        now = time.monotonic()
        if counts[2] > thresholds[2] and now - self._last_full >= FULL_EVERY:
            self._last_full = now
            gc.collect(2)
            return 2
        for generation in (1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return generation
        return -1
