"""The room screen: read-only links for the projector, the live picture they show, and the
organisers' "take this off the screen".

A link carries a random token (32 bytes, URL-safe); only its SHA-256 is stored, so the token
is never recoverable from the database and revoking it stops every screen that uses it at its
next refresh. What the screen shows is built here from the database alone, always without
names: a screen is for a room, and even a named session's screen shows statements anonymously.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.background_process import background_pool
from bot.i18n import DEFAULT_LOCALE, supported
from bot.services.access import Access, require
from bot.services.embeddings import session_vectors
from bot.services.live import LiveNotifier
from bot.services.reporting import find_session
from bot.services.state import load_actor
from bot.services.views import UserRef
from storage.db import Database
from storage.models import (
    Contribution,
    Event,
    Participant,
    Progress,
    Prompt,
    Reaction,
    ReactionValue,
    ScreenHide,
    ScreenToken,
    Session,
)
from storage.types import utcnow

if TYPE_CHECKING:  # grouping loads with a screen's first themes
    from bot.reports.themes import GroupItem, ThemeGroup

log = logging.getLogger(__name__)
RECENT = 8  # statements on the screen at once: readable from the back of a room
THEMES = 6
THEME_REFRESH_SECONDS = 15.0  # grouping is CPU work; a screen's themes may lag this much
MODERATION_LIST = 15


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ScreenLink:
    session_id: int
    title: str
    join_code: str
    token: str  # shown once, to the organiser who asked for it


@dataclass(frozen=True, slots=True)
class PromptCount:
    position: int
    kind: str
    text: str
    contributions: int
    current: bool


@dataclass(frozen=True, slots=True)
class ThemeCount:
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class CommunityBar:
    community: str
    agree: int
    disagree: int
    passed: int

    @property
    def voted(self) -> int:
        return self.agree + self.disagree + self.passed

    def percent(self, part: int) -> int:
        return round(100 * part / self.voted) if self.voted else 0


@dataclass(frozen=True, slots=True)
class ScreenSnapshot:
    """Everything the room screen shows; no names, no Telegram ids."""

    session_id: int
    title: str
    event_title: str
    join_code: str
    status: str
    joined: int
    contributions: int
    prompts: list[PromptCount]
    recent: list[tuple[int, str, str]]  # (contribution id, kind, text)
    themes: list[ThemeCount]
    support: list[CommunityBar]
    language: str = DEFAULT_LOCALE  # the event's report language: the screen speaks to its room

    @property
    def current_prompt(self) -> PromptCount | None:
        return next((p for p in self.prompts if p.current), None)


@dataclass(frozen=True, slots=True)
class ModeratedStatement:
    contribution_id: int
    kind: str
    text: str
    on_screen: bool


@dataclass(frozen=True, slots=True)
class ModerationList:
    """The newest statements of a session, each with whether the room screen shows it."""

    session_id: int
    title: str
    statements: tuple[ModeratedStatement, ...]


@dataclass(frozen=True, slots=True)
class LinksRevoked:
    title: str
    count: int


@dataclass
class _ThemeCache:
    key: tuple[int, int] = (-1, -1)
    at: float = -THEME_REFRESH_SECONDS
    themes: list[ThemeCount] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    task: asyncio.Task[None] | None = None  # kept so the running regroup is not garbage-collected
    generation: int = 0


class Screens:
    def __init__(self, db: Database, access: Access, notifier: LiveNotifier) -> None:
        self.db = db
        self.access = access
        self.notifier = notifier
        self._themes: dict[int, _ThemeCache] = {}
        self._pool: ProcessPoolExecutor | None = None

    # ----- links --------------------------------------------------------------------------

    async def issue(self, user: UserRef, session_ref: str | int) -> ScreenLink:
        """A new read-only link for the session's screen (organisers and the session's moderators)."""
        token = secrets.token_urlsafe(32)
        async with self.db.session() as db:
            participant, session = await self._moderated(db, user, session_ref)
            db.add(ScreenToken(session_id=session.id, token_hash=hash_token(token), created_by=participant.id))
            return ScreenLink(session.id, session.title, session.join_code, token)

    async def revoke(self, user: UserRef, session_ref: str | int) -> LinksRevoked:
        """Revoke every screen link of the session."""
        async with self.db.session() as db:
            _participant, session = await self._moderated(db, user, session_ref)
            result = await db.execute(
                update(ScreenToken)
                .where(ScreenToken.session_id == session.id, ScreenToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            return LinksRevoked(session.title, int(getattr(result, "rowcount", 0) or 0))

    async def session_of_token(self, token: str) -> int | None:
        """The session a valid, unrevoked token opens; None for anything else."""
        if not token or len(token) > 128:
            return None
        async with self.db.session() as db:
            return await db.scalar(
                select(ScreenToken.session_id).where(ScreenToken.token_hash == hash_token(token), ScreenToken.revoked_at.is_(None))
            )

    # ----- the live picture ---------------------------------------------------------------

    async def fingerprint(self, session_id: int) -> tuple[object, ...]:
        """A cheap summary that changes whenever the screen would: polled as the fallback for
        changes the in-process notifier cannot see (edits, deletions, reactions, joins, other
        processes). One round trip of indexed aggregates."""
        mine = Contribution.session_id == session_id
        of_session = select(Contribution.id).where(mine)
        stance = case((Reaction.value == ReactionValue.AGREE, 1), (Reaction.value == ReactionValue.DISAGREE, 2), else_=3)
        query = select(
            select(func.count(Contribution.id)).where(mine).scalar_subquery(),
            select(func.max(Contribution.id)).where(mine).scalar_subquery(),
            select(func.max(Contribution.edited_at)).where(mine).scalar_subquery(),
            select(func.count(Contribution.id)).where(mine, Contribution.hidden.is_(True)).scalar_subquery(),
            select(func.count()).select_from(Progress).where(Progress.session_id == session_id).scalar_subquery(),
            select(func.count()).select_from(ScreenHide).where(ScreenHide.session_id == session_id).scalar_subquery(),
            select(func.count(Reaction.id)).where(Reaction.contribution_id.in_(of_session)).scalar_subquery(),
            select(func.sum(stance)).where(Reaction.contribution_id.in_(of_session)).scalar_subquery(),
            select(Session.status).where(Session.id == session_id).scalar_subquery(),
        )
        async with self.db.session() as db:
            row = tuple((await db.execute(query)).one())
        themes = self._themes.get(session_id)
        return (*row, themes.generation if themes else 0)  # regrouped themes change the screen too

    async def snapshot(self, session_id: int) -> ScreenSnapshot | None:
        async with self.db.session() as db:
            session = await db.get(Session, session_id)
            if session is None:
                return None
            event = await db.get(Event, session.event_id)
            prompts = list(await db.scalars(select(Prompt).where(Prompt.session_id == session_id).order_by(Prompt.position)))
            counts = dict(
                (
                    await db.execute(
                        select(Contribution.prompt_id, func.count())
                        .where(Contribution.session_id == session_id)
                        .group_by(Contribution.prompt_id)
                    )
                ).all()
            )
            positions = Counter(
                dict(
                    (
                        await db.execute(
                            select(Progress.prompt_position, func.count())
                            .where(Progress.session_id == session_id, Progress.finished_at.is_(None))
                            .group_by(Progress.prompt_position)
                        )
                    ).all()
                )
            )
            joined = int(await db.scalar(select(func.count()).select_from(Progress).where(Progress.session_id == session_id)) or 0)
            hidden = select(ScreenHide.contribution_id).where(ScreenHide.session_id == session_id)
            recent_rows = (
                await db.execute(
                    select(Contribution.id, Prompt.kind, Contribution.text)
                    .join(Prompt, Prompt.id == Contribution.prompt_id)
                    .where(Contribution.session_id == session_id, Contribution.hidden.is_(False), Contribution.id.not_in(hidden))
                    .order_by(Contribution.id.desc())
                    .limit(RECENT)
                )
            ).all()
            support = await self._support(db, session_id)
            themes = await self._emerging_themes(db, session_id)
        current = positions.most_common(1)[0][0] if positions else (0 if session.status.value != "closed" else -1)
        return ScreenSnapshot(
            session_id=session.id,
            title=session.title,
            event_title=event.title if event else "",
            join_code=session.join_code,
            status=session.status.value,
            joined=joined,
            contributions=sum(counts.values()),
            prompts=[PromptCount(p.position, p.kind.value, p.text, int(counts.get(p.id, 0)), p.position == current) for p in prompts],
            recent=[(cid, kind.value, text) for cid, kind, text in recent_rows],
            themes=themes,
            support=support,
            language=supported(event.report_language) if event else DEFAULT_LOCALE,
        )

    async def _support(self, db: AsyncSession, session_id: int) -> list[CommunityBar]:
        rows = await db.execute(
            select(func.coalesce(Participant.community, "other"), Reaction.value, func.count())
            .join(Contribution, Contribution.id == Reaction.contribution_id)
            .join(Participant, Participant.id == Reaction.participant_id)
            .where(Contribution.session_id == session_id, Contribution.hidden.is_(False))
            .group_by(Participant.community, Reaction.value)
        )
        tallies: dict[str, Counter[str]] = {}
        for community, value, count in rows:
            name = str(getattr(community, "value", community))
            tallies.setdefault(name, Counter())[ReactionValue(value).value] += count
        return [CommunityBar(name, t["agree"], t["disagree"], t["pass"]) for name, t in sorted(tallies.items())]

    async def _emerging_themes(self, db: AsyncSession, session_id: int) -> list[ThemeCount]:
        """The themes last grouped for this session, at once; regrouping (CPU work: embeddings
        and clustering) runs in the background at most every
        THEME_REFRESH_SECONDS, and wakes the live screens when it is done. So neither an
        answer nor a screen update ever waits for it."""
        cache = self._themes.setdefault(session_id, _ThemeCache())
        row = (
            await db.execute(
                select(func.count(), func.coalesce(func.max(Contribution.id), 0)).where(
                    Contribution.session_id == session_id, Contribution.hidden.is_(False)
                )
            )
        ).one()
        key = (int(row[0]), int(row[1]))
        # A few statements group in milliseconds, so early themes come quickly; hundreds are
        # regrouped less often.
        due = time.monotonic() - cache.at >= min(THEME_REFRESH_SECONDS, 2.0 + key[0] / 50)
        if key != cache.key and due and not cache.lock.locked() and key[0] > 0:
            cache.task = asyncio.create_task(self._regroup(session_id, cache, key))
        return cache.themes

    async def _regroup(self, session_id: int, cache: _ThemeCache, key: tuple[int, int]) -> None:
        async with cache.lock:
            cache.at = time.monotonic()
            async with self.db.session() as db:
                rows = (
                    await db.execute(
                        select(Prompt.kind, Contribution.id, Contribution.text)
                        .join(Prompt, Prompt.id == Contribution.prompt_id)
                        .where(Contribution.session_id == session_id, Contribution.hidden.is_(False))
                        .order_by(Contribution.id)
                    )
                ).all()
                vectors = await session_vectors(db, session_id)  # stored when each answer came in
            from bot.reports.themes import GroupItem

            by_kind: dict[str, list[GroupItem]] = {}
            for kind, contribution_id, text in rows:
                by_kind.setdefault(kind.value, []).append(GroupItem(contribution_id, text))
            try:
                cache.themes = await asyncio.get_running_loop().run_in_executor(self._grouping_pool(), _group_all, by_kind, vectors)
            except BrokenProcessPool:
                log.warning("The screen's theme grouping process died; it restarts at the next refresh")
                self._pool = None
                return
            cache.key, cache.at = key, time.monotonic()
            cache.generation += 1
        self.notifier.notify(session_id)

    def _grouping_pool(self) -> ProcessPoolExecutor:
        """One worker process, started on first use: grouping holds the GIL for long stretches,
        and in a thread it would stall the event loop that answers participants (measured in
        bench/README.md); in its own process it uses the machine's other core."""
        if self._pool is None:
            self._pool = background_pool(idle=False)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # ----- moderation ---------------------------------------------------------------------

    async def can_moderate(self, user: UserRef, session_id: int) -> bool:
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await db.get(Session, session_id)
            return session is not None and await self.access.can_run_session(db, participant, session.event_id, session.id)

    async def moderation_list(self, user: UserRef, session_ref: str | int) -> ModerationList:
        """The newest statements with whether each is on the screen."""
        async with self.db.session() as db:
            _participant, session = await self._moderated(db, user, session_ref)
            hidden = set(await db.scalars(select(ScreenHide.contribution_id).where(ScreenHide.session_id == session.id)))
            rows = await db.execute(
                select(Contribution.id, Prompt.kind, Contribution.text)
                .join(Prompt, Prompt.id == Contribution.prompt_id)
                .where(Contribution.session_id == session.id, Contribution.hidden.is_(False))
                .order_by(Contribution.id.desc())
                .limit(MODERATION_LIST)
            )
            statements = tuple(ModeratedStatement(cid, kind.value, text, cid not in hidden) for cid, kind, text in rows)
            return ModerationList(session.id, session.title, statements)

    async def set_on_screen(self, user: UserRef, contribution_id: int, on_screen: bool) -> int:
        """Take a statement off the room screen, or put it back; returns its session id."""
        async with self.db.session() as db:
            contribution = await db.get(Contribution, contribution_id)
            if contribution is None:
                raise LookupError(f"#{contribution_id}")
            participant, session = await self._moderated(db, user, contribution.session_id)
            existing = await db.get(ScreenHide, contribution_id)
            if not on_screen and existing is None:
                db.add(ScreenHide(contribution_id=contribution_id, session_id=session.id, hidden_by=participant.id))
            elif on_screen and existing is not None:
                await db.delete(existing)
        self.notifier.notify(session.id)
        return session.id

    async def _moderated(self, db: AsyncSession, user: UserRef, session_ref: str | int) -> tuple[Participant, Session]:
        participant, _ = await load_actor(db, user)
        session = await find_session(db, session_ref)
        if session is None:
            raise LookupError(session_ref)
        allowed = await self.access.can_run_session(db, participant, session.event_id, session.id)
        require(allowed, "organiser or moderator")  # i18n: not shown (a refusal key, worded by bot.services.access)
        return participant, session


def _group_all(by_kind: dict[str, list[GroupItem]], vectors: dict[int, Any]) -> list[ThemeCount]:
    """In the grouping process: the same grouper as the report, on the stored vectors."""
    from bot.reports.themes import make_grouper

    grouper = make_grouper(vectors)
    themes: list[ThemeCount] = []
    for items in by_kind.values():
        group: ThemeGroup
        for group in grouper(items):
            themes.append(ThemeCount(group.label, len(group.items)))
    themes.sort(key=lambda t: -t.count)
    return themes[:THEMES]
