"""What the bot says about scheduling: to organisers (listings, questions, summaries) and the
scheduled messages themselves, each in its reader's language. HTML parse mode; user text always
goes through `esc`.

Every text is English marked for the catalogue (domain "schedule"), worded with the reader's
`Translator` when shown: an organiser reads the summary in their language, and each recipient
of a reminder, papers or a report reads it in theirs. Dates and times are the event's local time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.i18n import N_, Translator
from bot.scheduling.delivery import UNEXPECTED
from bot.scheduling.timing import show_moment
from handlers.texts import esc
from storage.models import Audience, RecipientStatus, ScheduleKind

if TYPE_CHECKING:
    from bot.services.deliveries import DeliveryReport, FirePlan, Missed, PartName, Problem, ResendAsked, ResendStarted
    from bot.services.schedule_flows import TargetOption
    from bot.services.schedule_items import ItemView, Target
    from bot.services.scheduling import HintKey, SessionMoved

KIND_LABEL = {
    ScheduleKind.REMINDER: N_("⏰ Reminder"),
    ScheduleKind.NUDGE: N_("👋 Nudge"),
    ScheduleKind.RAPPORTEUR_NUDGE: N_("📝 Note to rapporteurs"),
    ScheduleKind.PAPERS: N_("📎 Background papers"),
    ScheduleKind.REPORT: N_("📄 Report delivery"),
}
AUDIENCE_LABEL = {
    Audience.EVERYONE: N_("everyone"),
    Audience.NON_RESPONDERS: N_("those who haven't answered yet"),
    Audience.RAPPORTEURS: N_("rapporteurs (if the report isn't approved yet)"),
}
AUDIENCE_BUTTONS = (
    (N_("👥 Everyone who joined"), Audience.EVERYONE.value),
    (N_("👋 Those who haven't answered yet"), Audience.NON_RESPONDERS.value),
    (N_("📝 Rapporteurs (report not approved)"), Audience.RAPPORTEURS.value),
)
MISSED_REASON = {
    "offline": N_("the bot was offline when it was due"),
    "no_report": N_("there was no report to send yet"),
    "moved": N_("its moment passed when the session was moved"),
}
REPORT_WHAT = {
    ("approved", False): N_("📄 Report delivery (approved report) → the session's participants"),
    ("approved", True): N_("📄 Report delivery (approved report) → the event's participants"),
    ("latest", False): N_("📄 Report delivery (latest draft) → the session's participants"),
    ("latest", True): N_("📄 Report delivery (latest draft) → the event's participants"),
}
WHEN_EXAMPLES = N_(
    "<code>15 min before start</code> · <code>at close</code> · <code>1 day before</code> · "
    "<code>30 min after end</code> · <code>2026-02-11 08:30</code> · <code>tomorrow 18:00</code> · "
    "<code>every day at 08:00</code>"
)
REMIND_USAGE = N_(
    "Send <code>/remind</code> alone for a step-by-step wizard, or all at once:\n"
    "<code>/remind CODE 15 min before start | Coffee is served in Room B</code>\n"
    "<code>/remind CODE non-responders 10 min after start | Please share one point</code>\n"
    "<code>/remind event every day at 08:00 | Today's programme</code>\n"
    "Audiences: everyone (default), non-responders, rapporteurs. Times are in the event's time zone: {examples}"
)
DELIVER_USAGE = N_(
    "Schedule the session report: <code>/deliver CODE &lt;when&gt; [latest] [event] [to CHAT]</code>\n"
    "<code>/deliver K7QX2M 30 min after end</code> — the approved report to the session's participants\n"
    "<code>/deliver K7QX2M 2026-02-12 18:00 latest to -1001234567890</code> — the latest draft, also to a channel or group\n"
    "<code>event</code> sends it to everyone in the event. For a channel or group, add me to it first (as an admin in a channel)."
)
MOVE_USAGE = N_(
    "Move a session: <code>/move CODE 2026-02-11 10:00</code> (local time of the event). Reminders set relative to it move along."
)
USAGE = {"remind": REMIND_USAGE, "deliver": DELIVER_USAGE, "move": MOVE_USAGE}
HINTS: dict[HintKey, str] = {
    "nothing_scheduled": N_(
        "Nothing is scheduled. /remind schedules a reminder or nudge, /papers background papers, /deliver a session report."
    ),
    "use_buttons": N_("Please choose with the buttons above, or /cancel."),
    "which_event": N_(
        "You organise several events: send the command without arguments and pick one with the buttons, or give a session code."
    ),
    "report_needs_session": N_("A report belongs to a session: give its code, e.g. <code>/deliver K7QX2M 30 min after end</code>."),
    "move_needs_date": N_("Give the new start as a date and time, e.g. <code>/move K7QX2M 2026-02-11 10:00</code>."),
    "ask_text": N_("✍️ What should the message say? Type it, or /skip for a standard text."),
    "papers_none": N_("No documents yet: send them as files (📎 → File) first, then tap ✓ Done."),
    "papers_need_file": N_("Send the background papers as <b>files</b> (📎 → File), then tap ✓ Done — or /cancel."),
}
CREATED = {
    ScheduleKind.REMINDER: N_(
        "✅ Reminder for <b>{target}</b> scheduled: {when}.\n/schedule lists what is scheduled, with ✏️ change and ✖ cancel buttons."
    ),
    ScheduleKind.NUDGE: N_(
        "✅ Nudge to those who haven't answered yet in <b>{target}</b> scheduled: {when}.\n"
        "/schedule lists what is scheduled, with ✏️ change and ✖ cancel buttons."
    ),
    ScheduleKind.RAPPORTEUR_NUDGE: N_(
        "✅ Reminder to the rapporteurs of <b>{target}</b> (sent only if the report isn't approved by then) scheduled: {when}.\n"
        "/schedule lists what is scheduled."
    ),
    ScheduleKind.PAPERS: N_(
        "✅ Background papers for <b>{target}</b> will be sent: {when}.\n/schedule lists what is scheduled, with ✏️ change and ✖ cancel buttons."
    ),
    ScheduleKind.REPORT: N_("✅ Report delivery for <b>{target}</b> scheduled: {when}.\n/schedule lists what is scheduled."),
}
# Buttons
CHANGE_TIME = N_("✏️ Change time")
CANCEL_ITEM = N_("✖ Cancel")
SEND_NOW = N_("▶ Send now")
PAPERS_DONE = N_("✓ Done")
CANCEL = N_("Cancel")
RESEND_YES = N_("✅ Yes, resend")
RESEND_NO = N_("✖ No")
PAGE_LIMIT = 4096  # Telegram's limit per message, in UTF-16 code units
NOT_REACHED = {
    RecipientStatus.BLOCKED: N_("blocked the bot or never started it"),
    RecipientStatus.UNCONFIRMED: N_("interrupted by a restart; it may not have arrived and was not repeated"),
}


# Why a send failed, from the description Telegram gave (in English): the causes an organiser
# can act on, in the reader's words. Anything else is shown as Telegram's own words, quoted.
TELEGRAM_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"chat not found|user not found", re.IGNORECASE),
        N_("Telegram does not know this chat: the person may never have started the bot"),
    ),
    (re.compile(r"user is deactivated", re.IGNORECASE), N_("the Telegram account was deleted")),
    (
        re.compile(r"kicked|not a member|not enough rights|have no rights|need administrator rights", re.IGNORECASE),
        N_("the bot is no longer allowed to write in this chat"),
    ),
    (re.compile(r"too big|too large", re.IGNORECASE), N_("the file is larger than Telegram accepts")),
    (
        re.compile(r"upgraded to a supergroup|migrated", re.IGNORECASE),
        N_("the group was upgraded to a supergroup, which Telegram treats as a new chat"),
    ),
    (re.compile(r"timed out|network|connection|bad gateway|internal server error", re.IGNORECASE), N_("Telegram could not be reached")),
)
_GAVE_UP = re.compile(r"gave up after (\d+) attempts: (.*)", re.DOTALL)  # i18n: not shown (parses delivery's diagnostic)


def failure_reason(detail: str, tr: Translator) -> str:
    """Why a send failed, for an organiser reading the delivery summary (escaped HTML)."""
    retried = _GAVE_UP.fullmatch(detail)
    if retried:
        attempts = int(retried.group(1))
        reason = failure_reason(retried.group(2), tr)
        return tr.ngettext("gave up after {count} attempt: {reason}", "gave up after {count} attempts: {reason}", attempts).format(
            count=attempts, reason=reason
        )
    if detail.startswith(UNEXPECTED):
        return tr.gettext("an error in the bot; its log has the details")
    for pattern, reason in TELEGRAM_REASONS:
        if pattern.search(detail):
            return tr.gettext(reason)
    return tr.gettext("Telegram said: “{detail}”").format(detail=esc(detail[:120]))


def local(moment: datetime | None, zone: str, tr: Translator) -> str:
    """'Wed 11 Feb, 09:15 CET' in the event's zone, worded for the reader."""
    return show_moment(moment, zone, tr) if moment is not None else ""


