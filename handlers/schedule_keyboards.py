"""The scheduling buttons, labelled in the reader's language (callback data never changes).

Buttons: sc:<choice> (a wizard step), se:<id> change time, sx:<id> cancel, sn:<id> send now;
under a delivery summary, sr:<delivery id> asks to resend to the unconfirmed and sy:<delivery id>
confirms it (sr:no declines); cc cancels the flow.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from bot.i18n import Translator
from bot.services.schedule_flows import TargetOption
from handlers import schedule_texts as st


def item_keyboard(item_id: int, tr: Translator, *, missed: bool = False) -> Markup:
    """✏️ change time, ✖ cancel, and ▶ send now for an item that was missed."""
    row = [
        Button(tr.gettext(st.CHANGE_TIME), callback_data=f"se:{item_id}"),
        Button(tr.gettext(st.CANCEL_ITEM), callback_data=f"sx:{item_id}"),
    ]
    return Markup([[Button(tr.gettext(st.SEND_NOW), callback_data=f"sn:{item_id}")], row] if missed else [row])


def targets_keyboard(options: tuple[TargetOption, ...], tr: Translator) -> Markup | None:
    if not options:
        return None
    return Markup([[Button(st.target_button(option, tr), callback_data=f"sc:{option.key}")] for option in options])


def audience_keyboard(tr: Translator) -> Markup:
    return Markup([[Button(tr.gettext(label), callback_data=f"sc:{value}")] for label, value in st.AUDIENCE_BUTTONS])


def papers_done_keyboard(tr: Translator) -> Markup:
    return Markup([[Button(tr.gettext(st.PAPERS_DONE), callback_data="sc:done")]])


def cancel_keyboard(tr: Translator) -> Markup:
    return Markup([[Button(tr.gettext(st.CANCEL), callback_data="cc")]])


def resend_keyboard(delivery_id: int, count: int, tr: Translator) -> Markup:
    """Under a delivery summary: resend to the unconfirmed recipients (asks first)."""
    return Markup([[Button(st.resend_button(count, tr), callback_data=f"sr:{delivery_id}")]])


def resend_confirm_keyboard(delivery_id: int, tr: Translator) -> Markup:
    return Markup(
        [[Button(tr.gettext(st.RESEND_YES), callback_data=f"sy:{delivery_id}"), Button(tr.gettext(st.RESEND_NO), callback_data="sr:no")]]
    )
