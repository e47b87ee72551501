"""Reshaping a draft's themes: moving a statement to another theme and splitting one off, plus
what the rapporteur's editor needs around the draft (the hidden statements, the exports).

These are `ReportEdit` rows like /rename and /merge, recorded through `Reporting.record_edit`
so every change makes a new numbered `ReportVersion` and survives /regenerate; the grouping
they change is applied by `bot.reports.regroup`. A statement has one placement: moving or
splitting it again replaces its earlier move or split and becomes the newest step.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from bot.services.access import Access, require
from bot.services.reporting import Draft, Reporting
from bot.services.state import load_actor
from bot.services.views import UserRef
from storage.db import Database
from storage.models import Contribution, Prompt, ReportEdit, Session

PLACEMENT_KINDS = ("move", "split")
LABEL_LIMIT = 80


@dataclass(frozen=True, slots=True)
class HiddenStatement:
    contribution_id: int
    kind: str
    text: str


class ReportShaping:
    def __init__(self, db: Database, access: Access, reporting: Reporting) -> None:
        self.db = db
        self.access = access
        self.reporting = reporting

    async def move(self, user: UserRef, contribution_id: int, target_id: int) -> Draft:
        """Statement `contribution_id` joins the theme that holds `target_id` (same section)."""
        return await self._place(user, contribution_id, "move", str(target_id), target_id)

    async def split(self, user: UserRef, contribution_id: int, label: str = "") -> Draft:
        """Statement `contribution_id` leaves its theme and starts a new one."""
        return await self._place(user, contribution_id, "split", " ".join(label.split())[:LABEL_LIMIT], None)

    async def _place(self, user: UserRef, contribution_id: int, kind: str, value: str, target_id: int | None) -> Draft:
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            statement = await db.get(Contribution, contribution_id)
            if statement is None:
                raise LookupError(f"#{contribution_id}")
            if target_id is not None:
                target = await db.get(Contribution, target_id)
                if target is None or target.session_id != statement.session_id:
                    raise LookupError(f"#{target_id}")
                kinds = await db.scalars(select(Prompt.kind).where(Prompt.id.in_((statement.prompt_id, target.prompt_id))))
                if len(set(kinds)) != 1:
                    raise ValueError("a statement moves only between themes of its own section")  # i18n: not shown
            await db.execute(
                delete(ReportEdit).where(
                    ReportEdit.session_id == statement.session_id,
                    ReportEdit.kind.in_(PLACEMENT_KINDS),
                    ReportEdit.key == str(contribution_id),
                )
            )
            return await self.reporting.record_edit(db, participant, statement.session_id, kind, str(contribution_id), value)

    async def hidden_statements(self, user: UserRef, session_id: int) -> list[HiddenStatement]:
        """The statements left out of the report, so the editor can offer to bring them back."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await db.get(Session, session_id)
            if session is None:
                raise LookupError(session_id)
            require(await self.access.can_report(db, participant, session.event_id, session.id), "session's rapporteurs and organisers")
            rows = await db.execute(
                select(Contribution.id, Prompt.kind, Contribution.text)
                .join(Prompt, Prompt.id == Contribution.prompt_id)
                .where(Contribution.session_id == session_id, Contribution.hidden.is_(True))
                .order_by(Contribution.id)
            )
            return [HiddenStatement(cid, kind.value, text) for cid, kind, text in rows]

    async def can_report(self, user: UserRef, session_id: int) -> bool:
        """Whether the user may work on this session's report (checked on every editor request)."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await db.get(Session, session_id)
            return session is not None and await self.access.can_report(db, participant, session.event_id, session.id)
