"""Inline keyboards and the callback data they carry.

Every label is in the reader's language (`tr`); callback data never changes with it.
Callback data is short (`verb:arg:arg`, well under Telegram's 64 bytes) and never trusted:
`parse_callback` accepts only known verbs with integer or enumerated arguments, and every
service re-checks ownership and role before acting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from bot.i18n import LANGUAGE_NAMES, LOCALES, Translator
from bot.services.ids import parse_number
from bot.services.views import ContributionView, MembershipView, Page, SessionView
from handlers.texts import COMMUNITY_LABEL
from storage.models import Community, SessionStatus

_CALLBACK = re.compile(r"^([a-z]{2})(?::([A-Za-z0-9_/+-]{1,40}))?(?::([0-9]{1,12}))?$")


@dataclass(frozen=True, slots=True)
class Callback:
    verb: str
    arg: str | None = None
    number: int | None = None

    def int_arg(self) -> int | None:
        """The first argument as a number that can reach the database (0 … 2**31 - 1), else None."""
        return parse_number(self.arg)


def parse_callback(data: str | None) -> Callback | None:
    match = _CALLBACK.match(data or "")
    if match is None:
        return None
    verb, arg, number = match.groups()
    checked = parse_number(number)
    if number is not None and checked is None:
        return None  # a number no button of ours carries: forged
    return Callback(verb, arg, checked)


def prompt_keyboard(session: SessionView, position: int, tr: Translator) -> Markup:
    row = []
    if position + 1 < len(session.prompts):
        row.append(Button(tr.gettext("Next ▶"), callback_data=f"nx:{session.id}:{position}"))
    row.append(Button(tr.gettext("Done ✓"), callback_data=f"dn:{session.id}"))
    return Markup([row, [Button(tr.gettext("📝 My input"), callback_data="mi:0")]])


def finished_keyboard(session: SessionView, tr: Translator) -> Markup:
    return Markup(
        [
            [Button(tr.gettext("📝 My input"), callback_data="mi:0"), Button(tr.gettext("➕ Add more"), callback_data=f"ag:{session.id}")],
            [Button(tr.gettext("🗳 React to others' points"), callback_data=f"rn:{session.id}:0")],
        ]
    )


def consent_keyboard(tr: Translator) -> Markup:
    return Markup([[Button(tr.gettext("✅ I agree"), callback_data="cs:yes"), Button(tr.gettext("No thanks"), callback_data="cs:no")]])


def name_keyboard(suggested: str, tr: Translator) -> Markup | None:
    if not suggested:
        return None
    return Markup([[Button(tr.gettext("Use “{name}”").format(name=suggested[:40]), callback_data="nm")]])


def community_keyboard(tr: Translator) -> Markup:
    buttons = [Button(tr.gettext(label), callback_data=f"cm:{c.value}") for c, label in COMMUNITY_LABEL.items()]
    return Markup([buttons[:3], buttons[3:]])


def my_input_keyboard(page: Page, tr: Translator) -> Markup | None:
    rows = []
    for index, item in enumerate(page.items, start=page.offset + 1):
        rows.append(
            [
                Button(tr.gettext("✏️ Edit {number}").format(number=index), callback_data=f"ed:{item.id}"),
                Button(tr.gettext("🗑 Delete {number}").format(number=index), callback_data=f"dl:{item.id}"),
            ]
        )
    nav = []
    if page.number > 0:
        nav.append(Button(tr.gettext("◀ Previous"), callback_data=f"mi:{page.number - 1}"))
    if page.number + 1 < page.count:
        nav.append(Button(tr.gettext("More ▶"), callback_data=f"mi:{page.number + 1}"))
    if nav:
        rows.append(nav)
    return Markup(rows) if rows else None


def confirm_delete_keyboard(item: ContributionView, tr: Translator) -> Markup:
    return Markup([[Button(tr.gettext("Yes, delete"), callback_data=f"dy:{item.id}"), Button(tr.gettext("Keep it"), callback_data="cc")]])


def cancel_keyboard(tr: Translator) -> Markup:
    return Markup([[Button(tr.gettext("Cancel"), callback_data="cc")]])


def language_keyboard(current: str) -> Markup:
    """Each language named in itself (someone who cannot read the current one still finds theirs)."""
    return Markup(
        [[Button(("✓ " if locale == current else "") + LANGUAGE_NAMES[locale], callback_data=f"lg:{locale}") for locale in LOCALES]]
    )


def sessions_keyboard(memberships: tuple[MembershipView, ...]) -> Markup | None:
    rows = [[Button(("▶ " if m.active else "") + m.session.title[:48], callback_data=f"sw:{m.session.id}")] for m in memberships[-10:]]
    return Markup(rows) if rows else None


def profile_keyboard(tr: Translator) -> Markup:
    return Markup(
        [
            [
                Button(tr.gettext("Name"), callback_data="pf:name"),
                Button(tr.gettext("Organisation"), callback_data="pf:organisation"),
                Button(tr.gettext("Community"), callback_data="pf:community"),
            ]
        ]
    )


def options_keyboard(options: tuple[tuple[str, str], ...], verb: str = "wz", per_row: int = 2) -> Markup | None:
    if not options:
        return None
    buttons = [Button(label, callback_data=f"{verb}:{value}") for label, value in options]
    return Markup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def manage_keyboard(session: SessionView, tr: Translator) -> Markup:
    row = [Button(tr.gettext("🔗 Link & QR"), callback_data=f"lk:{session.id}")]
    if session.status is SessionStatus.OPEN:
        row.insert(0, Button(tr.gettext("⏹ Close"), callback_data=f"cl:{session.id}"))
    else:
        row.insert(0, Button(tr.gettext("▶ Open"), callback_data=f"op:{session.id}"))
    return Markup([row])


def community_values() -> set[str]:
    return {c.value for c in Community}
