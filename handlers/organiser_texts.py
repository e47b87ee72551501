"""What organisers read: the wizards' questions and refusals, events and sessions created, agenda
imports and their problems, roles granted, /manage's lists and the QR code's caption.

Every sentence is a catalogue entry (domain "organiser"), worded in the reader's language;
titles and names are the organisers' own and are never translated. The outcomes of the
organiser's use cases are rendered here (registered on the one renderer, handlers.render).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.i18n import N_, Translator
from bot.services.organising import AgendaChanges, AgendaProblem, EventCreated, Overview, RoleGranted, SessionCreated, StatusChanged
from bot.services.outcomes import Notice
from bot.services.state import AgendaStep, EventStep, Flow, SessionStep
from bot.services.views import EventView, SessionView
from bot.services.wizards import FINISH_VALUE, Option, Problem, WizardAsk, WizardProblem, WizardStep
from handlers import keyboards as kb
from handlers.render import Reply, render
from handlers.texts import esc
from storage.models import Anonymity, PromptKind, RoleName, SessionStatus

MANAGE_LIMIT = 20  # one message per session with its buttons; more would flood the chat

ASK: dict[tuple[Flow, WizardStep], str] = {
    (Flow.NEW_EVENT, EventStep.TITLE): N_("🗓 <b>New event</b> — what is its title? (/cancel to stop)"),
    (Flow.NEW_EVENT, EventStep.DATES): N_("Dates? e.g. <code>2026-02-11</code> or <code>2026-02-11 to 2026-02-12</code> (/skip)"),
    (Flow.NEW_EVENT, EventStep.PLACE): N_("Where does it take place? (/skip)"),
    (Flow.NEW_EVENT, EventStep.TIMEZONE): N_("Which time zone are its times in? Tap one or type a name such as <code>Europe/Oslo</code>."),
    (Flow.NEW_EVENT, EventStep.DISCLAIMER): N_("A disclaimer for the end of its reports? (/skip for none)"),
    (Flow.NEW_SESSION, SessionStep.EVENT): N_("🧩 <b>New session</b> — for which event?"),
    (Flow.NEW_SESSION, SessionStep.TITLE): N_("🧩 <b>New session</b> for <i>{event_title}</i> — its title? (/cancel to stop)"),
    (Flow.NEW_SESSION, SessionStep.START): N_(
        "When does it start? <code>2026-02-11 09:30</code>, or <code>09:30</code> on the event's first day (/skip)"
    ),
    (Flow.NEW_SESSION, SessionStep.END): N_("When does it end? A time (<code>11:00</code>) or a duration (<code>90 min</code>) (/skip)"),
    (Flow.NEW_SESSION, SessionStep.TRACK): N_("Room or track, for parallel sessions? (/skip)"),
    (Flow.NEW_SESSION, SessionStep.MODERATOR): N_("Moderator (name and title)? (/skip)"),
    (Flow.NEW_SESSION, SessionStep.LEAD): N_("Institutional lead? (/skip)"),
    (Flow.NEW_SESSION, SessionStep.FOCUS): N_("Thematic focus — a short paragraph participants will see? (/skip)"),
    (Flow.NEW_SESSION, SessionStep.ANONYMITY): N_("Should answers be shown with names, or anonymous?"),
    (Flow.NEW_SESSION, SessionStep.PROMPT_KIND): N_("Add a prompt ({count} so far): choose its kind."),
    (Flow.AGENDA, AgendaStep.PASTE): N_(
        "📄 Send the agenda as a <b>.yaml</b> file or paste it as a message. /help agenda shows the format."
    ),
}
ASK_PROMPT_TEXT: dict[PromptKind | None, str] = {
    PromptKind.CHALLENGE: N_("Type the challenge prompt participants will answer."),
    PromptKind.RECOMMENDATION: N_("Type the recommendation prompt participants will answer."),
    PromptKind.TAKEAWAY: N_("Type the key takeaway prompt participants will answer."),
    PromptKind.QUESTION: N_("Type the open question prompt participants will answer."),
    None: N_("Type the prompt participants will answer."),
}
PROBLEMS: dict[Problem, str] = {
    Problem.REQUIRED: N_("This one can't be skipped."),
    Problem.EMPTY: N_("This one is required."),
    Problem.TOO_LONG: N_("That is {length} characters; the limit is {limit}."),
    Problem.USE_BUTTONS: N_("Please choose one of the buttons."),
    Problem.DATES_FORMAT: N_("Write the dates as 2026-02-11, or 2026-02-11 to 2026-02-12."),
    Problem.DATES_COUNT: N_("Write one date, or a first and a last date."),
    Problem.DATES_ORDER: N_("The last date is before the first."),
    Problem.ZONE: N_("That is not a time zone name such as Europe/Oslo."),
    Problem.START_FORMAT: N_("Write the start as 2026-02-11 09:30, or 09:30 for the event's first day."),
    Problem.START_NEEDS_DATE: N_("The event has no date: write the full date and time, e.g. 2026-02-11 09:30."),
    Problem.END_FORMAT: N_("Write the end as a time (11:00) or a duration (90 min)."),
    Problem.END_BEFORE_START: N_("The end must be after the start."),
    Problem.NO_PROMPTS: N_("Add at least one prompt before finishing."),
}
# Buttons whose label is a word of ours rather than the organiser's own text.
OPTION_LABELS: dict[str, str] = {
    Anonymity.NAMED: N_("Named"),
    Anonymity.ANONYMOUS: N_("Anonymous"),
    PromptKind.CHALLENGE: N_("Challenge"),
    PromptKind.RECOMMENDATION: N_("Recommendation"),
    PromptKind.TAKEAWAY: N_("Takeaway"),
    PromptKind.QUESTION: N_("Question"),
    FINISH_VALUE: N_("✓ Finish"),
}
STATUS_CHANGED: dict[SessionStatus, str] = {
    SessionStatus.OPEN: N_("<b>{title}</b> is now <b>open</b> ▶."),
    SessionStatus.CLOSED: N_("<b>{title}</b> is now <b>closed</b> ⏹."),
    SessionStatus.DRAFT: N_("<b>{title}</b> is a draft."),
}
STATUS: dict[SessionStatus, str] = {
    SessionStatus.OPEN: N_("open"),
    SessionStatus.CLOSED: N_("closed"),
    SessionStatus.DRAFT: N_("draft"),
}
GRANTED: dict[RoleName, str] = {
    RoleName.RAPPORTEUR: N_("✅ {name} is now a rapporteur of <b>{title}</b>."),
    RoleName.MODERATOR: N_("✅ {name} is now a moderator of <b>{title}</b>."),
    RoleName.ORGANISER: N_("✅ {name} is now an organiser of the event of <b>{title}</b>."),
}
REVOKED: dict[RoleName, str] = {
    RoleName.RAPPORTEUR: N_("✅ {name} is no longer a rapporteur of <b>{title}</b>."),
    RoleName.MODERATOR: N_("✅ {name} is no longer a moderator of <b>{title}</b>."),
    RoleName.ORGANISER: N_("✅ {name} is no longer an organiser of the event of <b>{title}</b>."),
}
USAGE: dict[str, str] = {
    "open": N_("Which session? Send <code>/open CODE</code>, or use /manage."),
    "close": N_("Which session? Send <code>/close CODE</code>, or use /manage."),
    "link": N_("Which session? Send <code>/link CODE</code>, or use /manage."),
    "grant": N_("Usage: <code>/grant CODE rapporteur|moderator|organiser @username</code> (or their Telegram id)."),
    "revoke": N_("Usage: <code>/revoke CODE rapporteur|moderator|organiser @username</code> (or their Telegram id)."),
}


@dataclass(frozen=True, slots=True)
class Usage:
    """A command sent without what it needs: how to write it (`command` is a key of USAGE)."""

    command: str


# ----- the wizards ---------------------------------------------------------------------------


def wizard_question(ask: WizardAsk, tr: Translator) -> str:
    if ask.step is SessionStep.PROMPT_TEXT:
        question = tr.gettext(ASK_PROMPT_TEXT[ask.kind])
    else:
        question = tr.gettext(ASK[(ask.flow, ask.step)]).format(event_title=esc(ask.event_title), count=ask.prompt_count)
    if ask.problem is None:
        return question
    return f"{wizard_problem(ask.problem, tr)}\n\n{question}"


def wizard_problem(problem: WizardProblem, tr: Translator) -> str:
    sentence = tr.gettext(PROBLEMS[problem.problem]).format(**problem.params)
    return sentence if problem.problem is Problem.REQUIRED else f"⚠️ {esc(sentence)}"


def option_label(option: Option, tr: Translator) -> str:
    if option.label is not None:
        return option.label
    return tr.gettext(OPTION_LABELS[option.value])


@render.register
def _wizard_ask(outcome: WizardAsk, tr: Translator) -> list[Reply]:
    per_row = 1 if outcome.step is SessionStep.EVENT else 2
    options = tuple((option_label(o, tr), o.value) for o in outcome.options)
    return [Reply(wizard_question(outcome, tr), kb.options_keyboard(options, per_row=per_row))]


# ----- events, sessions, agendas -------------------------------------------------------------


@render.register
def _event_created(outcome: EventCreated, tr: Translator) -> list[Reply]:
    changes = outcome.changes
    text = event_created(outcome.event, tr, new=changes is None or changes.new_event)
    if changes is not None:
        text += "\n\n" + agenda_changes(changes, tr)
    return [Reply(text)]


def event_created(event: EventView, tr: Translator, *, new: bool = True) -> str:
    title = esc(event.title)
    if new:
        lines = [tr.gettext(N_("✅ Event <b>{title}</b> created.")).format(title=title)]
    else:
        lines = [tr.gettext(N_("✅ Event <b>{title}</b> updated: same join codes, answers and schedules.")).format(title=title)]
    when = _dates(event.starts_on, event.ends_on, tr)
    if event.place or when:
        lines.append(" · ".join(p for p in (esc(event.place), when) if p))
    for session in event.sessions:
        lines.append(_session_item(session, tr))
    if event.sessions:
        lines.append("\n" + tr.gettext(N_("Sessions start as drafts: /open CODE when the room is ready, /link CODE for the QR code.")))
    else:
        lines.append("\n" + tr.gettext(N_("Add sessions with /newsession.")))
    return "\n".join(lines)


def _dates(first: date | None, last: date | None, tr: Translator) -> str:
    if first is None:
        return ""
    if last is None or last == first:
        return tr.date(first, "medium")
    return tr.gettext(N_("{first} to {last}")).format(first=tr.date(first, "medium"), last=tr.date(last, "medium"))


def _session_item(session: SessionView, tr: Translator) -> str:
    """One line of an event's sessions: code, title, prompts, start and room."""
    prompts = tr.ngettext("{count} prompt", "{count} prompts", len(session.prompts)).format(count=len(session.prompts))
    details = ", ".join(p for p in (prompts, _start(session, tr)) if p)
    where = f" · {esc(session.track)}" if session.track else ""
    return f"• <code>{session.join_code}</code> {esc(session.title)} ({details}{where})"


