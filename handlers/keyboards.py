"""Inline keyboards and the callback data they carry.

Callback data is short (`verb:arg:arg`, well under Telegram's 64 bytes) and never trusted:
`parse_callback` accepts only known verbs with integer or enumerated arguments, and every
service re-checks ownership and role before acting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

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


def prompt_keyboard(session: SessionView, position: int) -> Markup:
    row = []
    if position + 1 < len(session.prompts):
        row.append(Button("Next ▶", callback_data=f"nx:{session.id}:{position}"))
    row.append(Button("Done ✓", callback_data=f"dn:{session.id}"))
    return Markup([row, [Button("📝 My input", callback_data="mi:0")]])


def finished_keyboard(session: SessionView) -> Markup:
    return Markup(
        [
            [Button("📝 My input", callback_data="mi:0"), Button("➕ Add more", callback_data=f"ag:{session.id}")],
            [Button("🗳 React to others' points", callback_data=f"rn:{session.id}:0")],
        ]
    )


def consent_keyboard() -> Markup:
    return Markup([[Button("✅ I agree", callback_data="cs:yes"), Button("No thanks", callback_data="cs:no")]])


def name_keyboard(suggested: str) -> Markup | None:
    return Markup([[Button(f"Use “{suggested[:40]}”", callback_data="nm")]]) if suggested else None


def community_keyboard() -> Markup:
    buttons = [Button(label, callback_data=f"cm:{c.value}") for c, label in COMMUNITY_LABEL.items()]
    return Markup([buttons[:3], buttons[3:]])


def my_input_keyboard(page: Page) -> Markup | None:
    rows = []
    for index, item in enumerate(page.items, start=page.offset + 1):
        rows.append([Button(f"✏️ Edit {index}", callback_data=f"ed:{item.id}"), Button(f"🗑 Delete {index}", callback_data=f"dl:{item.id}")])
    nav = []
    if page.number > 0:
        nav.append(Button("◀ Previous", callback_data=f"mi:{page.number - 1}"))
    if page.number + 1 < page.count:
        nav.append(Button("More ▶", callback_data=f"mi:{page.number + 1}"))
    if nav:
        rows.append(nav)
    return Markup(rows) if rows else None


def confirm_delete_keyboard(item: ContributionView) -> Markup:
    return Markup([[Button("Yes, delete", callback_data=f"dy:{item.id}"), Button("Keep it", callback_data="cc")]])


def cancel_keyboard() -> Markup:
    return Markup([[Button("Cancel", callback_data="cc")]])


def sessions_keyboard(memberships: tuple[MembershipView, ...]) -> Markup | None:
    rows = [[Button(("▶ " if m.active else "") + m.session.title[:48], callback_data=f"sw:{m.session.id}")] for m in memberships[-10:]]
    return Markup(rows) if rows else None


def profile_keyboard() -> Markup:
    return Markup(
        [
            [
                Button("Name", callback_data="pf:name"),
                Button("Organisation", callback_data="pf:organisation"),
                Button("Community", callback_data="pf:community"),
            ]
        ]
    )


def options_keyboard(options: tuple[tuple[str, str], ...], verb: str = "wz", per_row: int = 2) -> Markup | None:
    if not options:
        return None
    buttons = [Button(label, callback_data=f"{verb}:{value}") for label, value in options]
    return Markup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def manage_keyboard(session: SessionView) -> Markup:
    row = [Button("🔗 Link & QR", callback_data=f"lk:{session.id}")]
    if session.status is SessionStatus.OPEN:
        row.insert(0, Button("⏹ Close", callback_data=f"cl:{session.id}"))
    else:
        row.insert(0, Button("▶ Open", callback_data=f"op:{session.id}"))
    return Markup([row])


def community_values() -> set[str]:
    return {c.value for c in Community}
