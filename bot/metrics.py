"""Prometheus metrics of the deployment (served at /metrics in webhook mode).

With `workshop-bot serve --workers N` (N > 1) the workers are separate processes behind one
socket, so a scrape reaches any one of them: the CLI then sets PROMETHEUS_MULTIPROC_DIR before
the workers start, every process writes its samples there, and /metrics sums them over all live
workers (counters and histograms summed; the leadership gauge is the maximum). With one worker the
samples are that process's own. Scheduler candidates started with `workshop-bot scheduler` do not
serve HTTP: the leadership gauge covers the workers that are candidates (`--scheduler`).
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

UPDATES = Counter("workshop_updates_processed", "Telegram updates processed, by outcome", ["outcome"])
UPDATE_SECONDS = Histogram(
    "workshop_update_seconds",
    "Time from receiving a webhook update to answering it (processing included)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ANSWERS = Counter("workshop_answers_stored", "Participants' answers committed")
DELIVERIES = Counter("workshop_delivery_parts", "Broadcast parts settled, by outcome", ["outcome"])
FLOOD_WAITS = Counter("workshop_flood_waits", "429 answers (flood wait) from the Bot API")
LEADER = Gauge("workshop_scheduler_leader", "1 while this process runs the scheduler", multiprocess_mode="max")


def render() -> tuple[bytes, str]:
    """The exposition text and its content type: all workers' samples when multiprocess."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
