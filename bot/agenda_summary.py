"""Plain-text summaries of an agenda for the command line: what a check found, what an import did."""

from __future__ import annotations

from typing import Any

from bot.agenda import AgendaSpec, session_bounds


def describe_plan(spec: AgendaSpec, changes: Any | None) -> str:
    """The event and its sessions as the file states them, then what importing would change."""
    event = spec.event
    dates = " to ".join(d.isoformat() for d in dict.fromkeys(x for x in (event.starts_on, event.ends_on) if x))
    lines = [
        f"Event {event.title!r} (key: {event.stable_key})",
        "  " + " · ".join(p for p in (dates, event.place, event.timezone or "") if p),
    ]
    for label, value in (
        ("chair", event.chair),
        ("hosts", ", ".join(event.hosts)),
        ("rapporteurs", ", ".join("@" + r for r in event.rapporteurs)),
    ):
        if value:
            lines.append(f"  {label}: {value}")
    lines.append(f"{len(spec.sessions)} session(s):")
    for number, session in enumerate(spec.sessions, 1):
        start, end = session_bounds(session, event)
        when = f"{start:%Y-%m-%d %H:%M}" + (f"–{end:%H:%M}" if end else "") if start else "no time"
        where = f" · {session.track or session.room}" if session.track or session.room else ""
        lines.append(
            f"  #{number} {session.title} (key: {session.stable_key}) — {when}{where}, {len(session.prompts)} prompt(s), {session.anonymity}"
        )
    if changes is None:
        lines.append("Importing it creates this event and its sessions (no database to compare with).")
    else:
        lines.append(_changes(changes, would=True))
    return "\n".join(lines)


def describe_import(result: Any, where: str) -> str:
    """After `workshop-bot agenda import`: the join codes, and what changed."""
    event = result.event
    lines = [f"{'Created' if result.changes.new_event else 'Updated'} the event {event.title!r} in {where}."]
    for session in event.sessions:
        lines.append(f"  {session.join_code}  {session.title}")
    lines.append(_changes(result.changes, would=False))
    return "\n".join(lines)


def _changes(changes: Any, *, would: bool) -> str:
    verb = "would be" if would else "were"
    parts = []
    if would:
        parts.append("a new event" if changes.new_event else "an update of the existing event with this key")
    for label, titles in (
        ("created", changes.created),
        ("updated", changes.updated),
        ("removed", changes.removed),
        ("kept (added in chat)", changes.kept),
    ):
        if titles:
            parts.append(f"{len(titles)} session(s) {label}: " + "; ".join(titles))
    if changes.waiting:
        parts.append("rapporteurs who get the role when they first write to the bot: " + ", ".join(changes.waiting))
    head = "Importing it means: " if would else f"Changes that {verb} made: "
    return head + " · ".join(parts) + "."
