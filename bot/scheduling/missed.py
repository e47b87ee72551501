"""What to do at start-up with scheduled jobs whose time came while the bot was down.

APScheduler's default misfire grace time is 1 s, so a job due during a restart would be dropped
with only a log line. The bot keeps its own schedule table and re-registers jobs at start; this
decides, per job, whether it is still worth firing late or should be reported as missed (a
"session starts in 15 minutes" reminder sent two hours late does more harm than good).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Generic, TypeVar

DEFAULT_GRACE = timedelta(minutes=10)

JobKey = TypeVar("JobKey", bound=Hashable)


class Disposition(Enum):
    FIRE_NOW = "fire_now"  # due, missed by at most the grace window: fire it late
    REPORT_MISSED = "report_missed"  # missed by more: tell the organiser instead
    FUTURE = "future"  # not due yet: register it normally


def classify(next_fire: datetime, *, now: datetime, grace: timedelta = DEFAULT_GRACE) -> Disposition:
    """Place one job: a job due exactly ``now`` fires; one late by exactly ``grace`` still fires."""
    if next_fire.tzinfo is None or now.tzinfo is None:
        raise ValueError("next_fire and now must be timezone-aware")  # i18n: not shown (a diagnostic)
    if next_fire > now:
        return Disposition.FUTURE
    return Disposition.FIRE_NOW if now - next_fire <= grace else Disposition.REPORT_MISSED


@dataclass(frozen=True, slots=True)
class Triage(Generic[JobKey]):
    """Jobs sorted into what to do with them, each list oldest first."""

    fire_now: tuple[JobKey, ...]
    report_missed: tuple[JobKey, ...]
    future: tuple[JobKey, ...]


def triage(next_fires: Mapping[JobKey, datetime], *, now: datetime, grace: timedelta = DEFAULT_GRACE) -> Triage[JobKey]:
    """Classify every stored job (job id -> next fire time) against ``now``."""
    groups: dict[Disposition, list[JobKey]] = {disposition: [] for disposition in Disposition}
    for key, fire in sorted(next_fires.items(), key=lambda item: item[1]):
        groups[classify(fire, now=now, grace=grace)].append(key)
    return Triage(
        fire_now=tuple(groups[Disposition.FIRE_NOW]),
        report_missed=tuple(groups[Disposition.REPORT_MISSED]),
        future=tuple(groups[Disposition.FUTURE]),
    )
