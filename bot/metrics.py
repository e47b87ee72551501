"""Prometheus metrics of the deployment (served at /metrics in webhook mode).

With `workshop-bot serve --workers N` (N > 1) the workers are separate processes behind one
socket, so a scrape reaches any one of them: the CLI then sets PROMETHEUS_MULTIPROC_DIR before
the workers start, every process writes its samples there, and /metrics sums them over all live
workers (counters and histograms summed; the leadership gauge is the maximum). With one worker the
samples are that process's own. Scheduler candidates started with `workshop-bot scheduler` do not
serve HTTP: the leadership gauge covers the workers that are candidates (`--scheduler`).

Only the processes that serve /metrics count: webhook workers and scheduler candidates call
:func:`enable` before they start (telegram_edge.serve). Until then every metric below is a
stand-in that counts nothing, so a polling bot never imports prometheus_client. Callers read the
metrics through the module (`metrics.ANSWERS.inc()`), never `from bot.metrics import ANSWERS`,
so that they see the real ones once enabled.
"""

from __future__ import annotations

import os
from typing import Protocol


class Counting(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class LabelledCounting(Protocol):
    def labels(self, *labelvalues: str) -> Counting: ...


class Observing(Protocol):
    def observe(self, amount: float) -> None: ...


class Setting(Protocol):
    def set(self, value: float) -> None: ...


class _Off:
    """Every metric of a process that serves no /metrics: counts nothing."""

    def inc(self, amount: float = 1) -> None:
        pass

    def labels(self, *labelvalues: str) -> _Off:
        return self

    def observe(self, amount: float) -> None:
        pass

    def set(self, value: float) -> None:
        pass


_OFF = _Off()
UPDATES: LabelledCounting = _OFF
UPDATE_SECONDS: Observing = _OFF
ANSWERS: Counting = _OFF
DELIVERIES: LabelledCounting = _OFF
FLOOD_WAITS: Counting = _OFF
LEADER: Setting = _OFF


def enable() -> None:
    """Create the real metrics (once per process; in multiprocess mode, after
    PROMETHEUS_MULTIPROC_DIR is set, since each metric opens its file when created)."""
    global UPDATES, UPDATE_SECONDS, ANSWERS, DELIVERIES, FLOOD_WAITS, LEADER
    if enabled():
        return
    from prometheus_client import Counter, Gauge, Histogram

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


def enabled() -> bool:
    return not isinstance(LEADER, _Off)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type: all workers' samples when multiprocess."""
    enable()  # whoever serves /metrics has enabled them already; this only makes sure
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
