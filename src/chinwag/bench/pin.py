"""`python -m chinwag.bench.pin CPUS NOFILE -- COMMAND...`: run COMMAND on the cores
CPUS (e.g. "0" or "0,1"; "-" for any) with at least NOFILE open files allowed.

The affinity is set before COMMAND starts, so every thread it creates (the SQLite and
argon2 pools included) stays on those cores; COMMAND gets SIGTERM if the bench dies.
"""

from __future__ import annotations

import os
import sys

from chinwag.bench.worker import raise_nofile


def _end_with_parent() -> None:
    """Ask Linux to send SIGTERM when the bench that started us dies (a killed bench
    then leaves no server behind). PR_SET_PDEATHSIG survives the exec below."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before the call
        raise SystemExit(1)


def main(argv: list[str]) -> None:
    if len(argv) < 4 or argv[2] != "--":
        raise SystemExit("usage: python -m chinwag.bench.pin CPUS NOFILE -- COMMAND...")
    cpus, nofile, command = argv[0], int(argv[1]), argv[3:]
    _end_with_parent()
    if cpus != "-" and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})
    raise_nofile(nofile)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
