"""Rapporteurs and organisers: drafts, section edits, approval, versions, exports, event reports;
and participants' reactions to others' points (the support the report ranks by)."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update
from telegram.error import BadRequest

from bot.reports.model import Citations, Section, SessionReport
from bot.reports.render import FORMATS, render_chart
from bot.reports.render.chat import render_chat_messages, split_for_telegram
from bot.reports.render.layout import Citer
from bot.services.access import NotAllowed
from bot.services.ids import parse_id
from bot.services.reporting import Draft
from bot.services.views import UserRef
from handlers import report_texts as rt
from handlers import texts as t
from handlers.common import Context, answer, reader_translator, services, user_ref
from handlers.keyboards import parse_callback
from handlers.web_pages import with_editor
from storage.models import ReactionValue

EXPORTS = (*FORMATS, "csv", "chart")
CITATION_WORDS: dict[str, Citations] = {"footnotes": "footnotes", "inline": "inline", "none": "none", "plain": "none"}
REACTIONS = {1: ReactionValue.AGREE, 2: ReactionValue.DISAGREE, 3: ReactionValue.PASS}
REACTION_LABEL = {ReactionValue.AGREE: "👍 Agree", ReactionValue.DISAGREE: "👎 Disagree", ReactionValue.PASS: "🤷 Pass"}


async def _guard(update: Update, context: Context, action: Callable[[], Awaitable[Any]]) -> None:
    """Refusals and unknown sessions become one friendly line."""
    chat_id = update.effective_chat.id
    try:
        await action()
    except NotAllowed as refusal:
        if update.callback_query:
            await answer(
                update, context, t.notice("not_allowed", {"needed": refusal.needed}, await reader_translator(update, context)), alert=True
            )
        else:
            await context.bot.send_message(
                chat_id, t.notice("not_allowed", {"needed": refusal.needed}, await reader_translator(update, context))
            )
    except LookupError as missing:
        if update.callback_query:
            await answer(update, context, t.notice("stale", {}, await reader_translator(update, context)))
        else:
            await context.bot.send_message(
                chat_id,
                t.notice(
                    "unknown_session", {"ref": str(missing.args[0] if missing.args else "")[:32]}, await reader_translator(update, context)
                ),
            )


async def _which_session(update: Update, context: Context, verb: str) -> str | None:
    """The session code from the command, or a keyboard of the sessions the user reports on."""
    if context.args:
        return context.args[0]
    sessions = await services(context).reporting.reportable_sessions(user_ref(update.effective_user))
    if not sessions:
        raise NotAllowed("session's rapporteurs and organisers")
    if len(sessions) == 1:
        return sessions[0][1]
    buttons = [[Button(title[:56], callback_data=f"rp:{verb}:{session_id}")] for session_id, _code, title in sessions]
    await context.bot.send_message(update.effective_chat.id, "Which session?", reply_markup=Markup(buttons))
    return None


# ----- drafts ------------------------------------------------------------------------------


async def draft(update: Update, context: Context) -> None:
    """/draft [CODE]: a fresh draft in chat, with its chart and the DOCX and PDF files."""

    async def run() -> None:
        code = await _which_session(update, context, "draft")
        if code is not None:
            user = user_ref(update.effective_user)
            await _send_draft(context, update.effective_chat.id, user, await services(context).reporting.draft(user, code))

    await _guard(update, context, run)


async def _send_draft(context: Context, chat_id: int, user: UserRef, result: Draft, *, files: bool = True) -> None:
    report = result.report
    for chunk in render_chat_messages(report):
        await context.bot.send_message(chat_id, chunk)
    chart = render_chart(report)
    if chart:
        await context.bot.send_photo(chat_id, chart, caption=f"{t.esc(report.session_title)} — support and participation")
    if files and not report.is_empty:
        await _send_files(context, chat_id, user, result)
    state = "approved ✅" if result.approved else "draft"
    note = rt.writer_note(report.writer_note, report.writer)
    await context.bot.send_message(
        chat_id,
        (f"{t.esc(note)}\n\n" if note else "")
        + f"Version {result.version} ({state}). /edit to change sections, /approve to make it final, /versions for history.",
        reply_markup=with_editor(context, _report_keyboard(result.session_id), result.session_id),
    )


def _report_keyboard(session_id: int) -> Markup:
    return Markup(
        [
            [
                Button("✏️ Edit sections", callback_data=f"rp:edit:{session_id}"),
                Button("✅ Approve", callback_data=f"rp:approve:{session_id}"),
            ],
            [Button(f, callback_data=f"rx:{f}:{session_id}") for f in ("md", "html", "csv")],
        ]
    )


# ----- editing -----------------------------------------------------------------------------


async def edit(update: Update, context: Context) -> None:
    async def run() -> None:
        code = await _which_session(update, context, "edit")
        if code is not None:
            await _sections_menu(
                context, update.effective_chat.id, await services(context).reporting.latest(user_ref(update.effective_user), code)
            )

    await _guard(update, context, run)


async def _sections_menu(context: Context, chat_id: int, result: Draft) -> None:
    keys = ["summary", *[s.key for s in result.report.sections]]
    titles = {"summary": "Summary", **{s.key: s.title for s in result.report.sections}}
    buttons = [[Button(titles[k], callback_data=f"rs:{k}:{result.session_id}")] for k in keys]
    await context.bot.send_message(
        chat_id,
        f"<b>{t.esc(result.report.session_title)}</b> — version {result.version}. Choose a section to view or replace.\n"
        "Contribution numbers (#12) work with /hide 12, /unhide 12, /rename 12 New label, /merge 12 15.",
        reply_markup=with_editor(context, Markup(buttons), result.session_id),
    )


def section_text(report: SessionReport, key: str) -> str:
    """One section as the rapporteur edits it: themes with counts and numbered statements."""
    if key == "summary":
        body = report.summary_override or Citer("inline").text(report.summary_prose) or report.summary
        return f"<b>Summary</b>{' (edited)' if report.summary_override else ''}\n\n{t.esc(body)}"
    section = next((s for s in report.sections if s.key == key), None)
    if section is None:
        return "That section is empty now."
    return _section_html(section)


def _section_html(section: Section) -> str:
    lines = [f"<b>{t.esc(section.title)}</b>"]
    generated = Citer("inline").text(section.paragraphs)
    if section.text_override:
        lines.append(
            f"<i>Replaced by the rapporteur:</i>\n{t.esc(section.text_override)}\n\n<i>Generated text and themes, for reference:</i>"
        )
    lines.append(t.esc(generated))
    for theme in section.themes:
        support = theme.support
        lines.append(
            f"\n<b>{t.esc(theme.label)}</b> ({theme.count}, +{support.agree}/−{support.disagree}{', ' + support.standing if support.standing != 'untested' else ''})"
        )
        for statement in theme.statements:
            who = f" — {t.esc(statement.author)}" if statement.author else ""
            more = f" (+{statement.duplicates} similar)" if statement.duplicates else ""
            lines.append(f"#{statement.contribution_id} {t.esc(statement.text)}{who}{more}")
    return "\n".join(lines)


async def _show_section(update: Update, context: Context, session_id: int, key: str) -> None:
    result = await services(context).reporting.latest(user_ref(update.effective_user), session_id)
    overridden = (
        key == "summary" and result.report.summary_override or any(s.key == key and s.text_override for s in result.report.sections)
    )
    buttons = [[Button("✏️ Replace text", callback_data=f"re:{key}:{session_id}")]]
    if overridden:
        buttons[0].append(Button("↩️ Restore generated", callback_data=f"rr:{key}:{session_id}"))
    chunks = split_for_telegram(section_text(result.report, key))
    for chunk in chunks[:-1]:
        await context.bot.send_message(update.effective_chat.id, chunk)
    await context.bot.send_message(update.effective_chat.id, chunks[-1], reply_markup=Markup(buttons))


async def hide(update: Update, context: Context) -> None:
    await _contribution_command(update, context, hidden=True)


async def unhide(update: Update, context: Context) -> None:
    await _contribution_command(update, context, hidden=False)


async def _contribution_command(update: Update, context: Context, *, hidden: bool) -> None:
    ids = [a.lstrip("#") for a in context.args or []]
    if len(ids) != 1 or parse_id(ids[0]) is None:
        await context.bot.send_message(
            update.effective_chat.id, f"Usage: <code>/{'hide' if hidden else 'unhide'} 12</code> with a contribution number from /edit."
        )
        return

    async def run() -> None:
        result = await services(context).reporting.set_hidden(user_ref(update.effective_user), parse_id(ids[0]) or 0, hidden)
        state = "hidden from" if hidden else "back in"
        await context.bot.send_message(update.effective_chat.id, f"#{ids[0]} is {state} the report (version {result.version}).")

    await _guard(update, context, run)


async def rename(update: Update, context: Context) -> None:
    args = context.args or []
    if len(args) < 2 or parse_id(args[0].lstrip("#")) is None:
        await context.bot.send_message(
            update.effective_chat.id, "Usage: <code>/rename 12 New theme label</code> — 12 is any contribution in the theme."
        )
        return
    label = " ".join(args[1:])[:80]
    await _edit_by_contribution(update, context, "rename", args[0].lstrip("#"), label, f"Theme renamed to “{t.esc(label)}”")


async def merge(update: Update, context: Context) -> None:
    args = [a.lstrip("#") for a in context.args or []]
    if len(args) != 2 or not all(parse_id(a) is not None for a in args):
        await context.bot.send_message(
            update.effective_chat.id, "Usage: <code>/merge 12 15</code> — the theme of #12 joins the theme of #15."
        )
        return
    await _edit_by_contribution(update, context, "merge", args[0], args[1], f"Theme of #{args[0]} merged into the theme of #{args[1]}")


async def _edit_by_contribution(update: Update, context: Context, kind: str, key: str, value: str, done: str) -> None:
    async def run() -> None:
        reporting = services(context).reporting
        session_id = await reporting.session_of_contribution(parse_id(key) or 0)
        if session_id is None:
            raise LookupError(f"#{key}")
        result = await reporting.edit(user_ref(update.effective_user), session_id, kind, key, value)
        await context.bot.send_message(update.effective_chat.id, f"{done} (version {result.version}).")

    await _guard(update, context, run)


async def regenerate(update: Update, context: Context) -> None:
    """/regenerate [CODE] [discard]: rebuild from the input; manual edits stay unless discarded."""
    args = list(context.args or [])
    discard = "discard" in [a.lower() for a in args]
    context.args = [a for a in args if a.lower() != "discard"]

    async def run() -> None:
        code = await _which_session(update, context, "draft")
        if code is not None:
            user = user_ref(update.effective_user)
            result = await services(context).reporting.regenerate(user, code, discard_edits=discard)
            await _send_draft(context, update.effective_chat.id, user, result, files=False)

    await _guard(update, context, run)


# ----- approval, versions, exports ---------------------------------------------------------


async def approve(update: Update, context: Context) -> None:
    async def run() -> None:
        code = await _which_session(update, context, "approve")
        if code is not None:
            await _approve(context, update.effective_chat.id, user_ref(update.effective_user), code)

    await _guard(update, context, run)


async def _approve(context: Context, chat_id: int, user: UserRef, ref: str | int) -> None:
    result = await services(context).reporting.approve(user, ref)
    await context.bot.send_message(
        chat_id, f"✅ Version {result.version} of <b>{t.esc(result.report.session_title)}</b> is approved as the final report."
    )
    await _send_files(context, chat_id, user, result)


async def _send_files(context: Context, chat_id: int, user: UserRef, result: Draft) -> None:
    """The DOCX and PDF of exactly this version."""
    for name, content in await services(context).reporting.export_many(user, result.session_id, ("docx", "pdf"), result.version):
        await context.bot.send_document(chat_id, io.BytesIO(content), filename=name)


async def versions(update: Update, context: Context) -> None:
    async def run() -> None:
        code = await _which_session(update, context, "versions")
        if code is None:
            return
        title, items = await services(context).reporting.versions(user_ref(update.effective_user), code)
        if not items:
            await context.bot.send_message(update.effective_chat.id, f"No drafts of <b>{t.esc(title)}</b> yet: /draft {t.esc(code)}")
            return
        lines = [f"<b>Versions of {t.esc(title)}</b>"]
        for v in items[-15:]:
            mark = " ✅ approved" if v.approved else ""
            lines.append(f"v{v.number} · {v.created_at:%d %b %H:%M %Z} · {v.contributions} contributions{mark}")
        lines.append("\nDownload one: <code>/export CODE pdf 3</code> (format, version).")
        await context.bot.send_message(update.effective_chat.id, "\n".join(lines))

    await _guard(update, context, run)


async def export(update: Update, context: Context) -> None:
    """/export CODE md|html|docx|pdf|csv|chart [version] [footnotes|inline|none]."""
    args = list(context.args or [])
    citations = CITATION_WORDS.get(args[-1].lower()) if len(args) > 2 else None
    if citations is not None:
        args.pop()
    number = parse_id(args[2].lstrip("v")) if len(args) > 2 else None
    if len(args) < 2 or len(args) > 3 or args[1].lower() not in EXPORTS or (len(args) > 2 and number is None):
        await context.bot.send_message(update.effective_chat.id, rt.EXPORT_USAGE.format(formats="|".join(EXPORTS)))
        return
    await _guard(
        update,
        context,
        lambda: _export(context, update.effective_chat.id, user_ref(update.effective_user), args[0], args[1].lower(), number, citations),
    )


async def _export(
    context: Context, chat_id: int, user: UserRef, ref: str | int, fmt: str, number: int | None = None, citations: Citations | None = None
) -> None:
    reporting = services(context).reporting
    if fmt == "chart":
        result = await (reporting.version(user, ref, number) if number else reporting.latest(user, ref))
        if result is None:
            raise LookupError(number)
        chart = render_chart(result.report)
        if chart is None:
            await context.bot.send_message(chat_id, "Nothing to chart yet.")
        else:
            await context.bot.send_photo(chat_id, chart)
        return
    name, content = await reporting.export(user, ref, fmt, number, citations)  # type: ignore[arg-type]
    await context.bot.send_document(chat_id, io.BytesIO(content), filename=name)


async def event_report(update: Update, context: Context) -> None:
    """/eventreport CODE [format]: every session's takeaways and recommendations in one document."""
    args = context.args or []
    fmt = args[1].lower() if len(args) > 1 else "docx"
    if not args or fmt not in FORMATS:
        await context.bot.send_message(
            update.effective_chat.id, f"Usage: <code>/eventreport CODE [{'|'.join(FORMATS)}]</code> — CODE of any session of the event."
        )
        return

    async def run() -> None:
        name, content = await services(context).reporting.event_report(user_ref(update.effective_user), args[0], fmt)  # type: ignore[arg-type]
        await context.bot.send_document(update.effective_chat.id, io.BytesIO(content), filename=name)

    await _guard(update, context, run)


