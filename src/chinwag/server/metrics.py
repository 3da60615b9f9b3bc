"""Prometheus metrics of one server (its own registry, so tests may run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.connections = Gauge(
            "chinwag_connections", "Open WebSocket connections", registry=registry
        )
        self.online_users = Gauge(
            "chinwag_online_users", "Users with a connection to this node", registry=registry
        )
        self.connects = Counter(
            "chinwag_connects_total", "WebSocket connections accepted", registry=registry
        )
        self.logins = Counter(
            "chinwag_logins_total",
            "Login, register and resume attempts by result",
            ["result"],
            registry=registry,
        )
        self.messages = Counter(
            "chinwag_messages_total", "Messages committed by this node", registry=registry
        )
        self.deliveries = Counter(
            "chinwag_message_deliveries_total",
            "Messages queued to a recipient connection (fan-out)",
            registry=registry,
        )
        self.queue_drops = Counter(
            "chinwag_queue_drops_total",
            "Connections dropped because their outgoing queue overflowed",
            registry=registry,
        )
        self.overloads = Counter(
            "chinwag_overloads_total",
            "Times the event loop fell behind and new sends were refused",
            registry=registry,
        )
        self.gap_fill_reads = Counter(
            "chinwag_gap_fill_reads_total",
            "Store reads of messages missed by this node (gap fills), failed or not",
            registry=registry,
        )
        self.gap_fill_failures = Counter(
            "chinwag_gap_fill_failures_total",
            "Gap-fill store reads that failed (each is retried after a backoff)",
            registry=registry,
        )
        self.gap_resyncs = Counter(
            "chinwag_gap_resyncs_total",
            "Times a room held too many frames past a gap: they were dropped and read "
            "again from the store",
            registry=registry,
        )
        self.gap_skips = Counter(
            "chinwag_gap_skips_total",
            "Gap fills too far behind that delivered only the newest page of messages "
            "(clients sync the rest)",
            registry=registry,
        )
        self.gap_held_bytes = Gauge(
            "chinwag_gap_held_bytes",
            "Bytes of message frames held past gaps, waiting for the store",
            registry=registry,
        )
        self.errors = Counter(
            "chinwag_errors_total", "Error replies by code", ["code"], registry=registry
        )
        self.refused = Counter(
            "chinwag_refused_total",
            "Connections refused or closed at a budget of the doors, by budget",
            ["budget"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "chinwag_request_seconds",
            "Time to handle a request, by type",
            ["op"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
