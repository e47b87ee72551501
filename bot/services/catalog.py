"""Sessions and their prompts, read through a small in-process cache.

Every answer needs its session's status and prompts; they change only when an organiser edits
the session, which goes through `invalidate`. Long polling allows one consumer of updates per
bot, so one process owns the cache and there is no cross-process staleness to manage.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.i18n import N_
from bot.services.views import PromptView, SessionView
from storage.models import Session


def session_people(row: Session) -> tuple[tuple[str, str], ...]:
    """The session's chair, co-hosts, speakers and rapporteurs as labelled lines (blank ones left
    out). Labels are catalogue keys: whoever shows them translates them (`tr.gettext(label)`)."""
    pairs = (
        (N_("Chair"), row.chair or ""),
        (N_("Co-hosts"), ", ".join(row.co_hosts or ())),
        (N_("Speakers"), ", ".join(row.speakers or ())),
        (N_("Rapporteurs"), ", ".join(f"@{name}" for name in row.rapporteurs or ())),
    )
    return tuple((label, value) for label, value in pairs if value)


def session_view(row: Session) -> SessionView:
    """Snapshot a session whose event and prompts are loaded."""
    return SessionView(
        id=row.id,
        event_id=row.event_id,
        event_title=row.event.title,
        title=row.title,
        status=row.status,
        anonymity=row.anonymity,
        join_code=row.join_code,
        thematic_focus=row.thematic_focus,
        moderator=row.moderator,
        institutional_lead=row.institutional_lead,
        track=row.track,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.event.timezone,
        prompts=tuple(PromptView(p.id, p.position, p.kind, p.text) for p in row.prompts),
        people=session_people(row),
    )


class SessionCatalog:
    def __init__(self) -> None:
        self._by_id: dict[int, SessionView] = {}

    async def get(self, db: AsyncSession, session_id: int) -> SessionView | None:
        cached = self._by_id.get(session_id)
        if cached is not None:
            return cached
        row = await db.scalar(_with_details().where(Session.id == session_id))
        return self._remember(row)

    async def by_code(self, db: AsyncSession, code: str) -> SessionView | None:
        normalised = code.strip().upper()
        if not normalised or len(normalised) > 16:
            return None
        row = await db.scalar(_with_details().where(func.upper(Session.join_code) == normalised))
        return self._remember(row)

    def invalidate(self, session_id: int | None = None) -> None:
        if session_id is None:
            self._by_id.clear()
        else:
            self._by_id.pop(session_id, None)

    def _remember(self, row: Session | None) -> SessionView | None:
        if row is None:
            return None
        view = session_view(row)
        self._by_id[view.id] = view
        return view


def _with_details() -> Select[Session]:
    return select(Session).options(selectinload(Session.prompts), selectinload(Session.event))