def target_line(target: Target, tr: Translator) -> str:
    if target.join_code:
        return f"<b>{esc(target.title)}</b> <code>{target.join_code}</code>"
    return tr.gettext("<b>{title}</b> (whole event)").format(title=esc(target.title))


def target_button(option: TargetOption, tr: Translator) -> str:
    if option.join_code:
        return f"{option.join_code} · {option.title}"[:60]
    return tr.gettext("🗓 Whole event · {title}").format(title=option.title)[:60]


def _what(kind: ScheduleKind, audience: Audience, options: dict[str, object], tr: Translator) -> str:
    if kind is ScheduleKind.REPORT:
        source = "latest" if options.get("source") == "latest" else "approved"
        what = tr.gettext(REPORT_WHAT[(source, bool(options.get("whole_event")))])
        chats = options.get("chats") or []
        if isinstance(chats, list) and chats:
            return tr.gettext("{what} and chat {chats}").format(what=what, chats=", ".join(str(c) for c in chats))
        return what
    if kind is ScheduleKind.PAPERS:
        return f"{tr.gettext(KIND_LABEL[kind])} → {tr.gettext(AUDIENCE_LABEL[Audience.EVERYONE])}"
    return f"{tr.gettext(KIND_LABEL[kind])} → {tr.gettext(AUDIENCE_LABEL[audience])}"