def _start(session: SessionView, tr: Translator) -> str:
    return tr.datetime(session.starts_at, session.timezone) if session.starts_at else ""


def agenda_changes(changes: AgendaChanges, tr: Translator) -> str:
    """What a re-imported agenda changed (for a brand-new event, only the waiting rapporteurs)."""
    lines = []
    if not changes.new_event:
        for template, titles in (
            (N_("Added: {titles}"), changes.created),
            (N_("Updated: {titles}"), changes.updated),
            (N_("Removed (no input): {titles}"), changes.removed),
            (N_("Kept (added in chat, not in the file): {titles}"), changes.kept),
        ):
            if titles:
                lines.append(tr.gettext(template).format(titles="; ".join(esc(title) for title in titles)))
    if changes.waiting:
        names = ", ".join(esc(name) for name in changes.waiting)
        lines.append(tr.gettext(N_("They become rapporteurs when they first write to me: {names}")).format(names=names))
    lines.append(
        tr.gettext(
            N_(
                "To correct the agenda later, send the corrected file again: events and sessions are matched by their <code>key</code> (by default their title)."
            )
        )
    )
    return "\n".join(lines)


@render.register
def _agenda_problem(outcome: AgendaProblem, tr: Translator) -> list[Reply]:
    text = tr.gettext(N_("⚠️ {error}\n\nNothing was created. Fix the agenda and send it again."))
    return [Reply(text.format(error=esc(outcome.error.render(tr))))]


