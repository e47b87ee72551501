"""Telegram-facing layer: registers every handler on an Application, in one place."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import common, general, organiser, participant, privacy, reports, scheduling, web_pages
from handlers.common import send_all_owed
from handlers.context import BotApplication

__all__ = ["register", "send_all_owed"]

PRIVATE = filters.ChatType.PRIVATE
PARTICIPANT_BUTTONS = r"^(nx|dn|ag|mi|ed|dl|dy|cc|sw|cs|nm|cm|pf|lg)(:|$)"
ORGANISER_BUTTONS = r"^(wz|op|cl|lk)(:|$)"
REPORT_BUTTONS = r"^(rp|rs|re|rr|rx|rv|rn)(:|$)"


def register(application: BotApplication) -> None:
    """All handlers, in order. Group 0 holds everything; within it the first match wins, so
    specific commands come before the catch-all for unknown commands, and text before other media."""
    commands = [
        ("start", participant.start),
        ("join", participant.join),
        ("myinput", participant.my_input),
        ("sessions", participant.sessions),
        ("skip", participant.skip),
        ("cancel", participant.cancel),
        ("profile", participant.profile),
        ("language", participant.language),
        ("help", general.help_command),
        ("newevent", organiser.new_event),
        ("newsession", organiser.new_session),
        ("agenda", organiser.agenda),
        ("manage", organiser.manage),
        ("open", organiser.open_session),
        ("close", organiser.close_session),
        ("link", organiser.link),
        ("grant", organiser.grant),
        ("revoke", organiser.revoke),
        ("draft", reports.draft),
        ("edit", reports.edit),
        ("hide", reports.hide),
        ("unhide", reports.unhide),
        ("rename", reports.rename),
        ("merge", reports.merge),
        ("regenerate", reports.regenerate),
        ("approve", reports.approve),
        ("versions", reports.versions),
        ("export", reports.export),
        ("eventreport", reports.event_report),
        ("reportlanguage", reports.report_language),
        ("react", reports.react),
        ("remind", scheduling.remind),
        ("papers", scheduling.papers),
        ("deliver", scheduling.deliver),
        ("schedule", scheduling.schedule),
        ("move", scheduling.move),
        ("screen", web_pages.screen),
        ("mydata", privacy.my_data),
        ("forget", privacy.forget),
    ]
    application.add_handlers(
        [
            MessageHandler(~PRIVATE & filters.COMMAND, general.in_group),
            *[CommandHandler(name, callback, filters=PRIVATE) for name, callback in commands],
            MessageHandler(PRIVATE & filters.COMMAND, general.unknown_command),
            MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, participant.edited),
            MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT, participant.text),
            MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & filters.Document.ALL, organiser.agenda_file),
            MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, participant.non_text),
            CallbackQueryHandler(participant.button, pattern=PARTICIPANT_BUTTONS),
            CallbackQueryHandler(organiser.button, pattern=ORGANISER_BUTTONS),
            CallbackQueryHandler(reports.button, pattern=REPORT_BUTTONS),
            CallbackQueryHandler(scheduling.button, pattern=scheduling.SCHEDULE_BUTTONS),
            CallbackQueryHandler(web_pages.button, pattern=web_pages.SCREEN_BUTTONS),
            CallbackQueryHandler(privacy.button, pattern=privacy.BUTTONS),
            CallbackQueryHandler(organiser.button),  # anything else: answered as out of date
        ]
    )
    application.add_handler(CallbackQueryHandler(common.ignore_without_message), group=-1)
    application.add_handler(CallbackQueryHandler(common.answer_if_unanswered), group=1)
    application.add_error_handler(general.on_error)
