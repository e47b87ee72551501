"""The participant's sentences (HTML parse mode), as catalogue keys rendered in the reader's
language: `N_` marks the tables, functions take the reader's `Translator`.

User-supplied text always goes through `esc`, so `<`, `>` and `&` in answers can never break
a message with "can't parse entities".
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.services.access import refusal
from bot.services.views import SessionView
from storage.models import Community, PromptKind

# Labels are catalogue keys (`N_`): translate them when shown (`kind_label`, `community_label`).
KIND_LABEL = {
    PromptKind.CHALLENGE: N_("Challenge"),
    PromptKind.RECOMMENDATION: N_("Recommendation"),
    PromptKind.TAKEAWAY: N_("Key takeaway"),
    PromptKind.QUESTION: N_("Open question"),
}
COMMUNITY_LABEL = {
    Community.DIPLOMACY: N_("Diplomacy"),
    Community.DEVELOPMENT: N_("Development"),
    Community.SECURITY: N_("Security / defence"),
    Community.HUMANITARIAN: N_("Humanitarian"),
    Community.OTHER: N_("Other"),
}


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def local_time(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M")


def when(moment: datetime | None, zone: str, tr: Translator) -> str:
    """A session's start in the event's time zone, as the reader's language writes dates."""
    return tr.datetime(moment, zone) if moment is not None else ""


def kind_label(kind: PromptKind, tr: Translator) -> str:
    return tr.gettext(KIND_LABEL[kind])


def community_label(value: Community | None, tr: Translator) -> str:
    label = COMMUNITY_LABEL.get(value) if value is not None else None
    return tr.gettext(label) if label else "—"


NOTICES: dict[str, str] = {
    "welcome": N_(
        "👋 Hello, {name}! I collect ideas at workshops and forums.\n\nTo take part, open the link or scan the QR code shown in the room, or send <code>/join CODE</code> with the session code."
    ),
    "welcome_anonymous": N_(
        "👋 Hello! I collect ideas at workshops and forums.\n\nTo take part, open the link or scan the QR code shown in the room, or send <code>/join CODE</code> with the session code."
    ),
    "join_needs_code": N_("Send the session code with the command, e.g. <code>/join K7QX2M</code>."),
    "unknown_code": N_(
        "I can't find a session with the code <code>{code}</code>. Check the code on the screen (letters and digits, e.g. <code>K7QX2M</code>) and send <code>/join CODE</code> again."
    ),
    "session_closed": N_("The session <b>{title}</b> is closed — thank you! Input can no longer be added or changed there."),
    "need_text": N_(
        "I can only take <b>text</b> here — please type your point as a message. (Photos, stickers, voice notes, locations and files are not stored.)"
    ),
    "too_long": N_(
        "That message is {length} characters long; the limit is {limit}. Please shorten it or split it into two points. Nothing was saved."
    ),
    "empty": N_("That message was empty — please type your point."),
    "no_session": N_(
        "You're not in a session right now. Join one with the link or QR code in the room, or send <code>/join CODE</code>. /sessions lists the ones you joined."
    ),
    "finished_hint": N_(
        "You've gone through all the questions of <b>{title}</b>. Use /myinput to review or edit your answers, or /sessions to add more."
    ),
    "stale": N_("That button is out of date — nothing was changed."),
    "declined": N_(
        "No problem — nothing about you was stored beyond your Telegram id. Send <code>/join CODE</code> any time if you change your mind."
    ),
    "onboarded": N_("Thanks, your profile is set. Join a session with <code>/join CODE</code>."),
    "deleted": N_("🗑 Deleted."),
    "edited": N_("✏️ Updated."),
    "cancelled": N_("Cancelled."),
    "nothing_to_cancel": N_("There is nothing to cancel."),
    "nothing_to_skip": N_("There is nothing to skip right now."),
    "no_profile": N_("You don't have a profile yet: join a session first with <code>/join CODE</code>."),
    "unknown_session": N_("I can't find a session <code>{ref}</code>. Use its join code (see /manage)."),
    "already_open": N_("<b>{title}</b> is already open."),
    "already_closed": N_("<b>{title}</b> is already closed."),
    "already_draft": N_("<b>{title}</b> is not open yet."),
    "unknown_role": N_("I don't know the role <code>{role}</code>. Roles are: rapporteur, moderator, organiser."),
    "unknown_person": N_(
        "I don't know <code>{who}</code> yet. Ask them to send /start to me first, then grant the role by @username or Telegram id."
    ),
    "role_not_held": N_("They don't hold that role there."),
    "no_events": N_("You don't organise any event yet. Create one with /newevent or send an agenda file (/agenda)."),
    "unknown_command": N_("I don't know that command. /help lists what I can do."),
    "group_only_private": N_("Let's talk in private: open {link} and press Start."),
    "papers_need_file": N_(
        "Send background papers as <b>files</b> (📎 → File), so they reach participants unchanged. Tap ✓ Done when all are sent."
    ),
    "section_replaced": N_("✏️ Section replaced (version {version}). /draft shows the whole report; /approve makes it final."),
    "error": N_("Sorry, something went wrong on my side. Your input so far is safe — please try again."),
}


