"""Rapporteurs and organisers: drafts, section edits, approval, versions, exports, event reports,
the event's report language; and participants' reactions to others' points (the support the
report ranks by).

One reply path: each command runs a use case through `respond`, which renders its outcome with
the renderers registered here (in the reader's language) and sends it through the outbox once
the use case has committed. Files are not messages: after the replies, the handler sends the
outcome's documents and chart (`_send_files`), captioned from the catalogue. The report itself
is in the event's report language; everything around it is in the rapporteur's.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update, WebAppInfo
from telegram.error import BadRequest

from bot.i18n import LOCALES, N_, Translator, translator
from bot.reports.model import Citations, Section, SessionReport
from bot.reports.render import FORMATS, Format, render_chart
from bot.reports.render.chat import esc, render_chat_messages
from bot.reports.render.layout import Citer, zone_or_utc
from bot.services.access import NotAllowed
from bot.services.ids import parse_id
from bot.services.outcomes import Notice
from bot.services.report_outcomes import (
    Approved,
    ChartReady,
    ChooseSession,
    DraftShown,
    ExportReady,
    HiddenChanged,
    NoPointsYet,
    ReactDone,
    ReactPoint,
    ReportLanguage,
    ReportOutcome,
    ReportUsage,
    Restored,
    SectionEditStarted,
    SectionShown,
    SectionsMenu,
    ThemeRenamed,
    ThemesMerged,
    VersionList,
)
from bot.services.reporting import Draft
from bot.services.views import UserRef
from handlers import report_texts as rt
from handlers import texts as t
from handlers.common import Context, answer, reader_translator, respond, services, user_ref
from handlers.keyboards import parse_callback
from handlers.render import Reply, render
from storage.models import PromptKind, ReactionValue
from web import texts as web_texts

EXPORTS: tuple[str, ...] = (*FORMATS, "csv", "chart")
CITATION_WORDS: dict[str, Citations] = {"footnotes": "footnotes", "inline": "inline", "none": "none", "plain": "none"}
REACTIONS = {1: ReactionValue.AGREE, 2: ReactionValue.DISAGREE, 3: ReactionValue.PASS}
VERSIONS_SHOWN = 15

Action = Callable[[], Awaitable[ReportOutcome | Notice]]


# ----- running a command: one reply path, then the files ------------------------------------


async def _run(update: Update, context: Context, action: Action) -> None:
    """Run a report use case through `respond` (refusals and unknown sessions become one polite
    line), then send the files its outcome carries."""
    shown: list[ReportOutcome] = []
    pressed = update.callback_query is not None

    async def run() -> ReportOutcome | Notice:
        try:
            outcome = await action()
        except LookupError as missing:
            if pressed:
                return Notice("stale")
            return Notice("unknown_session", {"ref": str(missing.args[0] if missing.args else "")[:32]})
        if not isinstance(outcome, Notice):
            shown.append(outcome)
        return outcome

    await respond(update, context, run, shared=False)  # built in a worker thread, or by a writing model
    if shown and update.effective_chat is not None and update.effective_user is not None:
        tr = await reader_translator(update, context)
        for outcome in shown:
            await _send_files(context, update.effective_chat.id, user_ref(update.effective_user), outcome, tr)


async def _send_files(context: Context, chat_id: int, user: UserRef, outcome: ReportOutcome, tr: Translator) -> None:
    """The documents and pictures behind an outcome: the chart and the DOCX and PDF of exactly
    the version shown, an export, or a chart on its own."""
    match outcome:
        case DraftShown(draft=draft, files=files):
            chart = render_chart(draft.report)
            if chart:
                caption = tr.gettext("{title} — support and participation").format(title=esc(draft.report.session_title))
                await context.bot.send_photo(chat_id, chart, caption=caption)
            if files and not draft.report.is_empty:
                await _send_version(context, chat_id, user, draft)
        case Approved(draft=draft):
            await _send_version(context, chat_id, user, draft)
        case ExportReady(filename=name, content=content):
            await context.bot.send_document(chat_id, io.BytesIO(content), filename=name)
        case ChartReady(png=png, title=title) if png is not None:
            caption = tr.gettext("{title} — support and participation").format(title=esc(title))
            await context.bot.send_photo(chat_id, png, caption=caption)
        case _:
            return


async def _send_version(context: Context, chat_id: int, user: UserRef, draft: Draft) -> None:
    """The DOCX and PDF of exactly this version (file names in the report's language)."""
    formats: tuple[Format, ...] = ("docx", "pdf")
    for name, content in await services(context).reporting.export_many(user, draft.session_id, formats, draft.version):
        await context.bot.send_document(chat_id, io.BytesIO(content), filename=name)


def _editor_url(context: Context, session_id: int) -> str | None:
    """The web editor of a session, when the web pages run."""
    settings = services(context).settings
    return f"{settings.public_url}/app/editor/{session_id}" if settings.web_enabled and settings.public_url else None


def _user(update: Update) -> UserRef:
    assert update.effective_user is not None  # commands and presses always come from someone
    return user_ref(update.effective_user)


async def _which_session(update: Update, context: Context, verb: str) -> str | int | ChooseSession:
    """The session code from the command, or the sessions the user reports on to choose from."""
    if context.args:
        return context.args[0]
    sessions = await services(context).reporting.reportable_sessions(_user(update))
    if not sessions:
        raise NotAllowed("session's rapporteurs and organisers")
    if len(sessions) == 1:
        return sessions[0][1]
    return ChooseSession(verb, tuple(sessions))


# ----- drafts ------------------------------------------------------------------------------


async def draft(update: Update, context: Context) -> None:
    """/draft [CODE]: a fresh draft in chat, with its chart and the DOCX and PDF files."""

    async def run() -> ReportOutcome:
        code = await _which_session(update, context, "draft")
        if isinstance(code, ChooseSession):
            return code
        result = await services(context).reporting.draft(_user(update), code)
        return DraftShown(result, files=True, editor_url=_editor_url(context, result.session_id))

    await _run(update, context, run)


async def regenerate(update: Update, context: Context) -> None:
    """/regenerate [CODE] [discard]: rebuild from the input; manual edits stay unless discarded."""
    args = list(context.args or [])
    discard = "discard" in [a.lower() for a in args]
    context.args = [a for a in args if a.lower() != "discard"]

    async def run() -> ReportOutcome:
        code = await _which_session(update, context, "draft")
        if isinstance(code, ChooseSession):
            return code
        result = await services(context).reporting.regenerate(_user(update), code, discard_edits=discard)
        return DraftShown(result, files=False, editor_url=_editor_url(context, result.session_id))

    await _run(update, context, run)


# ----- editing -----------------------------------------------------------------------------


async def edit(update: Update, context: Context) -> None:
    """/edit [CODE]: the report's sections to view or replace."""

    async def run() -> ReportOutcome:
        code = await _which_session(update, context, "edit")
        if isinstance(code, ChooseSession):
            return code
        result = await services(context).reporting.latest(_user(update), code)
        return SectionsMenu(result, _editor_url(context, result.session_id))

    await _run(update, context, run)


async def hide(update: Update, context: Context) -> None:
    await _contribution_command(update, context, hidden=True)


async def unhide(update: Update, context: Context) -> None:
    await _contribution_command(update, context, hidden=False)


async def _contribution_command(update: Update, context: Context, *, hidden: bool) -> None:
    ids = [a.lstrip("#") for a in context.args or []]
    number = parse_id(ids[0]) if len(ids) == 1 else None

    async def run() -> ReportOutcome:
        if number is None:
            return ReportUsage("hide" if hidden else "unhide")
        result = await services(context).reporting.set_hidden(_user(update), number, hidden)
        return HiddenChanged(number, hidden, result.version)

    await _run(update, context, run)


async def rename(update: Update, context: Context) -> None:
    args = context.args or []
    key = args[0].lstrip("#") if args else ""
    label = " ".join(args[1:])[:80]

    async def run() -> ReportOutcome:
        if len(args) < 2 or parse_id(key) is None:
            return ReportUsage("rename")
        result = await _edit_by_contribution(update, context, "rename", key, label)
        return ThemeRenamed(label, result.version)

    await _run(update, context, run)


async def merge(update: Update, context: Context) -> None:
    args = [a.lstrip("#") for a in context.args or []]

    async def run() -> ReportOutcome:
        source, target = (parse_id(args[0]), parse_id(args[1])) if len(args) == 2 else (None, None)
        if source is None or target is None:
            return ReportUsage("merge")
        result = await _edit_by_contribution(update, context, "merge", args[0], args[1])
        return ThemesMerged(source, target, result.version)

    await _run(update, context, run)


async def _edit_by_contribution(update: Update, context: Context, kind: str, key: str, value: str) -> Draft:
    reporting = services(context).reporting
    session_id = await reporting.session_of_contribution(parse_id(key) or 0)
    if session_id is None:
        raise LookupError(f"#{key}")
    return await reporting.edit(_user(update), session_id, kind, key, value)


# ----- approval, versions, exports, the report language ------------------------------------


async def approve(update: Update, context: Context) -> None:
    """/approve [CODE]: the newest version becomes the final report; its files follow."""

    async def run() -> ReportOutcome:
        code = await _which_session(update, context, "approve")
        if isinstance(code, ChooseSession):
            return code
        return Approved(await services(context).reporting.approve(_user(update), code))

    await _run(update, context, run)


async def versions(update: Update, context: Context) -> None:
    """/versions [CODE]: every kept version with its time and whether it was approved."""

    async def run() -> ReportOutcome:
        code = await _which_session(update, context, "versions")
        if isinstance(code, ChooseSession):
            return code
        return await services(context).reporting.versions(_user(update), code)

    await _run(update, context, run)


async def export(update: Update, context: Context) -> None:
    """/export CODE md|html|docx|pdf|csv|chart [version] [footnotes|inline|none]."""
    args = list(context.args or [])
    citations = CITATION_WORDS.get(args[-1].lower()) if len(args) > 2 else None
    if citations is not None:
        args.pop()
    number = parse_id(args[2].lstrip("v")) if len(args) > 2 else None
    valid = 2 <= len(args) <= 3 and args[1].lower() in EXPORTS and (len(args) == 2 or number is not None)

    async def run() -> ReportOutcome:
        if not valid:
            return ReportUsage("export", EXPORTS)
        return await _export(context, _user(update), args[0], args[1].lower(), number, citations)

    await _run(update, context, run)


async def _export(
    context: Context, user: UserRef, ref: str | int, fmt: str, number: int | None = None, citations: Citations | None = None
) -> ReportOutcome:
    reporting = services(context).reporting
    if fmt == "chart":
        result = await (reporting.version(user, ref, number) if number else reporting.latest(user, ref))
        if result is None:
            raise LookupError(number)
        return ChartReady(render_chart(result.report), result.report.session_title)
    if fmt == "csv":
        name, content = await reporting.csv(user, ref)
    else:
        name, content = await reporting.export(user, ref, _format(fmt), number, citations)
    return ExportReady(name, content)


def _format(fmt: str) -> Format:
    """A document format the command line already checked."""
    for known in ("md", "html", "docx", "pdf"):
        if fmt == known:
            return known
    raise ValueError(fmt)


async def event_report(update: Update, context: Context) -> None:
    """/eventreport CODE [format]: every session's takeaways and recommendations in one document."""
    args = context.args or []
    fmt = args[1].lower() if len(args) > 1 else "docx"

    async def run() -> ReportOutcome:
        if not args or fmt not in FORMATS:
            return ReportUsage("eventreport", FORMATS)
        name, content = await services(context).reporting.event_report(_user(update), args[0], _format(fmt))
        return ExportReady(name, content)

    await _run(update, context, run)


async def report_language(update: Update, context: Context) -> None:
    """/reportlanguage CODE [en|fr]: the language of the drafts and exports of the session's
    event (rapporteurs of the session, organisers of the event); without a language, which it is."""
    args = context.args or []
    language = args[1].lower() if len(args) > 1 else None

    async def run() -> ReportOutcome:
        if not args or len(args) > 2 or (language is not None and language not in LOCALES):
            return ReportUsage("reportlanguage", LOCALES)
        return await services(context).reporting.report_language(_user(update), args[0], language)

    await _run(update, context, run)


# ----- reactions ---------------------------------------------------------------------------


async def react(update: Update, context: Context) -> None:
    """/react: go through others' points of the current session and agree, disagree or pass."""

    async def run() -> ReportOutcome | Notice:
        outcome = await services(context).participation.sessions(_user(update))
        active = next((m.session for m in getattr(outcome, "memberships", ()) if m.active), None)
        if active is None:
            return Notice("no_session")
        return await _point(context, _user(update), active.id, 0)

    await _run(update, context, run)


async def _point(context: Context, user: UserRef, session_id: int, index: int) -> ReportOutcome:
    points = await services(context).reporting.reactable(user, session_id)
    if not points:
        return NoPointsYet()
    if index >= len(points):
        return ReactDone(session_id, len(points))
    cid, kind, body, author, mine = points[index]
    return ReactPoint(session_id, index, len(points), cid, kind, body, author, mine)


async def _show_point_in_place(update: Update, context: Context, session_id: int, index: int, toast: str | None) -> None:
    """A reaction or ◀ ▶ turns the same message to the next point (the reaction itself is stored
    by then); a point the message already shows is left as it is."""
    query = update.callback_query
    assert query is not None
    tr = await reader_translator(update, context)
    try:
        outcome = await _point(context, _user(update), session_id, index)
    except NotAllowed as refusal:
        await answer(update, context, t.notice("not_allowed", {"needed": refusal.needed}, tr), alert=True)
        return
    await answer(update, context, tr.gettext(toast) if toast else None)
    reply = render(outcome, tr)[0]
    if query.message is not None:
        try:
            await query.edit_message_text(reply.text, reply_markup=reply.markup)
            return
        except BadRequest as exc:  # pressed twice: the same point again is no change to show
            if "not modified" in exc.message.lower():  # i18n: not shown
                return
    await respond(update, context, _ready(outcome))


def _ready(outcome: ReportOutcome) -> Callable[[], Awaitable[ReportOutcome]]:
    async def action() -> ReportOutcome:
        return outcome

    return action


# ----- buttons -----------------------------------------------------------------------------


async def button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    callback = parse_callback(query.data)
    number = callback.number if callback else None
    if callback is None or number is None or callback.verb not in ("rp", "rs", "re", "rr", "rx", "rv", "rn"):
        await answer(update, context, t.notice("stale", {}, await reader_translator(update, context)))
        return
    user = _user(update)
    reporting = services(context).reporting
    verb, arg = callback.verb, callback.arg or ""

    if verb == "rv":
        contribution_id = callback.int_arg()
        session_id = (
            await reporting.react(user, contribution_id, REACTIONS.get(number % 10, ReactionValue.PASS)) if contribution_id else None
        )
        if session_id is None:
            await answer(update, context, t.notice("stale", {}, await reader_translator(update, context)))
            return
        await _show_point_in_place(update, context, session_id, number // 10 + 1, NOTED)
        return
    if verb == "rn":
        session_id = callback.int_arg()
        if session_id is None:
            await answer(update, context, t.notice("stale", {}, await reader_translator(update, context)))
            return
        await _show_point_in_place(update, context, session_id, number, None)
        return

    async def run() -> ReportOutcome:
        # Slow work (a draft, a file) answers the press first, once access is checked, so the
        # refusal can still be the press's answer.
        if verb in ("rp", "rs", "rx"):
            await reporting.authorise(user, number)
            await answer(update, context)
        if verb == "rp" and arg == "approve":
            return Approved(await reporting.approve(user, number))
        if verb == "rp" and arg == "edit":
            return SectionsMenu(await reporting.latest(user, number), _editor_url(context, number))
        if verb == "rp" and arg == "versions":
            return await reporting.versions(user, number)
        if verb == "rp":
            return DraftShown(await reporting.draft(user, number), files=True, editor_url=_editor_url(context, number))
        if verb == "rs":
            return SectionShown(await reporting.latest(user, number), arg)
        if verb == "re":
            await reporting.begin_section_edit(user, number, arg)
            return SectionEditStarted(arg)
        if verb == "rr":
            kind, key = ("summary", "") if arg == "summary" else ("section", arg)
            return Restored((await reporting.restore(user, number, kind, key)).version)
        if arg not in EXPORTS:
            raise LookupError(arg)
        return await _export(context, user, number, arg)

    await _run(update, context, run)


NOTED = N_("Noted")  # the toast after a reaction (translated when shown)


# ----- rendering ---------------------------------------------------------------------------


@render.register
def _choose_session(outcome: ChooseSession, tr: Translator) -> list[Reply]:
    buttons = [[Button(title[:56], callback_data=f"rp:{outcome.verb}:{session_id}")] for session_id, _code, title in outcome.sessions]
    return [Reply(tr.gettext("Which session?"), Markup(buttons))]


def _with_editor(markup: Markup, url: str | None, tr: Translator) -> Markup:
    """The keyboard with a first row that opens the report editor in Telegram, when it runs."""
    if url is None:
        return markup
    button = Button(tr.gettext(web_texts.BUTTON_OPEN_EDITOR), web_app=WebAppInfo(url=url))
    return Markup([[button], *markup.inline_keyboard])


@render.register
def _draft_shown(outcome: DraftShown, tr: Translator) -> list[Reply]:
    """The report in chat (in its own language), then the version line for the rapporteur."""
    result = outcome.draft
    report = result.report
    replies = [Reply(chunk) for chunk in render_chat_messages(report)]
    note = rt.writer_note(report.writer_note, report.writer, tr)
    state = (tr.gettext("Version {version} (approved ✅).") if result.approved else tr.gettext("Version {version} (draft).")).format(
        version=result.version
    )
    text = (
        (f"{esc(note)}\n\n" if note else "")
        + state
        + " "
        + tr.gettext("/edit to change sections, /approve to make it final, /versions for history.")
    )
    keyboard = Markup(
        [
            [
                Button(tr.gettext("✏️ Edit sections"), callback_data=f"rp:edit:{result.session_id}"),
                Button(tr.gettext("✅ Approve"), callback_data=f"rp:approve:{result.session_id}"),
            ],
            [Button(f, callback_data=f"rx:{f}:{result.session_id}") for f in ("md", "html", "csv")],
        ]
    )
    return [*replies, Reply(text, _with_editor(keyboard, outcome.editor_url, tr))]


@render.register
def _approved(outcome: Approved, tr: Translator) -> list[Reply]:
    text = tr.gettext("✅ Version {version} of <b>{title}</b> is approved as the final report.")
    return [Reply(text.format(version=outcome.draft.version, title=esc(outcome.draft.report.session_title)))]


@render.register
def _sections_menu(outcome: SectionsMenu, tr: Translator) -> list[Reply]:
    report = outcome.draft.report
    summary = summary_title(report)
    buttons = [[Button(summary, callback_data=f"rs:summary:{outcome.draft.session_id}")]]
    buttons += [[Button(s.title, callback_data=f"rs:{s.key}:{outcome.draft.session_id}")] for s in report.sections]
    text = tr.gettext(
        "<b>{title}</b> — version {version}. Choose a section to view or replace.\n"
        "Contribution numbers (#12) work with /hide 12, /unhide 12, /rename 12 New label, /merge 12 15."
    ).format(title=esc(report.session_title), version=outcome.draft.version)
    return [Reply(text, _with_editor(Markup(buttons), outcome.editor_url, tr))]


def summary_title(report: SessionReport) -> str:
    """The summary's heading as the report has it (in the report's language)."""
    return translator(report.language).gettext("Summary")


@render.register
def _section_shown(outcome: SectionShown, tr: Translator) -> list[Reply]:
    report, key, session_id = outcome.draft.report, outcome.key, outcome.draft.session_id
    overridden = (key == "summary" and report.summary_override is not None) or any(
        s.key == key and s.text_override is not None for s in report.sections
    )
    row = [Button(tr.gettext("✏️ Replace text"), callback_data=f"re:{key}:{session_id}")]
    if overridden:
        row.append(Button(tr.gettext("↩️ Restore generated"), callback_data=f"rr:{key}:{session_id}"))
    return [Reply(section_text(report, key, tr), Markup([row]))]


def section_text(report: SessionReport, key: str, tr: Translator) -> str:
    """One section as the rapporteur edits it: themes with counts and numbered statements (the
    report's words in its language, the frame in the rapporteur's)."""
    if key == "summary":
        body = report.summary_override or Citer("inline").text(report.summary_prose) or report.summary
        edited = " " + tr.gettext("(edited)") if report.summary_override else ""
        return f"<b>{esc(summary_title(report))}</b>{edited}\n\n{esc(body)}"
    section = next((s for s in report.sections if s.key == key), None)
    if section is None:
        return tr.gettext("That section is empty now.")
    return _section_html(section, tr)


def _section_html(section: Section, tr: Translator) -> str:
    lines = [f"<b>{esc(section.title)}</b>"]
    generated = Citer("inline").text(section.paragraphs)
    if section.text_override:
        lines.append(
            "<i>"
            + tr.gettext("Replaced by the rapporteur:")
            + f"</i>\n{esc(section.text_override)}\n\n<i>"
            + tr.gettext("Generated text and themes, for reference:")
            + "</i>"
        )
    lines.append(esc(generated))
    for theme in section.themes:
        support = theme.support
        standing = f", {support.standing}" if support.standing != "untested" else ""
        lines.append(f"\n<b>{esc(theme.label)}</b> ({theme.count}, +{support.agree}/−{support.disagree}{standing})")
        for statement in theme.statements:
            who = f" — {esc(statement.author)}" if statement.author else ""
            more = (
                " " + tr.ngettext("(+{count} similar)", "(+{count} similar)", statement.duplicates).format(count=statement.duplicates)
                if statement.duplicates
                else ""
            )
            lines.append(f"#{statement.contribution_id} {esc(statement.text)}{who}{more}")
    return "\n".join(lines)


@render.register
def _section_edit_started(outcome: SectionEditStarted, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext("Send the new text for this section (reply to the section, or just send it). /cancel keeps it as it is."))]


@render.register
def _hidden_changed(outcome: HiddenChanged, tr: Translator) -> list[Reply]:
    text = (
        tr.gettext("#{number} is hidden from the report (version {version}).")
        if outcome.hidden
        else tr.gettext("#{number} is back in the report (version {version}).")
    )
    return [Reply(text.format(number=outcome.contribution_id, version=outcome.version))]


@render.register
def _theme_renamed(outcome: ThemeRenamed, tr: Translator) -> list[Reply]:
    text = tr.gettext("Theme renamed to “{label}” (version {version}).")
    return [Reply(text.format(label=esc(outcome.label), version=outcome.version))]


@render.register
def _themes_merged(outcome: ThemesMerged, tr: Translator) -> list[Reply]:
    text = tr.gettext("Theme of #{source} merged into the theme of #{target} (version {version}).")
    return [Reply(text.format(source=outcome.source, target=outcome.target, version=outcome.version))]


@render.register
def _restored(outcome: Restored, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext("The generated text is back (version {version}).").format(version=outcome.version))]


