"""The rapporteur's side: drafts, edits, approval, versions, exports, reactions and event reports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, Literal, TypeVar, get_args

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import LOCALES, Translator, supported, translator
from bot.memory import release_free_memory
from bot.reports.model import Citations, SectionKey, SessionReport
from bot.reports.privacy import OTHER, CommunityMask
from bot.reports.render import Format, render, render_many, report_filename
from bot.reports.render.chat import render_chat_messages
from bot.reports.render.csv_export import ContributionRow, render_csv
from bot.reports.render.event import EventReport, SessionSections
from bot.reports.render.layout import local_time
from bot.reports.render.markdown import render_markdown
from bot.reports.serialize import report_from_dict, report_to_dict
from bot.services.access import Access, NotAllowed, require
from bot.services.catalog import session_people
from bot.services.embeddings import session_vectors
from bot.services.ids import parse_id
from bot.services.outcomes import Notice
from bot.services.state import IDLE, Flow, load_actor, set_flow
from bot.services.views import UserRef
from storage.db import Database
from storage.models import (
    ChatState,
    Contribution,
    Event,
    Participant,
    Progress,
    Prompt,
    Reaction,
    ReactionValue,
    ReportEdit,
    ReportVersion,
    Role,
    RoleName,
    Session,
)
from storage.types import utcnow

T = TypeVar("T")

if TYPE_CHECKING:  # the report builder, grouping and writing model load with the first draft
    from bot.reports.builder import ContributionFact, EditFact, ReactionFact, SessionFacts
    from bot.reports.writer import ModelWriter

SECTION_KEYS = frozenset(get_args(SectionKey))

EDIT_KINDS = ("section", "summary", "rename", "merge")
SECTION_EDIT = Flow.SECTION_EDIT
SECTION_TEXT_LIMIT = 4000


@dataclass(frozen=True, slots=True)
class Draft:
    session_id: int
    report: SessionReport
    version: int
    approved: bool


@dataclass(frozen=True, slots=True)
class VersionInfo:
    number: int
    created_at: datetime  # as stored (aware); shown in the event's time zone
    contributions: int
    approved: bool


@dataclass(frozen=True, slots=True)
class VersionList:
    """The kept versions of a session's report (/versions)."""

    title: str
    code: str
    versions: tuple[VersionInfo, ...]
    timezone: str


@dataclass(frozen=True, slots=True)
class ReportLanguage:
    """The event's report language: set now (`changed`) or as it stands."""

    event_title: str
    language: str
    changed: bool


@dataclass(frozen=True, slots=True)
class ReportPackage:
    """What a scheduled delivery sends: the chat text and the files."""

    title: str
    messages: list[str]
    files: list[tuple[str, bytes]]


def model_writer(settings: Settings) -> ModelWriter | None:
    """The writing model when both LLM_BASE_URL and LLM_MODEL are set, else None (offline)."""
    if not settings.llm_base_url or not settings.llm_model:
        return None
    from bot.reports.writer import ModelWriter, WriterConfig

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return ModelWriter(WriterConfig(settings.llm_base_url, settings.llm_model, settings.llm_timeout, key))


