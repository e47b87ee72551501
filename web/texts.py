"""Every sentence the web pages and the /screen command show, in one place for the gettext
catalogue (issue 11). Templates receive this module as `t`; keep keys stable."""

from __future__ import annotations

from typing import Final

KIND_LABEL: Final = {
    "challenge": "Challenges",
    "recommendation": "Recommendations",
    "takeaway": "Key takeaways",
    "question": "Open questions",
}
COMMUNITY_LABEL: Final = {
    "diplomacy": "Diplomacy",
    "development": "Development",
    "security": "Security",
    "other": "Other",
}

# ----- room screen ---------------------------------------------------------------------------
SCREEN_PAGE_TITLE: Final = "Room screen"
SCREEN_JOIN_HEADING: Final = "Join and share your view"
SCREEN_CODE_LABEL: Final = "Join code"
SCREEN_JOIN_HOW: Final = "Scan the code with your phone, or send this code to the bot:"
SCREEN_QR_ALT: Final = "QR code that opens the session in Telegram"
SCREEN_JOINED: Final = "joined"
SCREEN_CONTRIBUTIONS: Final = "contributions"
SCREEN_CURRENT_PROMPT: Final = "Now answering"
SCREEN_PER_PROMPT: Final = "Contributions per question"
SCREEN_RECENT: Final = "Just in"
SCREEN_RECENT_EMPTY: Final = "Statements appear here as soon as they are sent."
SCREEN_THEMES: Final = "Emerging themes"
SCREEN_THEMES_EMPTY: Final = "Themes appear once a few statements are in."
SCREEN_SUPPORT: Final = "Support by policy community"
SCREEN_SUPPORT_LEGEND: Final = "agree · disagree · pass"
SCREEN_AGREE: Final = "agree"
SCREEN_DISAGREE: Final = "disagree"
SCREEN_PASS: Final = "pass"
SCREEN_STATUS: Final = {"draft": "Opens soon", "open": "Open", "closed": "Closed"}
SCREEN_LIVE: Final = "Live"
SCREEN_RECONNECTING: Final = "Reconnecting…"
SCREEN_REVOKED: Final = "This screen link was revoked. Ask the organiser for a new one."
SCREEN_NOT_FOUND_TITLE: Final = "This screen link does not work"
SCREEN_NOT_FOUND: Final = "The link is wrong or was revoked. An organiser gets a new one with /screen CODE in the bot."