# ----- organiser side ---------------------------------------------------------------------


def item_card(item: ItemView, tr: Translator) -> str:
    lines = [_what(item.kind, item.audience, item.options, tr), target_line(item.target, tr), f"🕘 {esc(item.when_text(tr))}"]
    if item.recurring and item.next_fire_at is not None:
        lines[-1] += " — " + tr.gettext("next: {moment}").format(moment=local(item.next_fire_at, item.target.timezone, tr))
    elif item.next_fire_at is None and item.status.value == "active":
        lines.append(tr.gettext("⏳ Waits until the session has a start and end time."))
    if item.documents:
        lines.append(tr.ngettext("📎 {n} document", "📎 {n} documents", item.documents).format(n=item.documents))
    if item.text:
        excerpt = item.text if len(item.text) <= 200 else item.text[:200].rsplit(" ", 1)[0] + " …"
        lines.append(f"“{esc(excerpt)}”")
    if item.status.value == "missed":
        lines.append(tr.gettext("⚠️ <b>Missed</b>: {reason}.").format(reason=_missed_reason(item.note, tr)))
    return "\n".join(lines)


def _missed_reason(reason: str, tr: Translator) -> str:
    return tr.gettext(MISSED_REASON[reason]) if reason in MISSED_REASON else tr.gettext("it was not sent")


def schedule_header(count: int, more: int, tr: Translator) -> str:
    if more:
        return tr.ngettext(
            "🗓 <b>Scheduled</b> (the first {count}; {more} more not shown) — times in each event's time zone. ✏️ changes the time, ✖ cancels.",
            "🗓 <b>Scheduled</b> (the first {count}; {more} more not shown) — times in each event's time zone. ✏️ changes the time, ✖ cancels.",
            more,
        ).format(count=count, more=more)
    return tr.gettext("🗓 <b>Scheduled</b> — times in each event's time zone. ✏️ changes the time, ✖ cancels.")


def scheduled(item: ItemView, tr: Translator) -> str:
    return tr.gettext("✅ Scheduled.\n\n{card}\n\n/schedule lists everything scheduled.").format(card=item_card(item, tr))


def cancelled(item: ItemView, tr: Translator) -> str:
    return tr.gettext("✖ <s>{what}</s>\n{target}\nCancelled — nothing will be sent.").format(
        what=_what(item.kind, item.audience, item.options, tr), target=target_line(item.target, tr)
    )


def created(item: ItemView, tr: Translator) -> str:
    """The wizard's last word: what was scheduled, and when."""
    return tr.gettext(CREATED[item.kind]).format(target=esc(item.target.title), when=esc(item.when_text(tr)))