@render.register
def _version_list(outcome: VersionList, tr: Translator) -> list[Reply]:
    if not outcome.versions:
        text = tr.gettext("No drafts of <b>{title}</b> yet: /draft {code}")
        return [Reply(text.format(title=esc(outcome.title), code=esc(outcome.code)))]
    lines = [tr.gettext("<b>Versions of {title}</b>").format(title=esc(outcome.title))]
    for v in outcome.versions[-VERSIONS_SHOWN:]:
        when = tr.datetime(v.created_at, zone_or_utc(outcome.timezone))
        count = tr.ngettext("{count} contribution", "{count} contributions", v.contributions).format(count=tr.number(v.contributions))
        mark = " " + tr.gettext("✅ approved") if v.approved else ""
        lines.append(f"v{v.number} · {when} · {count}{mark}")
    lines.append("\n" + tr.gettext("Download one: <code>/export CODE pdf 3</code> (format, version)."))
    return [Reply("\n".join(lines))]


@render.register
def _export_ready(outcome: ExportReady, tr: Translator) -> list[Reply]:
    return []  # the file is the answer (sent after the commit)


@render.register
def _chart_ready(outcome: ChartReady, tr: Translator) -> list[Reply]:
    return [] if outcome.png is not None else [Reply(tr.gettext("Nothing to chart yet."))]


