"""Garbage collection runs on the Tk thread only while the app is open: what another
thread allocates never makes it free Tk objects there."""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest

from tests.desktop.conftest import pump_until

pytestmark = pytest.mark.display


class Cycle:
    """Garbage that only the cyclic collector frees; says on which thread it was."""

    def __init__(self, freed_in: list[str]) -> None:
        self.me = self
        self.freed_in = freed_in

    def __del__(self) -> None:
        self.freed_in.append(threading.current_thread().name)


#: What the other thread allocated, kept: its count stays past the threshold.
KEPT: list[list[object]] = []


def allocate_a_lot() -> None:
    """Far more new containers than the youngest generation's threshold."""
    KEPT.append([[] for _ in range(gc.get_threshold()[0] * 3)])


def test_garbage_is_collected_on_the_tk_thread_only(display: str) -> None:
    import tkinter as tk

    from chinwag.desktop.collect import TkCollector

    assert gc.isenabled()
    # Without the collector, the other thread's allocations free the cycle there.
    freed_in: list[str] = []
    Cycle(freed_in)
    worker = threading.Thread(target=allocate_a_lot, name="network")
    worker.start()
    worker.join()
    assert freed_in == ["network"]

    root: Any = tk.Tk()
    collector = TkCollector(root)
    collector.start()
    try:
        assert not gc.isenabled()
        freed_in.clear()
        Cycle(freed_in)
        worker = threading.Thread(target=allocate_a_lot, name="network")
        worker.start()
        worker.join()
        assert freed_in == []  # not there
        pump_until(root, lambda: freed_in, what="a collection on the Tk thread")
        assert freed_in == [threading.current_thread().name]
    finally:
        collector.stop()
        root.destroy()
        KEPT.clear()
    assert gc.isenabled()


def test_two_apps_open_keep_collection_on_the_tk_thread_until_both_close(
    display: str,
) -> None:
    import tkinter as tk

    from chinwag.desktop.collect import TkCollector

    roots: list[Any] = [tk.Tk(), tk.Tk()]
    first, second = (TkCollector(root) for root in roots)
    first.start()
    second.start()
    first.stop()
    assert not gc.isenabled()
    second.stop()
    assert gc.isenabled()
    for root in roots:
        root.destroy()
