"""The report's plots (matplotlib, the `bench` extra): latency against offered load
(fanout, rooms) and server memory against connections (idle)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(results: dict[str, dict[str, Any]], out: Path) -> list[Path]:
    """The PNGs: latency against offered load (fanout, rooms); RSS against connections."""
    try:
        import matplotlib
    except ImportError:
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    fan = results.get("fanout")
    if fan:
        sizes = sorted({run["connections"] for run in fan["runs"]})
        fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 4.5), sharey=True)
        for ax, n in zip(list(axes) if len(sizes) > 1 else [axes], sizes, strict=True):
            for run in fan["runs"]:
                if run["connections"] != n:
                    continue
                steps = [s for s in run["steps"] if s["valid"]]
                xs = [s["offered_deliveries_per_s"] / 1000 for s in steps]
                colour = "tab:blue" if run["server"] == "chinwag" else "tab:orange"
                for key, style in (("p99_ms", "-"), ("p50_ms", "--")):
                    ax.plot(
                        xs,
                        [s["latency"][key] for s in steps],
                        style,
                        color=colour,
                        marker="o" if key == "p99_ms" else ".",
                        label=f"{run['server']} {key[:-3]}",
                    )
            _latency_axes(ax, "offered deliveries/s (thousands)", f"{n:,} connections in a room")
        fig.suptitle("fanout: latency against offered load (valid steps)")
        written.append(_save(fig, out / "benchmarks-fanout.png"))
    rooms = results.get("rooms")
    if rooms:
        fig, ax = plt.subplots(figsize=(8, 5))
        steps = [s for s in rooms["run"]["steps"] if s["valid"]]
        xs = [s["offered_msgs_per_s"] for s in steps]
        for key, marker in (("p50_ms", "."), ("p99_ms", "o"), ("max_ms", "x")):
            ax.plot(xs, [s["latency"][key] for s in steps], marker=marker, label=key[:-3])
        _latency_axes(ax, "offered messages/s", "rooms: 1,000 DMs + 50 rooms of 20")
        written.append(_save(fig, out / "benchmarks-rooms.png"))
    idle = results.get("idle")
    if idle:
        fig, ax = plt.subplots(figsize=(8, 5))
        pts = idle["points"]
        ax.plot(
            [p["connections"] for p in pts],
            [p["rss_mib"] for p in pts],
            marker="o",
            label="chinwag server RSS",
        )
        xs = [0, max(p["connections"] for p in pts)]
        base = pts[0]["rss_mib"]
        ax.plot(xs, [base, base + xs[1] * 20 / 1024], ":", label="20 KiB per connection")
        ax.set_xlabel("logged-in idle connections")
        ax.set_ylabel("RSS (MiB)")
        ax.set_title("idle: server memory")
        ax.grid(True, alpha=0.3)
        ax.legend()
        written.append(_save(fig, out / "benchmarks-idle.png"))
    return written


def _latency_axes(ax: Any, xlabel: str, title: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel("latency (ms, log)")
    ax.set_yscale("log")
    ax.axhline(100, color="grey", linestyle=":", linewidth=1)
    ax.axhline(50, color="grey", linestyle=":", linewidth=1)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