@render.register
def _session_created(outcome: SessionCreated, tr: Translator) -> list[Reply]:
    session = outcome.session
    text = tr.ngettext(
        "✅ Session <b>{title}</b> created with {count} prompt.\nJoin code: <code>{code}</code> (status: draft).\n/open {code} when the room is ready; /link {code} for the QR code.",
        "✅ Session <b>{title}</b> created with {count} prompts.\nJoin code: <code>{code}</code> (status: draft).\n/open {code} when the room is ready; /link {code} for the QR code.",
        len(session.prompts),
    )
    return [
        Reply(text.format(title=esc(session.title), count=len(session.prompts), code=session.join_code), kb.manage_keyboard(session, tr))
    ]


# ----- running sessions, roles ---------------------------------------------------------------


@render.register
def _status_changed(outcome: StatusChanged, tr: Translator) -> list[Reply]:
    session = outcome.session
    text = tr.gettext(STATUS_CHANGED[session.status]).format(title=esc(session.title))
    if outcome.waiting:
        count = len(outcome.waiting)
        text += " " + tr.ngettext(
            "I'm sending the first question to the participant who was waiting.",
            "I'm sending the first question to the {count} participants who were waiting.",
            count,
        ).format(count=count)
    return [Reply(text, kb.manage_keyboard(session, tr))]