def notice(key: str, params: dict[str, object], tr: Translator) -> str:
    """A notice in the reader's language; its parameters are user data, escaped, never translated."""
    if key == "not_allowed":  # the role a refused action needed is a key of its own sentence
        return tr.gettext(refusal(params.get("needed")))
    if key == "welcome" and not params.get("name"):
        key = "welcome_anonymous"
    values = {k: esc(str(v)) for k, v in params.items()}
    return tr.gettext(NOTICES[key]).format(**values)


EXCERPT = 600


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The start of a long text, cut at a word (a thematic focus, an answer in a list)."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def session_intro(session: SessionView, tr: Translator) -> str:
    lines = [f"<b>{esc(session.title)}</b>", f"<i>{esc(session.event_title)}</i>"]
    if session.starts_at:
        lines.append(f"🕘 {when(session.starts_at, session.timezone, tr)}" + (f" · {esc(session.track)}" if session.track else ""))
    if session.moderator:
        lines.append(tr.gettext("Moderator: {name}").format(name=esc(session.moderator)))
    # TRANSLATORS: a session's chair, speakers…: "Speakers: Ann Lee, Bo Ek" (the label is translated on its own)
    lines += [tr.gettext("{label}: {names}").format(label=tr.gettext(label), names=esc(value)) for label, value in session.people]
    if session.thematic_focus:
        lines.append(f"\n{esc(excerpt(session.thematic_focus))}")
    if session.is_anonymous:
        lines.append(
            "\n" + tr.gettext("🔒 <b>This session is anonymous:</b> your name and organisation are never shown with your answers.")
        )
    else:
        lines.append("\n" + tr.gettext("👤 Answers in this session are shown with your name and organisation in the report."))
    return "\n".join(lines)


def prompt(session: SessionView, position: int, answered: int, tr: Translator) -> str:
    item = session.prompts[position]
    head = tr.gettext("<b>Question {number} of {total}</b> · {kind}").format(
        number=position + 1, total=len(session.prompts), kind=kind_label(item.kind, tr)
    )
    hint = (
        tr.gettext("Send one point per message — as many as you like.")
        if answered == 0
        else tr.ngettext(
            "You've sent {count} answer here. Add more, or move on.", "You've sent {count} answers here. Add more, or move on.", answered
        ).format(count=answered)
    )
    return f"{head}\n\n{esc(item.text)}\n\n<i>{hint}</i>"


def answer_saved(session: SessionView, position: int, answered: int, tr: Translator) -> str:
    if position + 1 >= len(session.prompts):
        text = tr.gettext("✓ Saved ({count} for this question). Send another point, or tap <b>Done</b> when you have said it all.")
    else:
        text = tr.gettext("✓ Saved ({count} for this question). Send another point, or tap <b>Next</b> for the next question.")
    return text.format(count=answered)


def finished(session: SessionView, answers: int, tr: Translator) -> str:
    return tr.ngettext(
        "🙏 Thank you! You sent {count} point to <b>{title}</b>.\nReview or edit it with /myinput; /sessions switches to another session.",
        "🙏 Thank you! You sent {count} points to <b>{title}</b>.\nReview or edit them with /myinput; /sessions switches to another session.",
        answers,
    ).format(count=answers, title=esc(session.title))


def waiting(session: SessionView, tr: Translator) -> str:
    hint = tr.gettext("⏳ The session hasn't opened yet. I'll send you the first question as soon as it opens.")
    return f"{session_intro(session, tr)}\n\n{hint}"


CONSENT = N_(
    "Before we start: I store your <b>name</b>, <b>organisation</b> and <b>policy community</b> (to show how "
    "different communities see each point), your Telegram id, and the <b>answers</b> and reactions you send. "
    "Rapporteurs use them to write the session report. In anonymous sessions your name is never shown with your "
    "answers. You can review, edit or delete your answers at any time with /myinput; /mydata sends you everything "
    "I store about you, and /forget erases your name, organisation and Telegram identity (keeping your answers "
    "anonymously, or deleting them too, as you choose). The organisers set how long your personal data is kept: "
    "by default it is erased automatically 180 days after the event ends.\n\nDo you agree?"
)
ONBOARDING_ASK = {
    "name": N_("What name should appear with your input? Type it, or use your Telegram name."),
    "organisation": N_("Which organisation are you with? (/skip to leave it empty)"),
    "community": N_("Which policy community do you mainly belong to?"),
}

