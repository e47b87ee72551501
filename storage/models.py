"""The database schema as SQLAlchemy 2 declarative models.

Enumerations are stored as short strings (not native enums) so that adding a kind of prompt
or role is a code change, not a migration that differs between SQLite and PostgreSQL.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for statements on the hot path that need no ORM (no identity map,
    no criteria evaluated against the session's objects)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _str_enum(enum_cls: type[enum.Enum]) -> Enum:
    return Enum(enum_cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e], validate_strings=True)


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Anonymity(enum.StrEnum):
    NAMED = "named"
    ANONYMOUS = "anonymous"


class PromptKind(enum.StrEnum):
    CHALLENGE = "challenge"
    RECOMMENDATION = "recommendation"
    TAKEAWAY = "takeaway"
    QUESTION = "question"


class RoleName(enum.StrEnum):
    ORGANISER = "organiser"
    RAPPORTEUR = "rapporteur"
    MODERATOR = "moderator"
    PARTICIPANT = "participant"


class Community(enum.StrEnum):
    DIPLOMACY = "diplomacy"
    DEVELOPMENT = "development"
    SECURITY = "security"
    HUMANITARIAN = "humanitarian"
    OTHER = "other"


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    description: Mapped[str] = mapped_column(Text, default="")
    disclaimer: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The agenda file's stable key (re-importing it updates this event), and what a concept note
    # adds: hosts, chair, rapporteurs, objectives, expected size, background papers, contacts.
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Opt-in lexicon for theme grouping (bot/reports/domain_packs.py); None: domain-general.
    domain_pack: Mapped[str | None] = mapped_column(String(40))
    # Days after the event's end when its participants' personal data is erased (bot.services.privacy).
    retention_days: Mapped[int] = mapped_column(Integer, default=180, server_default="180")
    # Anonymity in small groups: communities smaller than this are reported as "other" (0009).
    min_group_size: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # May an anonymous session's statements go to the writing model (LLM_BASE_URL)? (0009)
    allow_writing_model: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # The language of the event's drafts and exports (bot.i18n.LOCALES) (0011).
    report_language: Mapped[str] = mapped_column(String(12), default="en", server_default="en")

    sessions: Mapped[list[Session]] = relationship(back_populates="event", order_by="Session.position", cascade="all, delete-orphan")


class Session(Base):
    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("event_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    track: Mapped[str] = mapped_column(String(120), default="")
    institutional_lead: Mapped[str] = mapped_column(String(300), default="")
    moderator: Mapped[str] = mapped_column(String(300), default="")
    thematic_focus: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SessionStatus] = mapped_column(_str_enum(SessionStatus), default=SessionStatus.DRAFT)
    anonymity: Mapped[Anonymity] = mapped_column(_str_enum(Anonymity), default=Anonymity.NAMED)
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    key: Mapped[str | None] = mapped_column(String(64))  # stable within the event's agenda file
    chair: Mapped[str] = mapped_column(String(300), default="")
    co_hosts: Mapped[list[str]] = mapped_column(JSON, default=list)
    speakers: Mapped[list[str]] = mapped_column(JSON, default=list)
    rapporteurs: Mapped[list[str]] = mapped_column(JSON, default=list)  # Telegram usernames, without @

    event: Mapped[Event] = relationship(back_populates="sessions")
    prompts: Mapped[list[Prompt]] = relationship(back_populates="session", order_by="Prompt.position", cascade="all, delete-orphan")

    @property
    def is_anonymous(self) -> bool:
        return self.anonymity is Anonymity.ANONYMOUS


class Prompt(Base):
    __tablename__ = "prompts"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[PromptKind] = mapped_column(_str_enum(PromptKind))
    text: Mapped[str] = mapped_column(Text)

    session: Mapped[Session] = relationship(back_populates="prompts")


class Participant(Base):
    """A Telegram user known to the bot; consent_at is set once onboarding is done.

    Erased (/forget, or the event's retention period): name, organisation, username and Telegram
    id are cleared and erased_at is set; the row stays only to hold the contributions the person
    chose to leave, anonymously.
    """

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    community: Mapped[Community | None] = mapped_column(_str_enum(Community))
    # "en" or "fr" (bot.i18n.LOCALES): follows the Telegram app's language until the person
    # picks one with /language (language_chosen) (0011).
    language: Mapped[str] = mapped_column(String(12), default="en")
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Role(Base):
    """A role held in an event (event_id set) or a session (session_id set), or everywhere (neither)."""

    __tablename__ = "roles"
    __table_args__ = (Index("ix_roles_lookup", "participant_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    role: Mapped[RoleName] = mapped_column(_str_enum(RoleName))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Progress(Base):
    """Where a participant stands in one session's prompts; kept per session so /sessions can switch."""

    __tablename__ = "progress"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    prompt_position: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatState(Base):
    """The conversation step a user is in, committed with the change that moved it.

    Stored in the same transaction as the answer or edit it belongs to, so a restart at any
    moment resumes exactly where the user was: never an answer stored without its step, or the
    reverse (PTB's persistence flushes on an interval and could not promise that).
    """

    __tablename__ = "chat_states"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    active_session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"))
    flow: Mapped[str] = mapped_column(String(32), default="idle")
    step: Mapped[str] = mapped_column(String(32), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Message ids only grow within a private chat, so a text at or below this id is an update
    # Telegram delivered again (after a crash) and must not move the conversation a second time.
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Contribution(Base):
    __tablename__ = "contributions"
    __table_args__ = (
        UniqueConstraint("tg_chat_id", "tg_message_id"),
        Index("ix_contributions_session_prompt", "session_id", "prompt_id"),
        Index("ix_contributions_participant", "participant_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # The Telegram message the answer came from; cleared when its author is erased (privacy).
    tg_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    tg_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sentence-model vector of `text` (float16 bytes) and the model's id; NULL until the
    # embedding worker (bot/services/embeddings.py) has run, and again after an edit.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    embedding_model: Mapped[str | None] = mapped_column(String(64))

    prompt: Mapped[Prompt] = relationship()
    participant: Mapped[Participant] = relationship()


class ReactionValue(enum.StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    PASS = "pass"


class Reaction(Base):
    """One participant's stance on someone else's contribution; changeable, one per pair."""

    __tablename__ = "reactions"
    __table_args__ = (UniqueConstraint("contribution_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    value: Mapped[ReactionValue] = mapped_column(_str_enum(ReactionValue))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReportEdit(Base):
    """A rapporteur's manual change that survives regenerating the draft.

    kind: "section" (key = section key, value = replacement text), "summary" (value = text),
    "rename" (key = a contribution id in the theme, value = label), "merge" (key = a contribution
    id of the theme merged away, value = a contribution id of the theme it joins).
    """

    __tablename__ = "report_edits"
    __table_args__ = (UniqueConstraint("session_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(Text)
    edited_by: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportVersion(Base):
    """Every draft the bot produced for a session, kept; one may be approved as final."""

    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("session_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    markdown: Mapped[str] = mapped_column(Text)
    contributions: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))


# ----- scheduling: reminders, papers and report deliveries ---------------------------------


class ScheduleKind(enum.StrEnum):
    REMINDER = "reminder"
    NUDGE = "nudge"  # to participants who have not answered yet
    RAPPORTEUR_NUDGE = "rapporteur_nudge"  # to rapporteurs whose report is not approved yet
    PAPERS = "papers"  # background documents
    REPORT = "report"  # the session report, with its files


class Audience(enum.StrEnum):
    EVERYONE = "everyone"
    NON_RESPONDERS = "non_responders"
    RAPPORTEURS = "rapporteurs"


class ItemStatus(enum.StrEnum):
    ACTIVE = "active"
    DONE = "done"
    CANCELLED = "cancelled"
    MISSED = "missed"


class RecipientStatus(enum.StrEnum):
    PENDING = "pending"
    STARTED = "started"  # a send is in flight; after a crash it may or may not have arrived
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"


class ScheduledItem(Base):
    """Something the bot will send later: the database, not the scheduler, is the source of truth.

    `when` keeps what the organiser meant (timing.When.to_dict: absolute wall time, relative to the
    session, or daily), so moving a session or a DST change is applied when `next_fire_at` (UTC)
    is recomputed; the JobQueue only ever holds a copy, re-registered from here on start.
    """

    __tablename__ = "scheduled_items"
    __table_args__ = (Index("ix_scheduled_items_due", "status", "next_fire_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ScheduleKind] = mapped_column(_str_enum(ScheduleKind))
    audience: Mapped[Audience] = mapped_column(_str_enum(Audience), default=Audience.EVERYONE)
    text: Mapped[str] = mapped_column(Text, default="")
    when: Mapped[dict[str, Any]] = mapped_column("when_spec", JSON)
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[ItemStatus] = mapped_column(_str_enum(ItemStatus), default=ItemStatus.ACTIVE)
    note: Mapped[str] = mapped_column(String(300), default="")  # why it was missed, for /schedule
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # report source, extra chats, documents
    created_by: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Document(Base):
    """A file an organiser attached to an event or session; sent again by its Telegram file_id."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(64), default="")
    file_name: Mapped[str] = mapped_column(String(255), default="")
    mime: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int | None] = mapped_column(Integer)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One firing of a scheduled item; unique per occurrence, so firing twice creates nothing new.

    `content` is frozen at fire time (rendered messages, documents, and the file_ids of uploaded
    files once known), so a broadcast resumed after a restart sends exactly what it started with.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("scheduled_item_id", "occurrence_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduled_item_id: Mapped[int] = mapped_column(ForeignKey("scheduled_items.id", ondelete="CASCADE"), index=True)
    occurrence_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    summary_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The summary is claimed (set atomically while NULL) before it is sent, so it goes out once.
    summary_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryRecipient(Base):
    """One recipient of one delivery; its status is written before and after every send."""

    __tablename__ = "delivery_recipients"
    __table_args__ = (Index("ix_delivery_recipients_status", "delivery_id", "status"),)

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    status: Mapped[RecipientStatus] = mapped_column(_str_enum(RecipientStatus), default=RecipientStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PendingRole(Base):
    """A role an agenda gave to an @username the bot has not met yet; granted when they first write."""

    __tablename__ = "pending_roles"
    __table_args__ = (UniqueConstraint("username", "role", "event_id", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)  # lower-case, without @
    role: Mapped[RoleName] = mapped_column(_str_enum(RoleName))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ----- the room screen ----------------------------------------------------------------------


class ScreenToken(Base):
    """A read-only link to a session's room screen. Only a SHA-256 of the token is stored, so a
    leaked database does not open screens; revoking sets `revoked_at` and live screens stop."""

    __tablename__ = "screen_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScreenHide(Base):
    """A contribution an organiser or moderator took off the room screen (the report is not affected)."""

    __tablename__ = "screen_hides"

    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    hidden_by: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PartState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed: its request is leaving or in flight; after a crash, unconfirmed
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"


class DeliveryPart(Base):
    """One message (text, document or file) of one delivery to one recipient.

    Claimed with ``UPDATE … SET state='sending' WHERE state='pending'`` right before its request
    leaves, so no two senders can send the same part, and a crash leaves in doubt only the parts
    whose requests were really in flight. Created when the recipient is first served.
    """

    __tablename__ = "delivery_parts"
    __table_args__ = (Index("ix_delivery_parts_state", "delivery_id", "state"),)

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[PartState] = mapped_column(_str_enum(PartState), default=PartState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the run that claimed it last
    detail: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InboxUpdate(Base):
    """A Telegram update as received, committed before Telegram is told it arrived.

    Idempotent by Telegram's `update_id`: a batch delivered again after a crash is stored once.
    `processed_at` is set in the transaction of the update's effects (or right after an update
    that has none), and the payload emptied with it; processed rows are pruned once Telegram can
    no longer deliver them again.
    """

    __tablename__ = "inbox_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A reply the bot owes a chat, committed with the step it confirms and deleted once sent,
    so that a crash between the commit and the send cannot leave someone on an unseen question.
    Its id is made by the bot, in time order (bot.services.outbox.TimeOrderedIds)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_chat", "chat_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SendBudgetRow(Base):
    """The deployment's timeline of message sends (bot.send_budget): when the last booked send
    leaves, in seconds since the epoch on the database's clock. One row, id 1; used on PostgreSQL,
    where several processes send for one bot."""

    __tablename__ = "send_budget"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_at: Mapped[float] = mapped_column(Float, default=0.0)
