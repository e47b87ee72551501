"""What the bot says about personal data: /mydata, /forget and the retention period (HTML), in
the reader's language. The data itself (names, titles, the JSON file) is never translated.

Each outcome of bot.services.privacy is rendered here, registered with the one renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from bot.i18n import N_, Translator
from bot.services.privacy import ForgetPreview, Forgotten, PersonalData, RetentionApplied
from handlers.render import Reply, render
from handlers.texts import esc
from web.texts import COMMUNITY_LABEL, WEB

MY_DATA_CAPTION = N_("Everything I store about you, as JSON.")
FORGET_CANCELLED = N_("Nothing was erased.")
NONE = "—"


@dataclass(frozen=True, slots=True)
class ForgetCancelled:
    """The person pressed "Cancel" under /forget."""


@render.register
def my_data(personal: PersonalData, tr: Translator) -> list[Reply]:
    profile = personal.data["profile"]
    community = profile["community"]
    consent = tr.date(personal.consent_at.astimezone(ZoneInfo("UTC")).date()) if personal.consent_at else tr.gettext("not yet")
    telegram = (
        tr.gettext("Telegram: id {id}, @{username}").format(id=profile["telegram_user_id"], username=esc(profile["username"]))
        if profile["username"]
        else tr.gettext("Telegram: id {id}").format(id=profile["telegram_user_id"])
    )
    lines = [
        tr.gettext("<b>Your data</b> (the attached file has all of it)"),
        tr.gettext("Name: {name}").format(name=esc(profile["name"]) or NONE),
        tr.gettext("Organisation: {organisation}").format(organisation=esc(profile["organisation"]) or NONE),
        tr.gettext("Community: {community}").format(
            community=tr.pgettext(WEB, COMMUNITY_LABEL[community]) if community in COMMUNITY_LABEL else esc(community or NONE)
        ),
        telegram,
        tr.gettext("Consent given: {date}").format(date=consent),
        tr.gettext("Sessions joined: {sessions} · answers: {answers} · reactions to others' points: {reactions} · roles: {roles}").format(
            sessions=personal.sessions, answers=personal.contributions, reactions=personal.reactions, roles=personal.roles
        ),
    ]
    for item in personal.erasures:
        # the last day data is kept, in the event's zone: a period ending at midnight ends the day before
        day = tr.date((item.after - timedelta(microseconds=1)).astimezone(_zone(item.timezone)).date())
        lines.append(tr.gettext("Erased automatically after {date} ({event}).").format(date=day, event=esc(item.event)))
    lines.append("\n" + tr.gettext("/forget erases it now; /myinput edits or deletes single answers."))
    return [Reply("\n".join(lines))]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


@render.register
def forget_ask(preview: ForgetPreview, tr: Translator) -> list[Reply]:
    keyboard = Markup(
        [
            [Button(tr.gettext("Erase me, keep my answers anonymously"), callback_data="fg:keep")],
            [Button(tr.gettext("Erase me and all my answers"), callback_data="fg:all")],
            [Button(tr.gettext("Cancel"), callback_data="fg:no")],
        ]
    )
    heading = tr.gettext("🗑 <b>Forget me</b>")
    if not (preview.contributions or preview.sessions or preview.reactions):
        nothing = tr.gettext("I store nothing about you beyond this conversation's Telegram id, and that goes too if you tap below.")
        return [Reply(f"{heading}\n\n{nothing}", keyboard)]
    sessions, answers, reactions = preview.sessions, preview.contributions, preview.reactions
    what = [
        tr.gettext("I will erase your name, organisation and Telegram identity."),
        tr.ngettext("You took part in {count} session.", "You took part in {count} sessions.", sessions).format(count=sessions),
        tr.ngettext("You sent {count} answer.", "You sent {count} answers.", answers).format(count=answers),
        tr.ngettext("You reacted to {count} point.", "You reacted to {count} points.", reactions).format(count=reactions),
    ]
    text = "\n\n".join(
        [
            heading,
            " ".join(what),
            tr.gettext(
                "• <b>Keep my answers</b>: they stay in the reports with no name, organisation or Telegram id.\n"
                "• <b>Erase all</b>: your answers and reactions are deleted too."
            ),
            tr.gettext("Either way the reports of your sessions get a new version without you. This cannot be undone."),
        ]
    )
    return [Reply(text, keyboard)]


@render.register
def forget_cancelled(outcome: ForgetCancelled, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(FORGET_CANCELLED))]


@render.register
def forgotten(result: Forgotten, tr: Translator) -> list[Reply]:
    count = result.contributions
    what = (
        tr.ngettext("Your {count} answer stays, anonymously.", "Your {count} answers stay, anonymously.", count)
        if result.kept_contributions
        else tr.ngettext("Your {count} answer was deleted.", "Your {count} answers were deleted.", count)
    ).format(count=count)
    parts = [tr.gettext("✅ Done: your name, organisation and Telegram identity are erased."), what]
    if result.reports_regenerated:
        parts.append(
            tr.ngettext(
                "{count} report was regenerated without you.", "{count} reports were regenerated without you.", result.reports_regenerated
            ).format(count=result.reports_regenerated)
        )
    closing = tr.gettext("If you write to me again, I will treat you as someone new.")
    return [Reply(" ".join(parts) + "\n\n" + closing)]


@render.register
def retention_applied(applied: RetentionApplied, tr: Translator) -> list[Reply]:
    ended = tr.ngettext(
        "🧹 <b>{event}</b>: its retention period ({days} day after the event) has ended.",
        "🧹 <b>{event}</b>: its retention period ({days} days after the event) has ended.",
        applied.retention_days,
    ).format(event=esc(applied.event_title), days=applied.retention_days)
    erased = tr.ngettext(
        "I erased the name, organisation and Telegram identity of {count} participant; their answers stay, anonymously.",
        "I erased the names, organisations and Telegram identities of {count} participants; their answers stay, anonymously.",
        applied.erased,
    ).format(count=applied.erased)
    parts = [ended, erased]
    if applied.reports_regenerated:
        parts.append(
            tr.ngettext(
                "{count} session report got a new version without their names.",
                "{count} session reports got a new version without their names.",
                applied.reports_regenerated,
            ).format(count=applied.reports_regenerated)
        )
    return [Reply(" ".join(parts))]