class Reporting:
    def __init__(self, db: Database, access: Access, writer: ModelWriter | None = None) -> None:
        self.db = db
        self.access = access
        self.writer = writer

    # ----- drafting -----------------------------------------------------------------------

    async def draft(self, user: UserRef, session_ref: str | int) -> Draft:
        """Build a fresh draft from what is stored now, and keep it as a new version. Only here
        and in a plain /regenerate is the writing model asked (nothing written yet in the
        transaction, so a slow model holds no lock); edits reuse what it wrote before."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._authorised(db, participant, session_ref)
            return await self._new_version(db, session, participant.id, use_model=True)

    async def _new_version(self, db: AsyncSession, session: Session, author_id: int | None, *, use_model: bool = False) -> Draft:
        from bot.reports.builder import build_report  # with grouping and prose: ~3.5 MB the idle bot does without
        from bot.reports.themes import make_grouper
        from bot.reports.writer import reuse_written

        facts, contributions, reactions, edits = await self._facts(db, session)
        number = (
            int(
                await db.scalar(select(func.coalesce(func.max(ReportVersion.number), 0)).where(ReportVersion.session_id == session.id)) or 0
            )
            + 1
        )
        # Vectors were stored with each contribution; grouping is CPU work, run off the event loop.
        event = await db.get(Event, session.event_id)
        assert event is not None
        group = make_grouper(await session_vectors(db, session.id), domain_pack=event.domain_pack)
        report = await _heavy(
            partial(
                build_report,
                facts,
                contributions,
                reactions,
                edits,
                group=group,
                generated_at=utcnow(),
                version=number,
                min_group=event.min_group_size,
                timezone=event.timezone,
                language=supported(event.report_language),
            )
        )
        if self.writer is not None and not report.is_empty:
            previous = await self._version(db, session.id, None)
            reuse_written(report, report_from_dict(previous.content) if previous else None)
            if use_model and session.is_anonymous and not event.allow_writing_model:
                report.writer_note = "not_allowed"  # nothing from this session leaves the machine
            elif use_model:
                await self.writer.write(report)
        db.add(
            ReportVersion(
                session_id=session.id,
                number=number,
                content=report_to_dict(report),
                markdown=render_markdown(report),
                contributions=report.contributions,
                created_by=author_id,
            )
        )
        return Draft(session.id, report, number, False)

    async def authorise(self, user: UserRef, session_ref: str | int) -> None:
        """Raise NotAllowed (or LookupError) unless the user may work on this session's report:
        lets a button press be answered with the refusal before any slow work starts."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            await self._authorised(db, participant, session_ref)

    async def latest(self, user: UserRef, session_ref: str | int) -> Draft:
        """The newest kept version, drafting one if none exists yet."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._authorised(db, participant, session_ref)
            row = await self._version(db, session.id, None)
            if row is None:
                return await self._new_version(db, session, participant.id)
            return _draft(row)

    async def version(self, user: UserRef, session_ref: str | int, number: int) -> Draft | None:
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._authorised(db, participant, session_ref)
            row = await self._version(db, session.id, number)
            return _draft(row) if row else None

    async def versions(self, user: UserRef, session_ref: str | int) -> VersionList:
        """Every kept version of the session's report, oldest first."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._authorised(db, participant, session_ref)
            rows = await db.scalars(select(ReportVersion).where(ReportVersion.session_id == session.id).order_by(ReportVersion.number))
            event = await db.get(Event, session.event_id)
            zone = event.timezone if event else "UTC"
            items = tuple(VersionInfo(r.number, _aware(r.created_at), r.contributions, r.approved_at is not None) for r in rows)
            return VersionList(session.title, session.join_code, items, zone)

    async def report_language(self, user: UserRef, session_ref: str | int, language: str | None) -> ReportLanguage:
        """The language of the event's drafts and exports (`language` None: as it stands).
        The session's rapporteurs and the event's organisers may change it; it applies from the
        next draft (a kept version stays in the language it was written in)."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._authorised(db, participant, session_ref)
            event = await db.get(Event, session.event_id)
            assert event is not None
            if language is None or language not in LOCALES:
                return ReportLanguage(event.title, supported(event.report_language), changed=False)
            event.report_language = language
            return ReportLanguage(event.title, language, changed=True)

    async def approve(self, user: UserRef, session_ref: str | int, number: int | None = None) -> Draft:
        """Mark a version (default: the newest) as the final report; earlier approvals are kept in history."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._authorised(db, participant, session_ref)
            row = await self._version(db, session.id, number)
            if row is None:
                draft = await self._new_version(db, session, participant.id)
                await db.flush()
                row = await self._version(db, session.id, draft.version)
                assert row is not None
            row.approved_at = utcnow()
            row.approved_by = participant.id
            content = dict(row.content)
            content["approved"] = True
            row.content = content
            return _draft(row)

    # ----- editing ------------------------------------------------------------------------

    async def edit(self, user: UserRef, session_ref: str | int, kind: str, key: str, value: str) -> Draft:
        """Record a manual edit (kept across regeneration) and produce the next version."""
        if kind not in EDIT_KINDS:
            raise ValueError(kind)
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            return await self.record_edit(db, participant, session_ref, kind, key, value)

    async def record_edit(
        self, db: AsyncSession, participant: Participant, session_ref: str | int, kind: str, key: str, value: str
    ) -> Draft:
        session = await self._authorised(db, participant, session_ref)
        if kind in ("rename", "merge"):
            await self._own_contribution(db, session.id, key)
        if kind == "merge":
            await self._own_contribution(db, session.id, value)
        existing = await db.scalar(
            select(ReportEdit).where(ReportEdit.session_id == session.id, ReportEdit.kind == kind, ReportEdit.key == key)
        )
        if existing is None:
            db.add(ReportEdit(session_id=session.id, kind=kind, key=key, value=value, edited_by=participant.id))
        else:
            existing.value, existing.edited_by = value, participant.id
        await db.flush()
        return await self._new_version(db, session, participant.id)

    async def restore(self, user: UserRef, session_ref: str | int, kind: str, key: str) -> Draft:
        """Drop one manual edit: the section goes back to the generated text."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._authorised(db, participant, session_ref)
            await db.execute(delete(ReportEdit).where(ReportEdit.session_id == session.id, ReportEdit.kind == kind, ReportEdit.key == key))
            return await self._new_version(db, session, participant.id)

    async def regenerate(self, user: UserRef, session_ref: str | int, *, discard_edits: bool = False) -> Draft:
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._authorised(db, participant, session_ref)
            if discard_edits:
                await db.execute(delete(ReportEdit).where(ReportEdit.session_id == session.id))
                hidden = await db.scalars(select(Contribution).where(Contribution.session_id == session.id, Contribution.hidden.is_(True)))
                for row in hidden:
                    row.hidden = False
            await db.flush()
            return await self._new_version(db, session, participant.id, use_model=not discard_edits)

    async def regenerate_in(self, db: AsyncSession, session_id: int) -> Draft | None:
        """A new version from what is stored now, inside the caller's transaction, with the
        rapporteurs' edits kept (privacy erasures: the next version no longer has the person)."""
        session = await db.get(Session, session_id)
        if session is None:
            return None
        await db.flush()
        return await self._new_version(db, session, None)

    async def set_hidden(self, user: UserRef, contribution_id: int, hidden: bool) -> Draft:
        """Hide a contribution from the report (it stays in the CSV, marked hidden)."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            row = await db.get(Contribution, contribution_id)
            if row is None:
                raise LookupError(contribution_id)
            session = await self._authorised(db, participant, row.session_id)
            row.hidden = hidden
            await db.flush()
            return await self._new_version(db, session, participant.id)

    async def session_of_contribution(self, contribution_id: int) -> int | None:
        async with self.db.session() as db:
            return await db.scalar(select(Contribution.session_id).where(Contribution.id == contribution_id))

    async def begin_section_edit(self, user: UserRef, session_ref: str | int, key: str) -> None:
        """The rapporteur's next message replaces this section (or the summary)."""
        if key != "summary" and key not in SECTION_KEYS:
            raise LookupError(key)
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            session = await self._authorised(db, participant, session_ref)
            set_flow(state, SECTION_EDIT, key, session_id=session.id)

    async def text(self, db: AsyncSession, participant: Participant, state: ChatState, text: str) -> Notice:
        """ForeignFlow: the replacement text for the section chosen in begin_section_edit."""
        key, session_id = state.step, int(state.data.get("session_id", 0))
        set_flow(state, IDLE)
        body = text.strip()
        if not body:
            return Notice("empty")
        if len(body) > SECTION_TEXT_LIMIT:
            return Notice("too_long", {"length": len(body), "limit": SECTION_TEXT_LIMIT})
        kind, edit_key = ("summary", "") if key == "summary" else ("section", key)
        draft = await self.record_edit(db, participant, session_id, kind, edit_key, body)
        return Notice("section_replaced", {"version": draft.version})

    async def skip(self, db: AsyncSession, participant: Participant, state: ChatState) -> Notice:
        return Notice("nothing_to_skip")

    # ----- exports ------------------------------------------------------------------------

    async def export(
        self,
        user: UserRef,
        session_ref: str | int,
        fmt: Format | Literal["csv"],
        number: int | None = None,
        citations: Citations | None = None,
    ) -> tuple[str, bytes]:
        """A file of the newest (or a given) version; CSV carries every contribution and reaction.
        ``citations``: footnotes (default), inline ``[#12]`` or none."""
        if fmt == "csv":
            return await self.csv(user, session_ref)
        return (await self.export_many(user, session_ref, (fmt,), number, citations))[0]

    async def export_many(
        self,
        user: UserRef,
        session_ref: str | int,
        formats: Sequence[Format],
        number: int | None = None,
        citations: Citations | None = None,
    ) -> list[tuple[str, bytes]]:
        draft = await (self.version(user, session_ref, number) if number else self.latest(user, session_ref))
        if draft is None:
            raise LookupError(number)
        return await _files(draft.report, formats, citations)

    async def csv(self, user: UserRef, session_ref: str | int) -> tuple[str, bytes]:
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._authorised(db, participant, session_ref)
            rows = await self._csv_rows(db, session)
            event = await db.get(Event, session.event_id)
            language = supported(event.report_language if event else None)
        from bot.reports.render import slugify

        suffix = translator(language).pgettext("file name", "contributions")
        return f"{slugify(session.title)}_{suffix}.csv", render_csv(rows, language)

    async def report_for_operator(self, session_ref: str | int) -> SessionReport:
        """For trusted callers with database access (the CLI): the approved version, else the
        newest, else a new draft."""
        async with self.db.session() as db:
            session = await self._find(db, session_ref)
            if session is None:
                raise LookupError(session_ref)
            row = await db.scalar(
                select(ReportVersion)
                .where(ReportVersion.session_id == session.id)
                .order_by(ReportVersion.approved_at.is_(None), ReportVersion.number.desc())
                .limit(1)
            )
            return _draft(row).report if row else (await self._new_version(db, session, None)).report

    async def package(self, session_id: int, *, source: Literal["approved", "latest"]) -> ReportPackage | None:
        """For scheduled delivery (no user: the scheduler already checked who set it up)."""
        async with self.db.session() as db:
            query = select(ReportVersion).where(ReportVersion.session_id == session_id)
            if source == "approved":
                query = query.where(ReportVersion.approved_at.is_not(None))
            row = await db.scalar(query.order_by(ReportVersion.number.desc()).limit(1))
            if row is None and source == "latest":
                session = await db.get(Session, session_id)
                if session is None:
                    return None
                draft = await self._new_version(db, session, None)
                report = draft.report
            elif row is None:
                return None
            else:
                report = report_from_dict(row.content)
        return ReportPackage(report.session_title, render_chat_messages(report), await _files(report, ("pdf", "docx")))

    async def event_report(self, user: UserRef, session_ref: str | int, fmt: Format) -> tuple[str, bytes]:
        """One document with every session's takeaways and recommendations (approved version, else newest)."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            anchor = await self._find(db, session_ref)
            if anchor is None:
                raise LookupError(session_ref)
            require(
                await self.access.can_manage_event(db, participant, anchor.event_id)
                or await self.access.can_report(db, participant, anchor.event_id, anchor.id),
                "organiser or rapporteur",
            )
            event = await db.get(Event, anchor.event_id)
            assert event is not None
            sessions = list(await db.scalars(select(Session).where(Session.event_id == event.id).order_by(Session.position)))
            parts = []
            for session in sessions:
                row = await db.scalar(
                    select(ReportVersion)
                    .where(ReportVersion.session_id == session.id)
                    .order_by(ReportVersion.approved_at.is_(None), ReportVersion.number.desc())
                    .limit(1)
                )
                report = report_from_dict(row.content) if row else (await self._new_version(db, session, participant.id)).report
                keep = [s for s in report.sections if s.key in ("takeaways", "recommendations")]
                if any(s.themes or s.text_override for s in keep):  # no bare headings for sessions without input
                    parts.append(SessionSections(session.title, keep))
            language = supported(event.report_language)
            event_report = EventReport(
                event.title,
                _dates(event.starts_on, event.ends_on, translator(language)),
                event.place,
                parts,
                event.disclaimer,
                local_time(utcnow(), event.timezone),
                language=language,
            )
        content = await _heavy(partial(render, event_report, fmt))
        return report_filename(event_report, fmt), content

    # ----- reactions ----------------------------------------------------------------------

    async def react(self, user: UserRef, contribution_id: int, value: ReactionValue) -> int | None:
        """Record or change the user's reaction and return the session id; None when not allowed
        (not a member of the session, a hidden point, or the user's own point)."""
        try:
            async with self.db.session() as db:
                participant, _ = await load_actor(db, user)
                contribution = await db.get(Contribution, contribution_id)
                if contribution is None or contribution.hidden or contribution.participant_id == participant.id:
                    return None
                if await db.get(Progress, (participant.id, contribution.session_id)) is None:
                    return None
                row = await db.scalar(
                    select(Reaction).where(Reaction.contribution_id == contribution_id, Reaction.participant_id == participant.id)
                )
                if row is None:
                    db.add(Reaction(contribution_id=contribution_id, participant_id=participant.id, value=value))
                else:
                    row.value = value
                return contribution.session_id
        except IntegrityError:  # its author deleted the point (or was erased) meanwhile
            return None

    async def reportable_sessions(self, user: UserRef) -> list[tuple[int, str, str]]:
        """(id, join code, title) of the sessions the user may draft reports for, newest first."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            query = select(Session.id, Session.join_code, Session.title).order_by(Session.id.desc()).limit(10)
            if not await self.access.is_global_organiser(db, participant):
                mine = select(Role).where(Role.participant_id == participant.id)
                by_session = mine.where(Role.role == RoleName.RAPPORTEUR).with_only_columns(Role.session_id)
                by_event = mine.where(
                    Role.role.in_((RoleName.RAPPORTEUR, RoleName.ORGANISER)), Role.session_id.is_(None)
                ).with_only_columns(Role.event_id)
                query = query.where(or_(Session.id.in_(by_session), Session.event_id.in_(by_event)))
            return [(session_id, code, title) for session_id, code, title in await db.execute(query)]

    async def reactable(self, user: UserRef, session_id: int) -> list[tuple[int, str, str, str | None, ReactionValue | None]]:
        """Others' visible points in a session the user joined: (id, kind, text, author or None, my reaction)."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            if await db.get(Progress, (participant.id, session_id)) is None:
                raise NotAllowed("participants of this session")
            session = await db.get(Session, session_id)
            assert session is not None
            mine = dict(
                (
                    await db.execute(
                        select(Reaction.contribution_id, Reaction.value)
                        .join(Contribution)
                        .where(Reaction.participant_id == participant.id, Contribution.session_id == session_id)
                    )
                ).all()
            )
            rows = await db.execute(
                select(Contribution.id, Prompt.kind, Contribution.text, Participant.display_name)
                .join(Prompt, Prompt.id == Contribution.prompt_id)
                .join(Participant, Participant.id == Contribution.participant_id)
                .where(Contribution.session_id == session_id, Contribution.hidden.is_(False), Contribution.participant_id != participant.id)
                .order_by(Prompt.position, Contribution.id)
            )
            return [(cid, kind.value, text, None if session.is_anonymous else name, mine.get(cid)) for cid, kind, text, name in rows]

    # ----- loading ------------------------------------------------------------------------

    async def _authorised(self, db: AsyncSession, participant: Participant, session_ref: str | int) -> Session:
        session = await self._find(db, session_ref)
        if session is None:
            raise LookupError(session_ref)
        require(await self.access.can_report(db, participant, session.event_id, session.id), "session's rapporteurs and organisers")
        return session

    async def _find(self, db: AsyncSession, ref: str | int) -> Session | None:
        return await find_session(db, ref)

    async def _version(self, db: AsyncSession, session_id: int, number: int | None) -> ReportVersion | None:
        query = select(ReportVersion).where(ReportVersion.session_id == session_id)
        query = query.where(ReportVersion.number == number) if number else query.order_by(ReportVersion.number.desc()).limit(1)
        return await db.scalar(query)

    async def _own_contribution(self, db: AsyncSession, session_id: int, key: str) -> None:
        contribution_id = parse_id(key)
        row = await db.get(Contribution, contribution_id) if contribution_id is not None else None
        if row is None or row.session_id != session_id:
            raise LookupError(key)

    async def _facts(
        self, db: AsyncSession, session: Session
    ) -> tuple[SessionFacts, list[ContributionFact], list[ReactionFact], list[EditFact]]:
        from bot.reports.builder import ContributionFact, EditFact, ReactionFact, SessionFacts

        event = await db.get(Event, session.event_id)
        assert event is not None
        participation = await _participation(db, session.id)
        facts = SessionFacts(
            event.title,
            _dates(event.starts_on, event.ends_on, translator(event.report_language)),
            event.place,
            session.title,
            session.institutional_lead,
            session.moderator,
            session.thematic_focus,
            event.disclaimer,
            session.is_anonymous,
            participation,
            sum(participation.values()),
            session_people(session),
        )
        rows = await db.execute(
            select(
                Contribution.id,
                Prompt.kind,
                Contribution.text,
                Participant.display_name,
                Participant.organisation,
                Participant.community,
                Contribution.hidden,
            )
            .join(Prompt, Prompt.id == Contribution.prompt_id)
            .join(Participant, Participant.id == Contribution.participant_id)
            .where(Contribution.session_id == session.id)
            .order_by(Contribution.id)
        )
        contributions = [
            ContributionFact(cid, kind.value, text, name, org, community.value if community else None, hidden)
            for cid, kind, text, name, org, community, hidden in rows
        ]
        reaction_rows = await db.execute(
            select(Reaction.contribution_id, Reaction.value, Participant.community)
            .join(Contribution, Contribution.id == Reaction.contribution_id)
            .join(Participant, Participant.id == Reaction.participant_id)
            .where(Contribution.session_id == session.id)
        )
        reactions = [ReactionFact(cid, value.value, community.value if community else None) for cid, value, community in reaction_rows]
        edit_rows = await db.scalars(select(ReportEdit).where(ReportEdit.session_id == session.id).order_by(ReportEdit.id))
        edits = [EditFact(e.kind, e.key, e.value) for e in edit_rows]
        return facts, contributions, reactions, edits

    async def _csv_rows(self, db: AsyncSession, session: Session) -> list[ContributionRow]:
        tallies: dict[int, dict[str, int]] = {}
        for cid, value, count in await db.execute(
            select(Reaction.contribution_id, Reaction.value, func.count())
            .join(Contribution, Contribution.id == Reaction.contribution_id)
            .where(Contribution.session_id == session.id)
            .group_by(Reaction.contribution_id, Reaction.value)
        ):
            tallies.setdefault(cid, {})[value.value] = count
        rows = await db.execute(
            select(Contribution, Prompt, Participant)
            .join(Prompt, Prompt.id == Contribution.prompt_id)
            .join(Participant, Participant.id == Contribution.participant_id)
            .where(Contribution.session_id == session.id)
            .order_by(Prompt.position, Contribution.id)
        )
        anonymous = session.is_anonymous
        event = await db.get(Event, session.event_id)
        assert event is not None
        mask = CommunityMask.for_session(await _participation(db, session.id), anonymous=anonymous, min_group=event.min_group_size)
        zone = event.timezone
        result = []
        for contribution, prompt, person in rows:
            tally = tallies.get(contribution.id, {})
            result.append(
                ContributionRow(
                    contribution.id,
                    session.title,
                    prompt.kind.value,
                    prompt.text,
                    contribution.text,
                    None if anonymous else person.display_name,
                    None if anonymous else person.organisation,
                    mask.tag(person.community.value if person.community else None),
                    local_time(contribution.created_at, zone),
                    local_time(contribution.edited_at, zone) if contribution.edited_at else None,
                    contribution.hidden,
                    tally.get("agree", 0),
                    tally.get("disagree", 0),
                    tally.get("pass", 0),
                )
            )
        return result


async def _files(report: SessionReport, formats: Sequence[Format], citations: Citations | None = None) -> list[tuple[str, bytes]]:
    contents = await _heavy(partial(render_many, report, formats, citations))
    return [(report_filename(report, fmt), content) for fmt, content in zip(formats, contents, strict=True)]


async def _heavy(work: Callable[[], T]) -> T:
    """Grouping and rendering are CPU work: a worker thread keeps the bot answering meanwhile.
    What they allocated for the moment (tens of MB of small objects) goes back to the system
    afterwards (bot.memory), or an idle bot would keep it."""
    try:
        return await asyncio.to_thread(work)
    finally:
        release_free_memory()


async def _participation(db: AsyncSession, session_id: int) -> dict[str, int]:
    """Members of a session per policy community ("other" for none), the basis of anonymity
    in small groups."""
    rows = await db.execute(
        select(Participant.community, func.count())
        .join(Progress, Progress.participant_id == Participant.id)
        .where(Progress.session_id == session_id)
        .group_by(Participant.community)
    )
    counts: dict[str, int] = {}
    for community, count in rows:
        name = str(getattr(community, "value", community)) if community else OTHER
        counts[name] = counts.get(name, 0) + int(count)
    return dict(sorted(counts.items()))


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive UTC datetimes; PostgreSQL aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _draft(row: ReportVersion) -> Draft:
    report = report_from_dict(row.content)
    report.approved = row.approved_at is not None
    return Draft(row.session_id, report, row.number, report.approved)


def _dates(start: date | None, end: date | None, tr: Translator) -> str:
    """The event's dates as a report header says them, in the report's language:
    "2–4 February 2026", « 2–4 février 2026 »."""
    if start is None:
        return ""
    if end is None or end == start:
        return tr.date(start, "d MMMM y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{tr.date(end, 'd MMMM y')}"
    return f"{tr.date(start, 'd MMMM')} – {tr.date(end, 'd MMMM y')}"


async def find_session(db: AsyncSession, ref: str | int) -> Session | None:
    """A session by id (a number from a button) or join code (typed, any case); None if neither."""
    session_id = parse_id(ref)
    if session_id is not None:
        found = await db.get(Session, session_id)
        if found is not None:
            return found
    if isinstance(ref, int):
        return None
    return await db.scalar(select(Session).where(func.upper(Session.join_code) == str(ref).strip().upper()))