def ask_target(purpose: str, tr: Translator) -> str:
    if purpose == "papers":
        return tr.gettext("🗓 Which session are the background papers for? (/cancel to stop)")
    return tr.gettext("🗓 Which session is the reminder for? (/cancel to stop)")


def ask_audience(target: Target, tr: Translator) -> str:
    return tr.gettext("Who should get it? ({target})").format(target=target_line(target, tr))


ASK_WHEN = {
    "remind": N_("🕘 When should it go out?"),
    "papers": N_("🕘 When should the papers go out?"),
    "reschedule": N_("🕘 Send the new time for:"),
}


def ask_when(purpose: str, target: Target, item: ItemView | None, tr: Translator) -> str:
    head = tr.gettext(ASK_WHEN.get(purpose, ASK_WHEN["remind"]))
    card = f"\n\n{item_card(item, tr)}\n" if item is not None else f" ({target_line(target, tr)})\n"
    anchors = ""
    if target.starts_at and target.ends_at:
        anchors = "\n" + tr.gettext("Start: {start}, end: {end}").format(
            start=local(target.starts_at, target.timezone, tr), end=local(target.ends_at, target.timezone, tr)
        )
    elif target.starts_at:
        anchors = "\n" + tr.gettext("Start: {start}").format(start=local(target.starts_at, target.timezone, tr))
    hint = tr.gettext("For example {examples}. Times are in {zone}. (/cancel to stop)").format(
        examples=tr.gettext(WHEN_EXAMPLES), zone=esc(target.timezone)
    )
    return f"{head}{card}{anchors}\n{hint}"


def ask_files(target: Target, tr: Translator) -> str:
    return tr.gettext(
        "📎 Send the background papers for {target} as files (📎 → File), one or several. Tap ✓ Done when all are here. (/cancel to stop)"
    ).format(target=target_line(target, tr))


def paper_added(file_name: str, count: int, tr: Translator) -> str:
    return tr.gettext("📎 Added <b>{name}</b> ({count} so far). Send more, or tap ✓ Done.").format(name=esc(file_name), count=count)


def session_moved(moved: SessionMoved, tr: Translator) -> str:
    session = moved.session
    start = local(session.starts_at, session.timezone, tr)
    if session.ends_at:
        head = tr.gettext("✅ {target} now starts {start}, ends {end}.").format(
            target=target_line(session, tr), start=start, end=local(session.ends_at, session.timezone, tr)
        )
    else:
        head = tr.gettext("✅ {target} now starts {start}.").format(target=target_line(session, tr), start=start)
    lines = [head]
    if moved.moved:
        lines.append("\n" + tr.gettext("Moved with it ({count}):").format(count=len(moved.moved)))
        lines += [f"• {_what(i.kind, i.audience, i.options, tr)} — {esc(i.when_text(tr))}" for i in moved.moved]
    if moved.passed:
        lines.append("\n" + tr.gettext("⚠️ Now in the past, so they will not be sent (see /schedule to change or send now):"))
        lines += [f"• {_what(i.kind, i.audience, i.options, tr)} — {esc(i.when_text(tr))}" for i in moved.passed]
    return "\n".join(lines)


def chat_unreachable(ref: str, reason: str, tr: Translator) -> str:
    return tr.gettext(
        "⚠️ I can't reach the chat <code>{chat}</code> ({reason}). Add me to the group or channel "
        "(as an admin in a channel), then schedule the delivery again. Nothing was scheduled."
    ).format(chat=esc(ref), reason=esc(reason))


def resend_button(count: int, tr: Translator) -> str:
    return tr.gettext("🔁 Resend to unconfirmed ({count})").format(count=count)


