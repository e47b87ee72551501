"""What the bot says about scheduling: to organisers (listings, questions, summaries) and the
scheduled messages themselves. HTML parse mode; user text always goes through `esc`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handlers.texts import esc
from storage.models import Audience, RecipientStatus, ScheduleKind

if TYPE_CHECKING:
    from bot.services.deliveries import DeliveryReport, FirePlan, Missed, Problem, ResendAsked, ResendStarted
    from bot.services.schedule_items import ItemView, Target
    from bot.services.scheduling import SessionMoved

KIND_LABEL = {
    ScheduleKind.REMINDER: "⏰ Reminder",
    ScheduleKind.NUDGE: "👋 Nudge",
    ScheduleKind.RAPPORTEUR_NUDGE: "📝 Note to rapporteurs",
    ScheduleKind.PAPERS: "📎 Background papers",
    ScheduleKind.REPORT: "📄 Report delivery",
}
AUDIENCE_LABEL = {
    Audience.EVERYONE: "everyone",
    Audience.NON_RESPONDERS: "those who haven't answered yet",
    Audience.RAPPORTEURS: "rapporteurs (if the report isn't approved yet)",
}
AUDIENCE_BUTTONS = (
    ("👥 Everyone who joined", Audience.EVERYONE.value),
    ("👋 Those who haven't answered yet", Audience.NON_RESPONDERS.value),
    ("📝 Rapporteurs (report not approved)", Audience.RAPPORTEURS.value),
)
MISSED_REASON = {
    "offline": "the bot was offline when it was due",
    "no_report": "there was no report to send yet",
    "moved": "its moment passed when the session was moved",
}
WHEN_EXAMPLES = (
    "<code>15 min before start</code> · <code>at close</code> · <code>1 day before</code> · "
    "<code>30 min after end</code> · <code>2026-02-11 08:30</code> · <code>tomorrow 18:00</code> · "
    "<code>every day at 08:00</code>"
)
REMIND_USAGE = (
    "Send <code>/remind</code> alone for a step-by-step wizard, or all at once:\n"
    "<code>/remind CODE 15 min before start | Coffee is served in Room B</code>\n"
    "<code>/remind CODE non-responders 10 min after start | Please share one point</code>\n"
    "<code>/remind event every day at 08:00 | Today's programme</code>\n"
    "Audiences: everyone (default), non-responders, rapporteurs. Times are in the event's time zone: " + WHEN_EXAMPLES
)
DELIVER_USAGE = (
    "Schedule the session report: <code>/deliver CODE &lt;when&gt; [latest] [event] [to CHAT]</code>\n"
    "<code>/deliver K7QX2M 30 min after end</code> — the approved report to the session's participants\n"
    "<code>/deliver K7QX2M 2026-02-12 18:00 latest to -1001234567890</code> — the latest draft, also to a channel or group\n"
    "<code>event</code> sends it to everyone in the event. For a channel or group, add me to it first (as an admin in a channel)."
)
MOVE_USAGE = "Move a session: <code>/move CODE 2026-02-11 10:00</code> (local time of the event). Reminders set relative to it move along."
PAPERS_USAGE = "Attach background papers: <code>/papers CODE</code> (or <code>/papers</code> to choose), send the files, tap ✓ Done, then say when they go out."


def local(moment: datetime | None, zone: str) -> str:
    """'Wed 11 Feb 09:15 CET' in the event's zone."""
    if moment is None:
        return ""
    value = moment.astimezone(ZoneInfo(zone))
    return f"{value:%a} {value.day} {value:%b %H:%M} {value.tzname()}"