# ----- reactions ---------------------------------------------------------------------------


async def react(update: Update, context: Context) -> None:
    """/react: go through others' points of the current session and agree, disagree or pass."""
    outcome = await services(context).participation.sessions(user_ref(update.effective_user))
    active = next((m.session for m in getattr(outcome, "memberships", ()) if m.active), None)
    if active is None:
        await context.bot.send_message(update.effective_chat.id, t.notice("no_session", {}, await reader_translator(update, context)))
        return
    await _guard(update, context, lambda: _show_point(update, context, active.id, 0, edit=False))


async def _show_point(update: Update, context: Context, session_id: int, index: int, *, edit: bool) -> None:
    points = await services(context).reporting.reactable(user_ref(update.effective_user), session_id)
    chat_id = update.effective_chat.id
    if not points:
        await context.bot.send_message(chat_id, "There are no points from others to react to yet.")
        return
    if index >= len(points):
        text, markup = f"🙏 That was all {len(points)} points. /react starts again; your reactions can be changed.", None
    else:
        cid, kind, body, author, mine = points[index]
        who = f"\n— {t.esc(author)}" if author else ""
        current = f"\n\nYour view: {REACTION_LABEL[mine]}" if mine else ""
        text = f"🗳 <b>Point {index + 1} of {len(points)}</b> · {t.KIND_LABEL[t.PromptKind(kind)]}\n\n{t.esc(body)}{who}{current}"
        react_row = [Button(REACTION_LABEL[v], callback_data=f"rv:{cid}:{index * 10 + n}") for n, v in REACTIONS.items()]
        nav = [Button("◀", callback_data=f"rn:{session_id}:{max(index - 1, 0)}"), Button("▶", callback_data=f"rn:{session_id}:{index + 1}")]
        markup = Markup([react_row, nav])
    if edit and update.callback_query and update.callback_query.message:
        try:
            await update.callback_query.edit_message_text(text, reply_markup=markup)
            return
        except BadRequest as exc:  # pressed twice: the same point again is no change to show
            if "not modified" in exc.message.lower():
                return
    await context.bot.send_message(chat_id, text, reply_markup=markup)


