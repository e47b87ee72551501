"""What the bot says to rapporteurs about drafts, edits and exports, in the reader's language.

Every text is a catalogue entry (domain "reports"); `tr` is the reader's translator. The report
itself is not here: it is written in the event's report language by `bot.reports`.
"""

from __future__ import annotations

from bot.i18n import N_, Translator

WRITER_USED = N_(
    "Paragraphs and labels written by the writing model {model}; every sentence checked against the contribution numbers it cites."
)
WRITER_NOTES = {
    "timeout": N_("⚠️ The writing model did not answer in time, so this draft was written offline."),
    "error": N_("⚠️ The writing model could not be reached or answered with an error, so this draft was written offline."),
    "not_allowed": N_("This session is anonymous and its event does not allow the writing model, so this draft was written offline."),
}
REACTION_LABELS = {
    "agree": N_("👍 Agree"),
    "disagree": N_("👎 Disagree"),
    "pass": N_("🤷 Pass"),
}


def writer_note(note: str | None, model: str | None, tr: Translator) -> str | None:
    """One line for the rapporteur about how the draft's prose was written, or None."""
    used = tr.gettext(WRITER_USED).format(model=model) if model else None
    if note is None:
        return used
    key, _, count = note.partition(":")
    if key == "replaced":
        number = int(count) if count.isdigit() else 0
        line = tr.ngettext(
            "The writing model cited no or unknown contributions in {count} sentence; it was replaced by the offline text.",
            "The writing model cited no or unknown contributions in {count} sentences; those were replaced by the offline text.",
            number,
        ).format(count=tr.number(number))
    elif key in WRITER_NOTES:
        line = tr.gettext(WRITER_NOTES[key])
    else:
        return None
    return f"{used} {line}" if used else line


def usage(command: str, formats: tuple[str, ...], tr: Translator) -> str:
    """How to write a report command (HTML)."""
    joined = "|".join(formats)
    texts = {
        "hide": tr.gettext("Usage: <code>/hide 12</code> with a contribution number from /edit."),
        "unhide": tr.gettext("Usage: <code>/unhide 12</code> with a contribution number from /edit."),
        "rename": tr.gettext("Usage: <code>/rename 12 New theme label</code> — 12 is any contribution in the theme."),
        "merge": tr.gettext("Usage: <code>/merge 12 15</code> — the theme of #12 joins the theme of #15."),
        "export": tr.gettext(
            "Usage: <code>/export CODE {formats} [version] [footnotes|inline|none]</code>\n"
            "The last word chooses how sentences show the contributions behind them: numbered footnotes "
            "(default), <code>[#12]</code> after each sentence, or none."
        ),
        "eventreport": tr.gettext("Usage: <code>/eventreport CODE [{formats}]</code> — CODE of any session of the event."),
        "reportlanguage": tr.gettext(
            "Usage: <code>/reportlanguage CODE {formats}</code> — the language of the drafts and exports of the event that "
            "session CODE belongs to."
        ),
    }
    return texts[command].format(formats=joined)


def language_name(code: str, tr: Translator) -> str:
    """A language as a sentence of the reader's language names it ("French", « français »)."""
    names = {"en": tr.pgettext("language", "English"), "fr": tr.pgettext("language", "French")}
    return names.get(code, code)
