"""The text catalogue is complete: every sentence a person can see is in it, and every entry of
it is translated into French (with the same placeholders).

The scan for texts outside the catalogue reads the source: a string literal that reads like
words (two words with a space, a sentence ending, or a symbol before a word, as on buttons) is
a user-visible text unless it is a docstring, is marked for the catalogue (`N_`, `gettext`,
`ngettext`, `pgettext`, `_`), goes to a log, or sits on a line marked `# i18n: not shown`
(SQL, regular expressions, identifiers that happen to contain spaces). Button labels and sent
texts are checked structurally too: a literal passed straight to `InlineKeyboardButton`,
`send_message` or `reply_text` is never right.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import pytest

from bot import i18n_catalog
from bot.i18n import translator
from bot.services.access import Needed

ROOT = Path(__file__).resolve().parent.parent
MARKERS = {"N_", "_", "gettext", "ngettext", "pgettext"}
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "warn"}
SENDS = {"send_message", "reply_text", "edit_message_text", "answer", "send_document", "send_photo", "InlineKeyboardButton"}
# Texts for the operator at a terminal, not for people in Telegram or on the web pages: the CLI,
# the offline demo's transcript and its scripted participants, and configuration errors.
OPERATOR_ONLY = {
    "telegram_edge/cli.py",
    "telegram_edge/demo.py",
    "telegram_edge/demo_script.py",
    "telegram_edge/serve.py",
    "bot/config.py",
    "bot/logging_setup.py",
    "bot/i18n_catalog.py",
    "bot/reports/theme_cli.py",
    "bot/agenda_summary.py",
    "bot/metrics.py",  # Prometheus help texts, read by the operator's monitoring
}
# Exceptions that mean a bug or a broken installation, never something a person did: their
# messages go to the log, not to a chat.
INTERNAL_ERRORS = {"RuntimeError", "TypeError", "AssertionError", "NotImplementedError", "KeyError"}
# Reads like words: two words with a space between, a capitalised word ending a sentence
# ("When?"), or a symbol before a word, as on buttons ("✓ Done"); not paths, commands or ids.
WORDS = re.compile(r"[A-Za-zÀ-ÿ]{2,}[ ,]+[A-Za-zÀ-ÿ]{2,}|^[A-Z][a-z]+[.!?…]$|^[^\w\s<{/.:#@$%_\-+*=|\\\[\](),;'\"`&^~]+\s*[A-Za-z]{2,}")
# Keys of refusals (`require(..., "organiser or moderator")`): identifiers, worded by REFUSALS.
REFUSAL_KEYS = frozenset(get_args(Needed))
# Calls whose string arguments are never shown: SQL, regular expressions, routes, templates.
TECHNICAL_CALLS = {
    "text",
    "compile",
    "match",
    "search",
    "sub",
    "fullmatch",
    "findall",
    "split",
    "Route",
    "Mount",
    "bindparam",
    "literal_column",
    "getenv",
}


def _user_facing_modules() -> list[str]:
    return [
        relative for relative, _ in i18n_catalog.source_files() if relative not in OPERATOR_ONLY and not relative.endswith("__init__.py")
    ]


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _is_log_call(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in LOG_CALLS:
        target = func.value
        name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else ""
        return name in {"log", "logger", "logging", "_log", "warnings"}
    return False


def texts_outside_catalogue(relative: str) -> list[str]:
    source = (ROOT / relative).read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    exempt: set[int] = set()  # ids of string nodes that are fine
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                exempt.add(id(first.value))
        if isinstance(node, ast.Call) and (_call_name(node) in MARKERS | TECHNICAL_CALLS or _is_log_call(node)):
            exempt.update(id(inner) for inner in ast.walk(node))
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and _call_name(node.exc) in INTERNAL_ERRORS:
            exempt.update(id(inner) for inner in ast.walk(node))
        # `# i18n: not shown` on the first line of a statement covers all of it (a whole table)
        if isinstance(node, ast.stmt) and "i18n: not shown" in lines[node.lineno - 1]:
            exempt.update(id(inner) for inner in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in SENDS:
            candidates = node.args[:2] + [kw.value for kw in node.keywords if kw.arg in {"text", "caption"}]
            for arg in candidates:
                if isinstance(arg, (ast.Constant, ast.JoinedStr)) and _reads_like_words(arg):
                    found.append(f"{relative}:{arg.lineno}: literal passed to {_call_name(node)}")
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in exempt:
            continue
        if "i18n: not shown" in lines[node.lineno - 1] or node.value in REFUSAL_KEYS or not WORDS.search(node.value):
            continue
        found.append(f"{relative}:{node.lineno}: {node.value[:60]!r}")
    return found


def _reads_like_words(node: ast.expr) -> bool:
    parts = (
        [node.value] if isinstance(node, ast.Constant) else [v.value for v in getattr(node, "values", []) if isinstance(v, ast.Constant)]
    )
    return any(isinstance(part, str) and re.search(r"[A-Za-z]{2,}", part) for part in parts)


@pytest.mark.parametrize("relative", _user_facing_modules())
def test_no_user_visible_text_outside_the_catalogue(relative: str) -> None:
    assert texts_outside_catalogue(relative) == []


def test_the_scan_finds_a_stray_sentence(tmp_path: Path) -> None:
    """The scanner itself: a sentence written inline is found, a marked one is not."""
    module = ROOT / "bot" / "_scan_probe.py"
    module.write_text('from bot.i18n import N_\nA = "You are not in a session."\nB = N_("You are not in a session.")\n', encoding="utf-8")
    try:
        assert texts_outside_catalogue("bot/_scan_probe.py") == ["bot/_scan_probe.py:2: 'You are not in a session.'"]
    finally:
        module.unlink()


def test_every_catalogue_entry_is_translated() -> None:
    assert i18n_catalog.problems() == []


def test_french_catalogue_is_loaded() -> None:
    """Proof that the French catalogue reaches the running code: the first translated entry of
    each domain comes back in French from the translator."""
    french = translator("fr")
    for domain in i18n_catalog.DOMAINS:
        catalog = i18n_catalog.load("fr", domain)
        entry = next((m for m in catalog if m.id and isinstance(m.id, str) and m.string and not m.context), None)
        if entry is None:
            continue
        assert french.gettext(entry.id) == entry.string
