"""Reading py-spy's collapsed stacks (`py-spy record -f raw --threads`): where the time went.

    python -m chinwag.bench.profile benchmarks/profiles/raw/durable-alone.txt [TOP]

prints, as Markdown, each thread's share of the samples, then for each busy thread the
functions with the most samples, inclusive ("in it or below") and exclusive ("in it").
py-spy samples without stopping the server (--nonblocking): a sample in a function
implemented in C (uvloop's poll, a socket write, a GIL wait) is counted against the
Python frame that called it.
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

_LOCATION = re.compile(r"\(([^:)]*/)?([^:/)]*)(:\d+)?\)")


def _frame(text: str) -> str:
    """'send (chinwag/server/messaging.py:45)' -> 'send (messaging.py)'."""
    return _LOCATION.sub(r"(\2)", text.strip())


def _thread(text: str) -> str:
    """'thread (0x7f..): MainThread' or 'thread (123): chinwag-sqlite-write_0'."""
    name = text.split(":", 1)[1].strip() if ":" in text else text
    return re.sub(r"_\d+$", "", name)


def load(path: Path) -> dict[str, list[tuple[list[str], int]]]:
    """Stacks by thread: thread name -> [(frames outermost first, samples)]."""
    threads: dict[str, list[tuple[list[str], int]]] = collections.defaultdict(list)
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        name = _thread(frames[0]) if frames[0].startswith("thread") else "?"
        threads[name].append(([_frame(f) for f in frames[1:] if f], int(count)))
    return threads


def summarize(path: Path, top: int = 15) -> str:
    threads = load(path)
    total = sum(n for stacks in threads.values() for _, n in stacks)
    if not total:
        return f"{path.name}: no samples"
    lines = [
        f"#### {path.stem} ({total} samples)",
        "",
        "| thread | share of samples |",
        "|---|---:|",
    ]
    shares = sorted(
        ((sum(n for _, n in stacks), name) for name, stacks in threads.items()), reverse=True
    )
    for samples, name in shares:
        lines.append(f"| {name} | {100 * samples / total:.1f}% |")
    for samples, name in shares:
        if samples < 0.1 * total:
            continue
        inclusive: collections.Counter[str] = collections.Counter()
        exclusive: collections.Counter[str] = collections.Counter()
        for frames, n in threads[name]:
            for frame in set(frames):
                inclusive[frame] += n
            if frames:
                exclusive[frames[-1]] += n
        lines += [
            "",
            f"{name}, as shares of its own samples:",
            "",
            "| inclusive | exclusive | function |",
            "|---:|---:|---|",
        ]
        widest = max(inclusive.values(), default=0)
        for frame, n in inclusive.most_common(top + 8):
            if exclusive[frame] == 0 and n == widest:
                continue  # the frames every stack has (thread start, entry point)
            lines.append(
                f"| {100 * n / samples:.1f}% | {100 * exclusive[frame] / samples:.1f}% "
                f"| `{frame}` |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    print(summarize(Path(args[0]), int(args[1]) if len(args) > 1 else 15))