# ----- buttons -----------------------------------------------------------------------------


async def button(update: Update, context: Context) -> None:
    query = update.callback_query
    callback = parse_callback(query.data)
    number = callback.number if callback else None
    user = user_ref(update.effective_user)
    chat_id = update.effective_chat.id
    reporting = services(context).reporting

    async def run() -> None:
        # The press is answered once: with the refusal when there is one, so access is checked
        # before the (slow) work, and only then answered.
        assert callback is not None and number is not None
        if callback.verb == "rp":
            await reporting.authorise(user, number)
            await answer(update, context)
            if callback.arg == "approve":
                await _approve(context, chat_id, user, number)
            elif callback.arg == "edit":
                await _sections_menu(context, chat_id, await reporting.latest(user, number))
            elif callback.arg == "versions":
                context.args = [str(number)]
                await versions(update, context)
            else:
                await _send_draft(context, chat_id, user, await reporting.draft(user, number))
        elif callback.verb == "rs":
            await reporting.authorise(user, number)
            await answer(update, context)
            await _show_section(update, context, number, callback.arg or "")
        elif callback.verb == "re":
            await reporting.begin_section_edit(user, number, callback.arg or "")
            await answer(update, context)
            await context.bot.send_message(
                chat_id, "Send the new text for this section (reply to the section, or just send it). /cancel keeps it as it is."
            )
        elif callback.verb == "rr":
            result = await reporting.restore(
                user, number, "summary" if callback.arg == "summary" else "section", "" if callback.arg == "summary" else callback.arg or ""
            )
            await answer(update, context, "Restored")
            await context.bot.send_message(chat_id, f"The generated text is back (version {result.version}).")
        elif callback.verb == "rx" and callback.arg in EXPORTS:
            await reporting.authorise(user, number)
            await answer(update, context)
            await _export(context, chat_id, user, number, callback.arg)
        elif callback.verb == "rv":
            contribution_id = callback.int_arg()
            session_id = (
                await reporting.react(user, contribution_id, REACTIONS.get(number % 10, ReactionValue.PASS)) if contribution_id else None
            )
            if session_id is None:
                await answer(update, context, t.notice("stale", {}, await reader_translator(update, context)))
                return
            await answer(update, context, "Noted")
            await _show_point(update, context, session_id, number // 10 + 1, edit=True)
        elif callback.verb == "rn" and callback.int_arg() is not None:
            await _show_point(update, context, callback.int_arg() or 0, number, edit=True)
        else:
            await answer(update, context, t.notice("stale", {}, await reader_translator(update, context)))

    if callback is None or number is None or callback.verb not in ("rp", "rs", "re", "rr", "rx", "rv", "rn"):
        await answer(update, context, t.notice("stale", {}, await reader_translator(update, context)))
        return
    await _guard(update, context, run)
