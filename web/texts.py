"""The web area's texts that Python picks by key: labels per kind, community, status and export
format, refusals, the editor's confirmations, and what /screen says in the chat.

Each is an English message id marked with `N_` and translated when shown (`tr.gettext`); the
sentences that sit in one place of a page are written in the template itself as `_("…")`.
Templates receive this module as `t` (`{{ _(t.APP_REFUSED[reason]) }}`); keep keys stable.

Short labels that other areas may also use with another sense or wording ("Open" as a status,
"Challenges" as a kind, "Summary") carry the context "web" in the catalogue, so their French is
this area's own: they are marked with `pgettext("web", …)` below (a marker: it returns the text,
and Babel records the context) and shown with `tr.pgettext(WEB, label)`, or
`pgettext("web", t.KIND_LABEL[kind])` in a template.
"""

from __future__ import annotations

from typing import Final

from bot.i18n import N_

WEB: Final = "web"


def pgettext(context: str, message: str) -> str:
    """Marks a short label with its catalogue context; it is translated when shown."""
    return message


KIND_LABEL: Final = {
    "challenge": pgettext("web", "Challenges"),
    "recommendation": pgettext("web", "Recommendations"),
    "takeaway": pgettext("web", "Key takeaways"),
    "question": pgettext("web", "Open questions"),
}
COMMUNITY_LABEL: Final = {
    "diplomacy": pgettext("web", "Diplomacy"),
    "development": pgettext("web", "Development"),
    "security": pgettext("web", "Security"),
    "other": pgettext("web", "Other"),
}
SCREEN_STATUS: Final = {"draft": pgettext("web", "Opens soon"), "open": pgettext("web", "Open"), "closed": pgettext("web", "Closed")}

# ----- Mini Apps (editor and moderator view) --------------------------------------------------
APP_REFUSED: Final = {
    "missing": N_("Open this page from the bot in Telegram (no sign-in data came with it)."),
    "forged": N_("Telegram's signature on this request is not valid."),
    "expired": N_("This sign-in is too old. Close the page and open it again from the bot."),
    "malformed": N_("The sign-in data is malformed."),
    "role": N_("Only this session's rapporteurs and organisers can edit its report."),
    "moderator": N_("Only this session's organisers and moderators can moderate its screen."),
    "csrf": N_("This change did not carry the page's security token. Reload the page and try again."),
    "origin": N_("Changes are accepted only from this site's own pages."),
    "rate": N_("Too many requests. Wait a moment and try again."),
    "unknown": N_("That session or statement does not exist."),
    "invalid": N_("That request is not valid."),
    "link": N_("This download link is invalid or has expired. Open the editor again."),
}
EDITOR_TITLE: Final = N_("Report editor")
MODERATE_TITLE: Final = N_("Moderate the room screen")
EDITOR_FIELDS: Final = {
    "lead": pgettext("web", "Institutional lead"),
    "moderator": pgettext("web", "Moderator"),
    "focus": pgettext("web", "Thematic focus"),
}
EDITOR_EXPORT_LABEL: Final = {
    "md": N_("Markdown"),
    "html": N_("HTML"),
    "docx": N_("Word (DOCX)"),
    "pdf": N_("PDF"),
    "csv": N_("Contributions (CSV)"),
    "chart": N_("Chart (PNG)"),
}
EDITOR_DONE: Final = {
    "edit": N_("Saved as version {version}."),
    "restore": N_("Generated text restored (version {version})."),
    "rename": N_("Theme renamed (version {version})."),
    "merge": N_("Themes merged (version {version})."),
    "move": N_("Statement moved (version {version})."),
    "split": N_("New theme split off (version {version})."),
    "hide": N_("Hidden from the report (version {version})."),
    "unhide": N_("Back in the report (version {version})."),
    "regenerate": N_("Regenerated as version {version}."),
    "approve": N_("Version {version} is approved as the final report."),
}
# What the page's script says by itself (it has no catalogue): sent with every answer and
# written into the shell, so the script only copies them (`data-*` on #app).
APP_LABELS: Final = {
    "working": N_("Saving…"),
    "failed": N_("That did not work: {reason}"),
    "network": N_("the connection was lost"),
    "outside": N_("Open this page from the bot in Telegram: the button under /draft, /edit or /screen."),
    "save": N_("Save"),
    "cancel": N_("Cancel"),
}
MODERATE_DONE_HIDE: Final = N_("#{id} is off the screen.")
MODERATE_DONE_SHOW: Final = N_("#{id} is back on the screen.")

# ----- chat: /screen and the Mini App buttons --------------------------------------------------
CHAT_SCREEN_USAGE: Final = N_(
    "Usage: <code>/screen CODE</code> for a room-screen link, <code>/screen CODE revoke</code> to switch old links off, "
    "<code>/screen CODE recent</code> to take statements off the screen."
)
CHAT_SCREEN_DISABLED: Final = N_(
    "The web pages are off: the operator sets PUBLIC_URL and WEB_PORT to turn on the room screen and the report editor."
)
CHAT_SCREEN_LINK: Final = N_(
    "📽 <b>Room screen for {title}</b>\n{url}\n\nOpen it full-screen on the projector (F11). "
    "It shows the join QR and code, live counts, the newest statements (never with names) and the emerging themes. "
    "Anyone with the link can watch it: <code>/screen {code} revoke</code> switches every link off."
)
CHAT_SCREEN_RECENT: Final = N_("🙈 <b>{title}</b>: the newest statements. Tap one to take it off the room screen (the report keeps it).")
CHAT_SCREEN_RECENT_EMPTY: Final = N_("No statements in <b>{title}</b> yet.")
CHAT_SCREEN_HIDDEN_TOAST: Final = N_("#{id} is off the screen")
CHAT_SCREEN_SHOWN_TOAST: Final = N_("#{id} is back on the screen")
BUTTON_MODERATE: Final = N_("🙈 Moderate the screen")
BUTTON_RECENT: Final = N_("🙈 Newest statements")
BUTTON_OPEN_EDITOR: Final = N_("📝 Open the editor")