def delivery_summary_pages(report: DeliveryReport, tr: Translator) -> list[str]:
    """The organiser's summary: counts, then EVERY recipient not reached, in as many messages as it takes."""
    counts = report.counts
    head = tr.gettext("📬 <b>Delivery summary</b> — {what}\n{target}, due {moment}").format(
        what=_what(report.kind, report.audience, report.options or {}, tr),
        target=target_line(report.target, tr),
        moment=local(report.occurrence, report.target.timezone, tr),
    )
    if not report.total:
        return [head + "\n\n" + tr.gettext("📭 Nobody to send it to: no one matched when it was due.")]
    figures = [
        tr.gettext("✅ Sent: {n}").format(n=counts.get("sent", 0)),
        tr.gettext("🚫 Blocked: {n}").format(n=counts.get("blocked", 0)),
        tr.gettext("⚠️ Failed: {n}").format(n=counts.get("failed", 0)),
    ]
    if report.unconfirmed:
        figures.append(tr.gettext("❔ Unconfirmed: {n}").format(n=report.unconfirmed))
    lines = [tr.gettext("{figures} (of {total})").format(figures=" · ".join(figures), total=report.total)]
    if report.problems:
        lines.append("\n" + tr.gettext("Not reached:"))
        lines += [_problem_line(problem, tr) for problem in report.problems]
    if report.unconfirmed:
        lines.append(
            "\n"
            + tr.ngettext(
                "❔ {n} may or may not have got it: the bot stopped while sending to them, and Telegram "
                "cannot say whether it arrived. 🔁 sends them what is unconfirmed again; some may then get it twice.",
                "❔ {n} may or may not have got it: the bot stopped while sending to them, and Telegram "
                "cannot say whether it arrived. 🔁 sends them what is unconfirmed again; some may then get it twice.",
                report.unconfirmed,
            ).format(n=report.unconfirmed)
        )
    pages = _pages(lines, PAGE_LIMIT - _utf16(head) - 16)  # room for the heading and "(12/12)"
    if len(pages) == 1:
        return [f"{head}\n\n{pages[0]}"]
    return [f"{head} ({n}/{len(pages)})\n\n{page}" for n, page in enumerate(pages, start=1)]


def _problem_line(problem: Problem, tr: Translator) -> str:
    why = tr.gettext(NOT_REACHED[problem.status]) if problem.status in NOT_REACHED else tr.gettext("failed")
    detail = f" ({failure_reason(problem.detail, tr)})" if problem.detail and problem.status is RecipientStatus.FAILED else ""
    name = esc(problem.name) if problem.name else tr.gettext("chat {chat_id}").format(chat_id=problem.chat_id)
    line = f"• {name} — {why}{detail}"
    if problem.missing:
        parts = ", ".join(esc(part_name(part, tr)) for part in problem.missing)
        line += " — " + tr.gettext("missing: {parts}").format(parts=parts)
    return line


def part_name(part: PartName, tr: Translator) -> str:
    """A part of a delivery as the summary names it: a file by its name, a text as "text"."""
    if part.kind == "text":
        return tr.gettext("text") if part.of == 1 else tr.gettext("text {number}/{count}").format(number=part.number, count=part.of)
    if part.file_name:
        return part.file_name
    return tr.gettext("document") if part.kind == "document" else tr.gettext("file")


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


def resend_question(asked: ResendAsked, tr: Translator) -> str:
    return tr.ngettext(
        "🔁 Resend to the <b>{n} recipient</b> whose delivery is unconfirmed ({title})?\n"
        "Only the parts that may not have arrived go out again, but whoever did get them will get them twice. "
        "You'll get a new delivery summary.",
        "🔁 Resend to the <b>{n} recipients</b> whose delivery is unconfirmed ({title})?\n"
        "Only the parts that may not have arrived go out again, but whoever did get them will get them twice. "
        "You'll get a new delivery summary.",
        asked.recipients,
    ).format(n=asked.recipients, title=esc(asked.target.title))


def resend_started(started: ResendStarted, tr: Translator) -> str:
    return tr.ngettext(
        "🔁 Resending to {n} recipient ({title}). A new delivery summary follows.",
        "🔁 Resending to {n} recipients ({title}). A new delivery summary follows.",
        started.recipients,
    ).format(n=started.recipients, title=esc(started.target.title))


RESEND_DECLINED = N_("Nothing was resent.")


def missed_notice(missed: Missed, tr: Translator) -> str:
    item = missed.item
    zone = item.target.timezone
    text = tr.gettext("⚠️ <b>Not sent</b>: {what}\n{target}\nIt was due {moment}, but {reason}.").format(
        what=_what(item.kind, item.audience, item.options, tr),
        target=target_line(item.target, tr),
        moment=local(missed.occurrence, zone, tr),
        reason=tr.gettext(MISSED_REASON[missed.reason]) if missed.reason in MISSED_REASON else tr.gettext("it could not be sent"),
    )
    if not item.recurring:
        return text + " " + tr.gettext("Send it now, change its time, or cancel it:")
    if item.next_fire_at is not None:
        return text + " " + tr.gettext("The next one goes out {moment}.").format(moment=local(item.next_fire_at, zone, tr))
    return text + " " + tr.gettext("There are no more after it.")


