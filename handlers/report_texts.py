"""What the bot says to rapporteurs about drafts and exports (sentences only, for the catalogue).

The longer, shared texts stay in ``handlers/texts.py``; these belong to the report commands.
"""

from __future__ import annotations

EXPORT_USAGE = (
    "Usage: <code>/export CODE {formats} [version] [footnotes|inline|none]</code>\n"
    "The last word chooses how sentences show the contributions behind them: numbered footnotes "
    "(default), <code>[#12]</code> after each sentence, or none."
)
WRITER_USED = (
    "Paragraphs and labels written by the writing model {model}; every sentence checked against the contribution numbers it cites."
)
WRITER_NOTES = {
    "timeout": "⚠️ The writing model did not answer in time, so this draft was written offline.",
    "error": "⚠️ The writing model could not be reached or answered with an error, so this draft was written offline.",
    "not_allowed": "This session is anonymous and its event does not allow the writing model, so this draft was written offline.",
    "replaced": "The writing model cited no or unknown contributions in {count} sentence(s); those were replaced by the offline text.",
}


def writer_note(note: str | None, model: str | None) -> str | None:
    """One line for the rapporteur about how the draft's prose was written, or None."""
    if note is None:
        return WRITER_USED.format(model=model) if model else None
    key, _, count = note.partition(":")
    text = WRITER_NOTES.get(key)
    if text is None:
        return None
    line = text.format(count=count or "some")
    return f"{WRITER_USED.format(model=model)} {line}" if model else line