@render.register
def _role_granted(outcome: RoleGranted, tr: Translator) -> list[Reply]:
    template = (REVOKED if outcome.revoked else GRANTED)[outcome.role]
    return [Reply(tr.gettext(template).format(name=esc(outcome.name), title=esc(outcome.session_title)))]


@render.register
def _usage(outcome: Usage, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(USAGE[outcome.command]))]


@render.register
def _overview(outcome: Overview, tr: Translator) -> list[Reply]:
    """/manage: a message per event, and one per session with its Open/Close/Link buttons."""
    if not outcome.events:
        return render(Notice("no_events"), tr)
    replies = []
    for event in outcome.events:
        header = f"<b>{esc(event.title)}</b>"
        if not event.sessions:
            header += "\n" + tr.gettext(N_("No sessions yet — /newsession."))
        replies.append(Reply(header))
        for session in event.sessions[:MANAGE_LIMIT]:
            line = session_line(session, outcome.members.get(session.id, 0), outcome.answers.get(session.id, 0), tr)
            replies.append(Reply(line, kb.manage_keyboard(session, tr)))
        rest = event.sessions[MANAGE_LIMIT:]
        if rest:
            codes = ", ".join(f"<code>{s.join_code}</code>" for s in rest)
            more = tr.ngettext(
                "…and {count} more session: {codes}. Use /open CODE, /close CODE, /link CODE.",
                "…and {count} more sessions: {codes}. Use /open CODE, /close CODE, /link CODE.",
                len(rest),
            )
            replies.append(Reply(more.format(count=len(rest), codes=codes)))
    return replies


def session_line(session: SessionView, members: int, answers: int, tr: Translator) -> str:
    joined = tr.ngettext("{count} joined", "{count} joined", members).format(count=members)
    said = tr.ngettext("{count} answer", "{count} answers", answers).format(count=answers)
    details = " · ".join(p for p in (_start(session, tr), esc(session.track)) if p)
    status = tr.gettext(STATUS[session.status])
    text = f"<code>{session.join_code}</code> <b>{esc(session.title)}</b>\n{status} · {joined} · {said}"
    return text + (f"\n{details}" if details else "")


def qr_caption(session: SessionView, url: str, bot_username: str, tr: Translator) -> str:
    text = tr.gettext(N_("<b>{title}</b>\nScan to join, or open {url}\nor send <code>/join {code}</code> to @{bot}"))
    return text.format(title=esc(session.title), url=url, code=session.join_code, bot=bot_username)