# ----- the scheduled messages themselves, in each recipient's language ----------------------

HEADER = {
    ScheduleKind.REMINDER: N_("⏰ <b>{title}</b>"),
    ScheduleKind.NUDGE: N_("👋 <b>{title}</b>"),
    ScheduleKind.RAPPORTEUR_NUDGE: N_("📝 Report · <b>{title}</b>"),
    ScheduleKind.PAPERS: N_("📎 Background papers · <b>{title}</b>"),
}


def scheduled_message(plan: FirePlan, tr: Translator) -> str:
    """The reminder, nudge, note to rapporteurs or papers cover note, as a participant reads it."""
    target = plan.target
    lines = [tr.gettext(HEADER[plan.kind]).format(title=esc(target.title))]
    if target.session_id is not None and target.starts_at:
        lines.append(f"🕘 {local(target.starts_at, target.timezone, tr)}" + (f" · {esc(target.track)}" if target.track else ""))
    lines.append("")
    lines.append(esc(plan.text) if plan.text else _standard_text(plan, tr))
    if plan.digest:
        lines.append("\n" + tr.gettext("<b>Today</b>"))
        lines += [
            f"• {tr.time(s.starts_at, target.timezone) if s.starts_at else ''} {esc(s.title)}" + (f" · {esc(s.track)}" if s.track else "")
            for s in plan.digest
        ]
    if plan.kind is ScheduleKind.NUDGE and target.join_code:
        lines.append(
            "\n"
            + tr.gettext("<i>Send your points here, one per message — /sessions switches to this session, or /join {code}.</i>").format(
                code=target.join_code
            )
        )
    return "\n".join(lines)


def _standard_text(plan: FirePlan, tr: Translator) -> str:
    target = plan.target
    if plan.kind is ScheduleKind.NUDGE:
        return tr.gettext("We'd love to hear from you: you haven't shared any input here yet.")
    if plan.kind is ScheduleKind.RAPPORTEUR_NUDGE:
        return tr.gettext("The session report isn't approved yet. Please review the draft and approve it.")
    if plan.kind is ScheduleKind.PAPERS:
        return tr.gettext("Here are the documents to read before the meeting.")
    if plan.occurrence and target.starts_at and target.starts_at > plan.occurrence:
        return tr.gettext("Starts in {duration}.").format(duration=_duration(target.starts_at - plan.occurrence, tr))
    if plan.occurrence and target.ends_at and target.ends_at > plan.occurrence:
        return tr.gettext("Ends in {duration}.").format(duration=_duration(target.ends_at - plan.occurrence, tr))
    return tr.gettext("A reminder from the organisers.")


def report_cover(plan: FirePlan, tr: Translator) -> str:
    """A line above the report, which names its session itself."""
    if plan.options.get("source") == "latest":
        return tr.gettext("📄 <b>Session report</b> · {event} <i>(latest draft, not yet approved)</i>").format(
            event=esc(plan.target.event_title)
        )
    return tr.gettext("📄 <b>Session report</b> · {event}").format(event=esc(plan.target.event_title))


def _duration(span: timedelta, tr: Translator) -> str:
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes < 60:
        return tr.ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h" + (f" {rest} min" if rest else "")
    days = round(hours / 24)
    return tr.ngettext("{n} day", "{n} days", days).format(n=days)


# ----- short answers to organisers ------------------------------------------------------------

WHEN_UNREADABLE = N_("⚠️ {error}\n\nTry again, or /cancel.")
TIME_PASSED = N_("⚠️ That moment — {when} — has already passed. Give a later time, or /cancel.")
WHEN_UNCLEAR = N_(
    "⚠️ I couldn't tell when to send it from “{phrase}”. Put a <code>|</code> between the time and the message, "
    "e.g. <code>/remind K7QX2M 15 min before start | Coffee is served</code>. Times: {examples}."
)
RESCHEDULED = N_("✅ Rescheduled (<b>{target}</b>): {when}.")
SENDING_NOW = N_("▶ Sending now (<b>{target}</b>). You'll get a delivery summary when it is done.")
TOO_MANY_PAPERS = N_("That's the limit of {limit} documents for one distribution. Tap ✓ Done, and use /papers again for more.")
