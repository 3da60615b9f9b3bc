"""The report's plots (matplotlib, the `bench` extra): latency against offered load
(fanout, rooms), server memory against connections (idle), and deliveries/s by
deployment (scale)."""

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
    if results.get("scale"):
        written.append(_scale(plt, results["scale"], out / "benchmarks-scale.png"))
    return written


def _scale(plt: Any, result: dict[str, Any], path: Path) -> Path:
    """Deliveries/s of each deployment: sustained with p99 < 100 ms, and peak."""
    runs = result["runs"]
    fig, ax = plt.subplots(figsize=(9, 5))
    xs = list(range(len(runs)))
    sustained = [r["max_sustained_deliveries_per_s"] / 1000 for r in runs]
    peak = [r["peak_delivered_per_s"] / 1000 for r in runs]
    ax.bar([x - 0.2 for x in xs], sustained, 0.4, label="sustained, p99 < 100 ms")
    ax.bar([x + 0.2 for x in xs], peak, 0.4, label="peak delivered (valid step)", alpha=0.6)
    for x, low, high in zip(xs, sustained, peak, strict=True):
        ax.annotate(f"{low:,.0f}", (x - 0.2, low), ha="center", va="bottom", fontsize=8)
        ax.annotate(f"{high:,.0f}", (x + 0.2, high), ha="center", va="bottom", fontsize=8)
    one = next((r for r in runs if r["shape"] == "workers:1"), None)
    if one and one["max_sustained_deliveries_per_s"]:
        bar = 1.7 * one["max_sustained_deliveries_per_s"] / 1000
        ax.axhline(bar, color="tab:red", linestyle=":", label="bar for 2 workers: 1.7x 1 worker")
    labels = []
    for r in runs:
        shared = " (shared cores)" if r["shared_cores"] else ""
        labels.append(f"{r['title']}{shared}".replace(", ", "\n").replace(" (", "\n("))
    ax.set_xticks(xs, labels, fontsize=8)
    ax.set_ylabel("deliveries/s (thousands)")
    loads = [s["load"][0] for r in runs for s in r["steps"]] or [0.0]
    cores = result["machine"].get("cores")
    ax.set_title(
        f"scale: fan-out to {result['connections']:,} connections, PostgreSQL + Redis\n"
        f"{cores} cores; load average {min(loads):g}-{max(loads):g} during the run",
        fontsize=10,
    )
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize="small")
    return _save(fig, path)


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
