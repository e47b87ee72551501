"""Turns service outcomes into messages: text (HTML) and an optional inline keyboard, in the
reader's language.

`render` is the one renderer. Each outcome type has its own function, registered with
`@render.register`; other areas register theirs in their handlers module, so there is no list of
every outcome to keep in step here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.languages import ChooseLanguage, LanguageChosen
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
from bot.services.views import MembershipView, Page
from handlers import keyboards as kb
from handlers import texts as t
from storage.models import SessionStatus


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    markup: InlineKeyboardMarkup | None = None


@functools.singledispatch
def render(outcome: object, tr: Translator) -> list[Reply]:
    """The one renderer: an outcome, in the reader's language, as messages. Outcomes of other
    areas register their own rendering with `@render.register` in their handlers module."""
    raise TypeError(f"no rendering for {type(outcome).__name__}")


# ----- the participant's outcomes ------------------------------------------------------------


@render.register
def _notice(outcome: Notice, tr: Translator) -> list[Reply]:
    return [Reply(t.notice(outcome.key, outcome.params, tr))]


@render.register
def _show_prompt(outcome: ShowPrompt, tr: Translator) -> list[Reply]:
    session, position = outcome.session, outcome.position
    intro = [Reply(t.session_intro(session, tr))] if outcome.intro else []
    return [*intro, Reply(t.prompt(session, position, outcome.answered, tr), kb.prompt_keyboard(session, position, tr))]


@render.register
def _answer_saved(outcome: AnswerSaved, tr: Translator) -> list[Reply]:
    session, position = outcome.session, outcome.position
    return [Reply(t.answer_saved(session, position, outcome.answered, tr), kb.prompt_keyboard(session, position, tr))]


@render.register
def _finished(outcome: Finished, tr: Translator) -> list[Reply]:
    return [Reply(t.finished(outcome.session, outcome.answers, tr), kb.finished_keyboard(outcome.session, tr))]


@render.register
def _waiting(outcome: Waiting, tr: Translator) -> list[Reply]:
    return [Reply(t.waiting(outcome.session, tr))]


@render.register
def _ask_onboarding(outcome: AskOnboarding, tr: Translator) -> list[Reply]:
    match outcome.step:
        case "consent":
            intro = [Reply(t.session_intro(outcome.session, tr))] if outcome.session else []
            return [*intro, Reply(tr.gettext(t.CONSENT), kb.consent_keyboard(tr))]
        case "name":
            return [Reply(tr.gettext(t.ONBOARDING_ASK["name"]), kb.name_keyboard(outcome.suggested_name, tr))]
        case "community":
            return [Reply(tr.gettext(t.ONBOARDING_ASK["community"]), kb.community_keyboard(tr))]
    return [Reply(tr.gettext(t.ONBOARDING_ASK[outcome.step]))]


@render.register
def _my_input(outcome: MyInput, tr: Translator) -> list[Reply]:
    return [Reply(_my_input_text(outcome.session.title, outcome.page, tr), kb.my_input_keyboard(outcome.page, tr))]


@render.register
def _ask_edit(outcome: AskEdit, tr: Translator) -> list[Reply]:
    text = tr.gettext("Send the new text for:\n\n<blockquote>{answer}</blockquote>").format(answer=t.esc(outcome.contribution.text))
    return [Reply(text, kb.cancel_keyboard(tr))]


@render.register
def _confirm_delete(outcome: ConfirmDelete, tr: Translator) -> list[Reply]:
    item = outcome.contribution
    text = tr.gettext("Delete this answer?\n\n<blockquote>{answer}</blockquote>").format(answer=t.esc(t.excerpt(item.text)))
    return [Reply(text, kb.confirm_delete_keyboard(item, tr))]


@render.register
def _session_list(outcome: SessionList, tr: Translator) -> list[Reply]:
    return [Reply(_sessions(outcome.memberships, tr), kb.sessions_keyboard(outcome.memberships))]


@render.register
def _profile(outcome: Profile, tr: Translator) -> list[Reply]:
    profile = outcome.profile
    text = tr.gettext(
        "<b>Your profile</b>\nName: {name}\nOrganisation: {organisation}\nCommunity: {community}\n\nTap what you want to change."
    ).format(
        name=t.esc(profile.display_name) or "—",
        organisation=t.esc(profile.organisation) or "—",
        community=t.community_label(profile.community, tr),
    )
    return [Reply(text, kb.profile_keyboard(tr))]


@render.register
def _choose_language(outcome: ChooseLanguage, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext("Which language should I use with you?"), kb.language_keyboard(outcome.current))]


@render.register
def _language_chosen(outcome: LanguageChosen, tr: Translator) -> list[Reply]:
    """Said in the new language: `tr` is already the chosen one."""
    return [Reply(tr.gettext("✅ From now on I will write to you in English."))]


def _my_input_text(title: str, page: Page, tr: Translator) -> str:
    if not page.total:
        return tr.gettext("You haven't sent anything to <b>{title}</b> yet.").format(title=t.esc(title))
    head = tr.ngettext(
        "<b>Your input to {title}</b> ({count} point, page {page} of {pages})",
        "<b>Your input to {title}</b> ({count} points, page {page} of {pages})",
        page.total,
    ).format(title=t.esc(title), count=page.total, page=page.number + 1, pages=page.count)
    lines = [head]
    for index, item in enumerate(page.items, start=page.offset + 1):
        # TRANSLATORS: "Q2 · Recommendation": the question's number and kind, in a list of one's answers
        where = tr.gettext("Q{number} · {kind}").format(number=item.prompt_position + 1, kind=t.kind_label(item.prompt_kind, tr))
        edited = " <i>" + tr.gettext("(edited)") + "</i>" if item.edited else ""
        lines.append(f"\n<b>{index}.</b> {where}{edited}\n{t.esc(t.excerpt(item.text))}")
    return "\n".join(lines)


def _status(status: SessionStatus, tr: Translator) -> str:
    """A session's status in a list of one's sessions (the word agrees with "session")."""
    match status:
        case SessionStatus.OPEN:
            return tr.pgettext("session status", "open")
        case SessionStatus.CLOSED:
            return tr.pgettext("session status", "closed")
    return tr.pgettext("session status", "not open yet")


def _sessions(memberships: tuple[MembershipView, ...], tr: Translator) -> str:
    if not memberships:
        return t.notice("no_session", {}, tr)
    lines = [tr.gettext("<b>Your sessions</b> (tap one to switch)")]
    for m in memberships:
        mark = "▶ " if m.active else ""
        line = tr.ngettext("<b>{title}</b> — {count} answer, {status}", "<b>{title}</b> — {count} answers, {status}", m.answers)
        lines.append(mark + line.format(title=t.esc(m.session.title), count=m.answers, status=_status(m.session.status, tr)))
    return "\n".join(lines)