HELP_PARTICIPANT = N_("""<b>How this works</b>
Join a session with the room's link or QR code, or <code>/join CODE</code>. I ask the session's questions one by one; send one point per message, then tap <b>Next</b>.

/myinput — review, edit or delete your answers
/sessions — switch between sessions you joined
/skip — skip the current question
/profile — change your name, organisation or community
/language — English or French
/mydata — everything I store about you; /forget — erase it
/cancel — stop what you are doing
/help — this message""")

HELP_ORGANISER = N_("""<b>Organisers</b>
/newevent — create an event step by step
/newsession — add a session with its prompts
/agenda — create an event and its sessions from a YAML agenda (or just send the .yaml file); send it again, corrected, to update them
/manage — your events and sessions, with open/close and link buttons
/open CODE, /close CODE — open or close a session
/link CODE — the join link and a QR code for the room's screen
/grant CODE rapporteur|moderator|organiser @user — give someone a role (/revoke to take it back)
/remind — schedule a reminder, a nudge to those who haven't answered, or a note to rapporteurs
/papers CODE — attach background papers and schedule when they go out
/deliver CODE &lt;when&gt; — schedule the session report's delivery
/schedule — what is scheduled, with change and cancel buttons
/move CODE 2026-02-11 10:00 — move a session; its relative reminders follow""")

HELP_MODERATOR = N_("""<b>Moderators</b>
/manage — the sessions you moderate, with live counts and open/close and link buttons
/open CODE, /close CODE — open or close your session
/link CODE — the join link and a QR code for the room's screen""")

HELP_RAPPORTEUR = N_("""<b>Rapporteurs</b>
/draft [CODE] — a fresh draft of the session report (chat, chart, DOCX and PDF)
/edit [CODE] — view and replace the report section by section
/hide 12, /unhide 12 — leave contribution #12 out of the report, or put it back
/rename 12 New label, /merge 12 15 — rename a theme, join two themes
/regenerate [CODE] — rebuild from the input, keeping your edits
/approve [CODE] — make the newest version the final report
/versions [CODE], /export CODE pdf 3 — every version; one file of one version
/eventreport CODE — one document for the whole event
/reportlanguage CODE en|fr — the language of the event's drafts and exports""")

# The YAML keys stay English (they are the file format); the comments and the prose translate.
HELP_AGENDA = N_("""<b>Agenda format</b> (YAML)
<pre>event:
  title: Diplomacy, development and integrated planning
  starts_on: 2026-02-11
  ends_on: 2026-02-12
  place: Oslo, Norway
  timezone: Europe/Oslo
  disclaimer: The views expressed do not necessarily…
sessions:
  - title: Good practice during crisis
    key: crisis             # keeps the session when you rename it
    date: 2026-02-11
    start: "09:30"          # or 9.30, 2pm, 9:30am
    end: "11:00"
    track: Plenary
    moderator: Jane Doe, MFA
    chair: John Roe, Norad
    speakers: [Ann Lee, Bo Ek]
    rapporteurs: ["@ravi_rapporteur"]
    institutional_lead: OECD DAC
    thematic_focus: What are good-practice lessons…
    anonymity: named        # or anonymous
    prompts:
      - challenge: What blocks joint analysis?
      - recommendation: What should bilateral actors do?</pre>
Send the corrected file again to update the event: sessions keep their join codes and answers (matched by <code>key</code>, by default the title). Quote a value that contains ": ", e.g. <code>title: "Session 1: Opening"</code>. See README for every field.""")


def help_for(roles: frozenset[str], tr: Translator) -> str:
    """/help shows the commands of every role the person holds, and only those."""
    parts = [HELP_PARTICIPANT]
    if "organiser" in roles:
        parts.append(HELP_ORGANISER)
    elif "moderator" in roles:
        parts.append(HELP_MODERATOR)
    if "organiser" in roles or "rapporteur" in roles:
        parts.append(HELP_RAPPORTEUR)
    return "\n\n".join(tr.gettext(part) for part in parts)


NOTICES["closed_not_saved"] = N_(
    "⏹ <b>{title}</b> is closed, so this point was <b>not saved</b>. Thank you for taking part! "
    "/myinput shows what you sent before it closed."
)