@render.register
def _usage(outcome: ReportUsage, tr: Translator) -> list[Reply]:
    return [Reply(rt.usage(outcome.command, outcome.formats, tr))]


@render.register
def _report_language(outcome: ReportLanguage, tr: Translator) -> list[Reply]:
    name = rt.language_name(outcome.language, tr)
    if outcome.changed:
        text = tr.gettext(
            "The reports of <b>{event}</b> are now written in {language}: drafts and exports from the next /draft "
            "(/regenerate redrafts now)."
        )
    else:
        text = tr.gettext(
            "The reports of <b>{event}</b> are written in {language}. Change it with <code>/reportlanguage CODE en|fr</code>."
        )
    return [Reply(text.format(event=esc(outcome.event_title), language=name))]


@render.register
def _react_point(outcome: ReactPoint, tr: Translator) -> list[Reply]:
    kind = tr.gettext(t.KIND_LABEL[PromptKind(outcome.kind)])
    head = tr.gettext("🗳 <b>Point {number} of {total}</b> · {kind}").format(number=outcome.index + 1, total=outcome.total, kind=kind)
    who = f"\n— {esc(outcome.author)}" if outcome.author else ""
    current = (
        "\n\n" + tr.gettext("Your view: {reaction}").format(reaction=tr.gettext(rt.REACTION_LABELS[outcome.mine.value]))
        if outcome.mine
        else ""
    )
    row = [
        Button(tr.gettext(rt.REACTION_LABELS[value.value]), callback_data=f"rv:{outcome.contribution_id}:{outcome.index * 10 + n}")
        for n, value in REACTIONS.items()
    ]
    nav = [
        Button("◀", callback_data=f"rn:{outcome.session_id}:{max(outcome.index - 1, 0)}"),
        Button("▶", callback_data=f"rn:{outcome.session_id}:{outcome.index + 1}"),
    ]
    return [Reply(f"{head}\n\n{esc(outcome.text)}{who}{current}", Markup([row, nav]))]


@render.register
def _react_done(outcome: ReactDone, tr: Translator) -> list[Reply]:
    text = tr.ngettext(
        "🙏 That was the only point. /react starts again; your reactions can be changed.",
        "🙏 That was all {count} points. /react starts again; your reactions can be changed.",
        outcome.total,
    )
    return [Reply(text.format(count=outcome.total))]


@render.register
def _no_points(outcome: NoPointsYet, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext("There are no points from others to react to yet."))]
