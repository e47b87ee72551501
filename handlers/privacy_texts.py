"""What the bot says about personal data: /mydata, /forget and the retention period (HTML)."""

from __future__ import annotations

from bot.services.privacy import ForgetPreview, Forgotten, PersonalData, RetentionApplied
from handlers.texts import esc

MY_DATA_CAPTION = "Everything I store about you, as JSON."
FORGET_KEEP = "Erase me, keep my answers anonymously"
FORGET_ALL = "Erase me and all my answers"
FORGET_CANCEL = "Cancel"
FORGET_CANCELLED = "Nothing was erased."
FORGET_NOTHING = "I store nothing about you beyond this conversation's Telegram id, and that goes too if you tap below."


def my_data(personal: PersonalData) -> str:
    profile = personal.data["profile"]
    lines = [
        "<b>Your data</b> (the attached file has all of it)",
        f"Name: {esc(profile['name']) or '—'}",
        f"Organisation: {esc(profile['organisation']) or '—'}",
        f"Community: {esc(profile['community'] or '—')}",
        f"Telegram: id {profile['telegram_user_id']}" + (f", @{esc(profile['username'])}" if profile["username"] else ""),
        f"Consent given: {esc(profile['consent_given_at'] or 'not yet')}",
        f"Sessions joined: {personal.sessions} · answers: {personal.contributions} · reactions to others' points: {personal.reactions} · roles: {personal.roles}",
    ]
    for item in personal.data["retention"]:
        lines.append(f"Erased automatically after {esc(item['erased_after'][:10])} ({esc(item['event'])}).")
    lines.append("\n/forget erases it now; /myinput edits or deletes single answers.")
    return "\n".join(lines)


def forget_ask(preview: ForgetPreview) -> str:
    if not (preview.contributions or preview.sessions or preview.reactions):
        return f"🗑 <b>Forget me</b>\n\n{FORGET_NOTHING}"
    return (
        "🗑 <b>Forget me</b>\n\n"
        f"I will erase your name, organisation and Telegram identity. You sent {preview.contributions} answer(s) "
        f"in {preview.sessions} session(s) and reacted to {preview.reactions} point(s).\n\n"
        "• <b>Keep my answers</b>: they stay in the reports with no name, organisation or Telegram id.\n"
        "• <b>Erase all</b>: your answers and reactions are deleted too.\n\n"
        "Either way the reports of your sessions get a new version without you. This cannot be undone."
    )


def forgotten(result: Forgotten) -> str:
    what = (
        f"Your {result.contributions} answer(s) stay, anonymously."
        if result.kept_contributions
        else f"Your {result.contributions} answer(s) were deleted."
    )
    reports = f" {result.reports_regenerated} report(s) were regenerated without you." if result.reports_regenerated else ""
    return f"✅ Done: your name, organisation and Telegram identity are erased. {what}{reports}\n\nIf you write to me again, I will treat you as someone new."


def retention_applied(applied: RetentionApplied) -> str:
    reports = (
        f" {applied.reports_regenerated} session report(s) got a new version without their names." if applied.reports_regenerated else ""
    )
    return (
        f"🧹 <b>{esc(applied.event_title)}</b>: its retention period ({applied.retention_days} days after the event) has ended. "
        f"I erased the names, organisations and Telegram identities of {applied.erased} participant(s); their answers stay, anonymously.{reports}"
    )