# ----- Mini Apps (editor and moderator view) --------------------------------------------------
APP_LOADING: Final = "Loading…"
APP_OPEN_IN_TELEGRAM: Final = "Open this page from the bot in Telegram: the button under /draft, /edit or /screen."
APP_REFUSED: Final = {
    "missing": "Open this page from the bot in Telegram (no sign-in data came with it).",
    "forged": "Telegram's signature on this request is not valid.",
    "expired": "This sign-in is too old. Close the page and open it again from the bot.",
    "malformed": "The sign-in data is malformed.",
    "role": "Only this session's rapporteurs and organisers can edit its report.",
    "moderator": "Only this session's organisers and moderators can moderate its screen.",
    "csrf": "This change did not carry the page's security token. Reload the page and try again.",
    "origin": "Changes are accepted only from this site's own pages.",
    "rate": "Too many requests. Wait a moment and try again.",
    "unknown": "That session or statement does not exist.",
    "invalid": "That request is not valid.",
    "link": "This download link is invalid or has expired. Open the editor again.",
}
EDITOR_TITLE: Final = "Report editor"
EDITOR_VERSION: Final = "Version {version}"
EDITOR_APPROVED: Final = "approved"
EDITOR_DRAFT: Final = "draft"
EDITOR_SUMMARY: Final = "Summary"
EDITOR_FIELDS: Final = {"lead": "Institutional lead", "moderator": "Moderator", "focus": "Thematic focus"}
EDITOR_EDITED: Final = "edited"
EDITOR_EDIT: Final = "Edit"
EDITOR_EDIT_LABEL: Final = "Rename"
EDITOR_SAVE: Final = "Save"
EDITOR_CANCEL: Final = "Cancel"
EDITOR_RESTORE: Final = "Restore generated text"
EDITOR_SECTION_REPLACED: Final = (
    "The rapporteur's text replaces the generated themes in the printed report; the themes stay below for reference."
)
EDITOR_REPLACE_SECTION: Final = "Write this section yourself"
EDITOR_THEME_STATS: Final = "{count} contributions · +{agree} / −{disagree}"
EDITOR_CONTRIBUTIONS_BEHIND: Final = "Contributions behind this theme"
EDITOR_SUMMARY_SOURCES: Final = "Themes and contributions behind the summary"
EDITOR_SIMILAR: Final = "+{n} similar"
EDITOR_MOVE: Final = "Move to theme"
EDITOR_MOVE_PICK: Final = "Choose a theme…"
EDITOR_MOVE_APPLY: Final = "Move"
EDITOR_SPLIT: Final = "Split off as a new theme"
EDITOR_MERGE: Final = "Merge this theme into"
EDITOR_THEME_ACTIONS: Final = "Merge with another theme"
EDITOR_MERGE_APPLY: Final = "Merge"
EDITOR_HIDE: Final = "Hide from report"
EDITOR_UNHIDE: Final = "Unhide"
EDITOR_HIDDEN: Final = "Hidden from the report"
EDITOR_HIDDEN_EMPTY: Final = "Nothing is hidden."
EDITOR_REGENERATE: Final = "Regenerate"
EDITOR_APPROVE: Final = "Approve"
EDITOR_DOWNLOADS: Final = "Downloads"
EDITOR_EXPORT_LABEL: Final = {
    "md": "Markdown",
    "html": "HTML",
    "docx": "Word (DOCX)",
    "pdf": "PDF",
    "csv": "Contributions (CSV)",
    "chart": "Chart (PNG)",
}
EDITOR_EMPTY: Final = "No input has been received for this session yet."
EDITOR_DONE: Final = {
    "edit": "Saved as version {version}.",
    "restore": "Generated text restored (version {version}).",
    "rename": "Theme renamed (version {version}).",
    "merge": "Themes merged (version {version}).",
    "move": "Statement moved (version {version}).",
    "split": "New theme split off (version {version}).",
    "hide": "Hidden from the report (version {version}).",
    "unhide": "Back in the report (version {version}).",
    "regenerate": "Regenerated as version {version}.",
    "approve": "Version {version} is approved as the final report.",
}
EDITOR_WORKING: Final = "Saving…"
EDITOR_FAILED: Final = "That did not work: {reason}"
EDITOR_STATEMENT_ACTIONS: Final = "Actions for statement #{id}"

MODERATE_TITLE: Final = "Moderate the room screen"
MODERATE_ON_SCREEN: Final = "On screen"
MODERATE_OFF_SCREEN: Final = "Hidden from screen"
MODERATE_HIDE: Final = "Hide from screen"
MODERATE_SHOW: Final = "Show again"
MODERATE_EMPTY: Final = "No statements yet."
MODERATE_DONE_HIDE: Final = "#{id} is off the screen."
MODERATE_DONE_SHOW: Final = "#{id} is back on the screen."

# ----- chat: /screen and the Mini App buttons --------------------------------------------------
CHAT_SCREEN_USAGE: Final = "Usage: <code>/screen CODE</code> for a room-screen link, <code>/screen CODE revoke</code> to switch old links off, <code>/screen CODE recent</code> to take statements off the screen."
CHAT_SCREEN_DISABLED: Final = (
    "The web pages are off: the operator sets PUBLIC_URL and WEB_PORT to turn on the room screen and the report editor."
)
CHAT_SCREEN_LINK: Final = (
    "📽 <b>Room screen for {title}</b>\n{url}\n\nOpen it full-screen on the projector (F11). "
    "It shows the join QR and code, live counts, the newest statements (never with names) and the emerging themes. "
    "Anyone with the link can watch it: <code>/screen {code} revoke</code> switches every link off."
)
CHAT_SCREEN_REVOKED: Final = "🔒 {count} screen link(s) of <b>{title}</b> revoked; screens using them stop within seconds."
CHAT_SCREEN_RECENT: Final = "🙈 <b>{title}</b>: the newest statements. Tap one to take it off the room screen (the report keeps it)."
CHAT_SCREEN_RECENT_EMPTY: Final = "No statements in <b>{title}</b> yet."
CHAT_SCREEN_HIDDEN_TOAST: Final = "#{id} is off the screen"
CHAT_SCREEN_SHOWN_TOAST: Final = "#{id} is back on the screen"
BUTTON_MODERATE: Final = "🙈 Moderate the screen"
BUTTON_RECENT: Final = "🙈 Newest statements"
BUTTON_OPEN_EDITOR: Final = "📝 Open the editor"