def clock(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def target_line(target: Target) -> str:
    code = f" <code>{target.join_code}</code>" if target.join_code else " (whole event)"
    return f"<b>{esc(target.title)}</b>{code}"


def _what(kind: ScheduleKind, audience: Audience, options: dict[str, object]) -> str:
    if kind is ScheduleKind.REPORT:
        source = "latest draft" if options.get("source") == "latest" else "approved report"
        scope = "the event's participants" if options.get("whole_event") else "the session's participants"
        chats = ", ".join(str(c) for c in options.get("chats", []) or [])  # type: ignore[union-attr]
        return f"{KIND_LABEL[kind]} ({source}) → {scope}" + (f" and chat {chats}" if chats else "")
    if kind is ScheduleKind.PAPERS:
        return f"{KIND_LABEL[kind]} → everyone"
    return f"{KIND_LABEL[kind]} → {AUDIENCE_LABEL[audience]}"


# ----- organiser side ---------------------------------------------------------------------


def item_card(item: ItemView) -> str:
    lines = [_what(item.kind, item.audience, item.options), target_line(item.target), f"🕘 {esc(item.when_text)}"]
    if item.recurring and item.next_fire_at is not None:
        lines[-1] += f" — next: {local(item.next_fire_at, item.target.timezone)}"
    elif item.next_fire_at is None and item.status.value == "active":
        lines.append("⏳ Waits until the session has a start and end time.")
    if item.documents:
        lines.append(f"📎 {item.documents} document{'s' if item.documents != 1 else ''}")
    if item.text:
        excerpt = item.text if len(item.text) <= 200 else item.text[:200].rsplit(" ", 1)[0] + " …"
        lines.append(f"“{esc(excerpt)}”")
    if item.status.value == "missed":
        lines.append(f"⚠️ <b>Missed</b>: {MISSED_REASON.get(item.note, 'it was not sent')}.")
    return "\n".join(lines)


def schedule_header(count: int, more: int) -> str:
    extra = f" (the first {count}; {more} more not shown)" if more else ""
    return f"🗓 <b>Scheduled</b>{extra} — times in each event's time zone. ✏️ changes the time, ✖ cancels."


def scheduled(item: ItemView) -> str:
    return f"✅ Scheduled.\n\n{item_card(item)}\n\n/schedule lists everything scheduled."


def cancelled(item: ItemView) -> str:
    return f"✖ <s>{_what(item.kind, item.audience, item.options)}</s>\n{target_line(item.target)}\nCancelled — nothing will be sent."


def ask_target(purpose: str) -> str:
    what = "background papers" if purpose == "papers" else "the reminder"
    return f"🗓 Which session is {what} for? (/cancel to stop)"


def ask_audience(target: Target) -> str:
    return f"Who should get it? ({target_line(target)})"


def ask_when(purpose: str, target: Target, item: ItemView | None = None) -> str:
    head = {
        "remind": "When should it go out?",
        "papers": "When should the papers go out?",
        "reschedule": "Send the new time for:",
    }.get(purpose, "When?")
    card = f"\n\n{item_card(item)}\n" if item is not None else f" ({target_line(target)})\n"
    anchors = ""
    if target.starts_at:
        anchors = f"\nStart: {local(target.starts_at, target.timezone)}" + (
            f", end: {local(target.ends_at, target.timezone)}" if target.ends_at else ""
        )
    return f"🕘 {head}{card}{anchors}\nFor example {WHEN_EXAMPLES}. Times are in {esc(target.timezone)}. (/cancel to stop)"


def ask_files(target: Target) -> str:
    return f"📎 Send the background papers for {target_line(target)} as files (📎 → File), one or several. Tap ✓ Done when all are here. (/cancel to stop)"


def paper_added(file_name: str, count: int) -> str:
    return f"📎 Added <b>{esc(file_name)}</b> ({count} so far). Send more, or tap ✓ Done."


def session_moved(moved: SessionMoved) -> str:
    session = moved.session
    ends = f", ends {local(session.ends_at, session.timezone)}" if session.ends_at else ""
    lines = [f"✅ {target_line(session)} now starts {local(session.starts_at, session.timezone)}{ends}."]
    if moved.moved:
        lines.append(f"\nMoved with it ({len(moved.moved)}):")
        lines += [f"• {_what(i.kind, i.audience, i.options)} — {esc(i.when_text)}" for i in moved.moved]
    if moved.passed:
        lines.append("\n⚠️ Now in the past, so they will not be sent (see /schedule to change or send now):")
        lines += [f"• {_what(i.kind, i.audience, i.options)} — {esc(i.when_text)}" for i in moved.passed]
    return "\n".join(lines)


def chat_unreachable(ref: str, reason: str) -> str:
    return (
        f"⚠️ I can't reach the chat <code>{esc(ref)}</code> ({esc(reason)}). Add me to the group or channel "
        "(as an admin in a channel), then schedule the delivery again. Nothing was scheduled."
    )


PAGE_LIMIT = 4096  # Telegram's limit per message, in UTF-16 code units
NOT_REACHED = {
    RecipientStatus.BLOCKED: "blocked the bot or never started it",
    RecipientStatus.UNCONFIRMED: "interrupted by a restart; it may not have arrived and was not repeated",
}
RESEND_BUTTON = "🔁 Resend to unconfirmed ({count})"
RESEND_YES = "✅ Yes, resend"
RESEND_NO = "✖ No"


def delivery_summary_pages(report: DeliveryReport) -> list[str]:
    """The organiser's summary: counts, then EVERY recipient not reached, in as many messages as it takes."""
    counts = report.counts
    head = f"📬 <b>Delivery summary</b> — {_what(report.kind, report.audience, report.options or {})}\n{target_line(report.target)}, due {local(report.occurrence, report.target.timezone)}"
    if not report.total:
        return [f"{head}\n\n📭 Nobody to send it to: no one matched when it was due."]
    figures = [f"✅ Sent: {counts.get('sent', 0)}", f"🚫 Blocked: {counts.get('blocked', 0)}", f"⚠️ Failed: {counts.get('failed', 0)}"]
    if report.unconfirmed:
        figures.append(f"❔ Unconfirmed: {report.unconfirmed}")
    lines = [" · ".join(figures) + f" (of {report.total})"]
    if report.problems:
        lines.append("\nNot reached:")
        lines += [_problem_line(problem) for problem in report.problems]
    if report.unconfirmed:
        lines.append(
            f"\n❔ {report.unconfirmed} may or may not have got it: the bot stopped while sending to them, and Telegram "
            "cannot say whether it arrived. 🔁 sends them what is unconfirmed again; some may then get it twice."
        )
    pages = _pages(lines, PAGE_LIMIT - _utf16(head) - 16)  # room for the heading and "(12/12)"
    if len(pages) == 1:
        return [f"{head}\n\n{pages[0]}"]
    return [f"{head} ({n}/{len(pages)})\n\n{page}" for n, page in enumerate(pages, start=1)]


def _problem_line(problem: Problem) -> str:
    why = NOT_REACHED.get(problem.status, "failed")
    detail = f" ({esc(problem.detail[:120])})" if problem.detail and problem.status is RecipientStatus.FAILED else ""
    missing = f" — missing: {esc(', '.join(problem.missing))}" if problem.missing else ""
    return f"• {esc(problem.name)} — {why}{detail}{missing}"


def _pages(lines: list[str], limit: int) -> list[str]:
    """Lines joined into pages of at most `limit` UTF-16 units of HTML (never shorter than the text shown)."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        length = _utf16(line) + 1
        if pages[-1] and size + length > limit:
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += length
    return ["\n".join(page).strip("\n") for page in pages]


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def resend_question(asked: ResendAsked) -> str:
    people = "1 recipient" if asked.recipients == 1 else f"{asked.recipients} recipients"
    return (
        f"🔁 Resend to the <b>{people}</b> whose delivery is unconfirmed ({esc(asked.target.title)})?\n"
        "Only the parts that may not have arrived go out again, but whoever did get them will get them twice. "
        "You'll get a new delivery summary."
    )


def resend_started(started: ResendStarted) -> str:
    people = "1 recipient" if started.recipients == 1 else f"{started.recipients} recipients"
    return f"🔁 Resending to {people} ({esc(started.target.title)}). A new delivery summary follows."


RESEND_DECLINED = "Nothing was resent."


def missed_notice(missed: Missed) -> str:
    item = missed.item
    reason = MISSED_REASON.get(missed.reason, "it could not be sent")
    text = (
        f"⚠️ <b>Not sent</b>: {_what(item.kind, item.audience, item.options)}\n{target_line(item.target)}\n"
        f"It was due {local(missed.occurrence, item.target.timezone)}, but {reason}."
    )
    if item.recurring:
        following = local(item.next_fire_at, item.target.timezone)
        return text + (f" The next one goes out {following}." if following else " There are no more after it.")
    return text + " Send it now, change its time, or cancel it:"


# ----- the scheduled messages themselves ----------------------------------------------------


def scheduled_message(plan: FirePlan) -> str:
    """The reminder, nudge, note to rapporteurs or papers cover note, as participants read it."""
    target = plan.target
    header = {
        ScheduleKind.REMINDER: "⏰",
        ScheduleKind.NUDGE: "👋",
        ScheduleKind.RAPPORTEUR_NUDGE: "📝 Report ·",
        ScheduleKind.PAPERS: "📎 Background papers ·",
    }[plan.kind]
    lines = [f"{header} <b>{esc(target.title)}</b>"]
    if target.session_id is not None and target.starts_at:
        lines.append(f"🕘 {local(target.starts_at, target.timezone)}" + (f" · {esc(target.track)}" if target.track else ""))
    lines.append("")
    lines.append(esc(plan.text) if plan.text else _standard_text(plan))
    if plan.digest:
        lines.append("\n<b>Today</b>")
        lines += [
            f"• {clock(s.starts_at, target.timezone) if s.starts_at else ''} {esc(s.title)}" + (f" · {esc(s.track)}" if s.track else "")
            for s in plan.digest
        ]
    if plan.kind is ScheduleKind.NUDGE and target.join_code:
        lines.append(f"\n<i>Send your points here, one per message — /sessions switches to this session, or /join {target.join_code}.</i>")
    return "\n".join(lines)


def _standard_text(plan: FirePlan) -> str:
    target = plan.target
    if plan.kind is ScheduleKind.NUDGE:
        return "We'd love to hear from you: you haven't shared any input here yet."
    if plan.kind is ScheduleKind.RAPPORTEUR_NUDGE:
        return "The session report isn't approved yet. Please review the draft and approve it."
    if plan.kind is ScheduleKind.PAPERS:
        return "Here are the documents to read before the meeting."
    if plan.occurrence and target.starts_at and target.starts_at > plan.occurrence:
        return f"Starts in {_duration(target.starts_at - plan.occurrence)}."
    if plan.occurrence and target.ends_at and target.ends_at > plan.occurrence:
        return f"Ends in {_duration(target.ends_at - plan.occurrence)}."
    return "A reminder from the organisers."


def report_cover(plan: FirePlan) -> str:
    """A line above the report, which names its session itself."""
    draft = " <i>(latest draft, not yet approved)</i>" if plan.options.get("source") == "latest" else ""
    return f"📄 <b>Session report</b> · {esc(plan.target.event_title)}{draft}"


def _duration(span: timedelta) -> str:
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h" + (f" {rest} min" if rest else "")
    return f"{round(hours / 24)} days"
