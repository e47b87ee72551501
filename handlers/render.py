"""Turns service outcomes into messages: text (HTML) and an optional inline keyboard."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator, translator
from bot.services.organising import EventCreated, RoleGranted, SessionCreated, StatusChanged
from bot.services.outcomes import (
    AnswerSaved,
    AskEdit,
    AskOnboarding,
    ConfirmDelete,
    Finished,
    MyInput,
    Notice,
    Profile,
    SessionList,
    ShowPrompt,
    Waiting,
)
from bot.services.views import EventView, MembershipView, Page
from bot.services.wizards import WizardAsk
from handlers import keyboards as kb
from handlers import texts as t

EXCERPT = 600


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    markup: InlineKeyboardMarkup | None = None


@functools.singledispatch
def render(outcome: object, tr: Translator) -> list[Reply]:
    """The one renderer: an outcome, in the reader's language, as messages. Outcomes of other
    areas register their own rendering with `@render.register` in their handlers module."""
    match outcome:
        case Notice(key=key, params=params):
            return [Reply(t.notice(key, params, tr))]
        case ShowPrompt(session=session, position=position, answered=answered, intro=intro):
            replies = [Reply(t.session_intro(session))] if intro else []
            return [*replies, Reply(t.prompt(session, position, answered), kb.prompt_keyboard(session, position))]
        case AnswerSaved(session=session, position=position, answered=answered):
            return [Reply(t.answer_saved(session, position, answered), kb.prompt_keyboard(session, position))]
        case Finished(session=session, answers=answers):
            return [Reply(t.finished(session, answers), kb.finished_keyboard(session))]
        case Waiting(session=session):
            return [Reply(t.waiting(session))]
        case AskOnboarding(step="consent", session=session):
            intro = [Reply(t.session_intro(session))] if session else []
            return [*intro, Reply(t.CONSENT, kb.consent_keyboard())]
        case AskOnboarding(step="name", suggested_name=suggested):
            return [Reply(t.ONBOARDING_ASK["name"], kb.name_keyboard(suggested))]
        case AskOnboarding(step="community"):
            return [Reply(t.ONBOARDING_ASK["community"], kb.community_keyboard())]
        case AskOnboarding(step=step):
            return [Reply(t.ONBOARDING_ASK[step])]
        case MyInput(session=session, page=page):
            return [Reply(_my_input(session.title, page), kb.my_input_keyboard(page))]
        case AskEdit(contribution=item):
            return [Reply(f"Send the new text for:\n\n<blockquote>{t.esc(item.text)}</blockquote>", kb.cancel_keyboard())]
        case ConfirmDelete(contribution=item):
            return [
                Reply(f"Delete this answer?\n\n<blockquote>{t.esc(_excerpt(item.text))}</blockquote>", kb.confirm_delete_keyboard(item))
            ]
        case SessionList(memberships=memberships):
            return [Reply(_sessions(memberships), kb.sessions_keyboard(memberships))]
        case Profile(profile=profile):
            text = (
                "<b>Your profile</b>\n"
                f"Name: {t.esc(profile.display_name) or '—'}\n"
                f"Organisation: {t.esc(profile.organisation) or '—'}\n"
                f"Community: {t.community_label(profile.community)}\n\nTap what you want to change."
            )
            return [Reply(text, kb.profile_keyboard())]
        case WizardAsk(flow=flow, step=step, options=options, data=data, error=error):
            per_row = 1 if step in ("event",) else 2
            return [Reply(t.wizard(flow, step, data, error), kb.options_keyboard(options, per_row=per_row))]
        case EventCreated(event=event, changes=changes):
            return [Reply(_event_created(event, changes is None or changes.new_event) + (t.agenda_changes(changes) if changes else ""))]
        case SessionCreated(session=session):
            text = (
                f"✅ Session <b>{t.esc(session.title)}</b> created with {len(session.prompts)} prompt(s).\n"
                f"Join code: <code>{session.join_code}</code> (status: draft).\n/open {session.join_code} when the room is ready; /link {session.join_code} for the QR code."
            )
            return [Reply(text, kb.manage_keyboard(session))]
        case StatusChanged(session=session, waiting=waiting):
            state = {"open": "is now <b>open</b> ▶", "closed": "is now <b>closed</b> ⏹", "draft": "is a draft"}[session.status.value]
            extra = f" I'm sending the first question to the {len(waiting)} participant(s) who were waiting." if waiting else ""
            return [Reply(f"<b>{t.esc(session.title)}</b> {state}.{extra}", kb.manage_keyboard(session))]
        case RoleGranted(role=role, name=name, scope=scope):
            return [Reply(f"✅ {t.esc(name)} — {role.value} for <b>{t.esc(scope)}</b>.")]
    raise TypeError(f"no rendering for {type(outcome).__name__}")


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT].rsplit(" ", 1)[0] + " …"


def _my_input(title: str, page: Page) -> str:
    if not page.total:
        return f"You haven't sent anything to <b>{t.esc(title)}</b> yet."
    lines = [
        f"<b>Your input to {t.esc(title)}</b> ({page.total} point{'s' if page.total != 1 else ''}, page {page.number + 1}/{page.count})"
    ]
    for index, item in enumerate(page.items, start=page.offset + 1):
        edited = " <i>(edited)</i>" if item.edited else ""
        lines.append(
            f"\n<b>{index}.</b> Q{item.prompt_position + 1} · {t.KIND_LABEL[item.prompt_kind]}{edited}\n{t.esc(_excerpt(item.text))}"
        )
    return "\n".join(lines)


def _sessions(memberships: tuple[MembershipView, ...]) -> str:
    if not memberships:
        return t.notice("no_session", {}, translator("en"))
    lines = ["<b>Your sessions</b> (tap one to switch)"]
    for m in memberships:
        mark = "▶ " if m.active else ""
        status = {"open": "open", "closed": "closed", "draft": "not open yet"}[m.session.status.value]
        lines.append(f"{mark}<b>{t.esc(m.session.title)}</b> — {m.answers} answer(s), {status}")
    return "\n".join(lines)


def _event_created(event: EventView, new: bool = True) -> str:
    lines = (
        [f"✅ Event <b>{t.esc(event.title)}</b> created."]
        if new
        else [f"✅ Event <b>{t.esc(event.title)}</b> updated: same join codes, answers and schedules."]
    )
    if event.place or event.starts_on:
        when = event.starts_on.isoformat() if event.starts_on else ""
        if event.ends_on and event.ends_on != event.starts_on:
            when += f" – {event.ends_on.isoformat()}"
        lines.append(" · ".join(p for p in (t.esc(event.place), when) if p))
    for session in event.sessions:
        start = t.local_time(session.starts_at, session.timezone)
        where = f" · {t.esc(session.track)}" if session.track else ""
        lines.append(
            f"• <code>{session.join_code}</code> {t.esc(session.title)} ({len(session.prompts)} prompts{', ' + start if start else ''}{where})"
        )
    if event.sessions:
        lines.append("\nSessions start as drafts: /open CODE when the room is ready, /link CODE for the QR code.")
    else:
        lines.append("\nAdd sessions with /newsession.")
    return "\n".join(lines)
