"""The one-way flow, checked on the source: the domain (`bot/`) never imports Telegram, the
Telegram edge or the handlers, so its rules can be used by the scheduler, the CLI and the web
pages alike and tested without a bot."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_DOMAIN = ("telegram", "telegram_edge", "handlers", "web", "fake_bot_api")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "bot").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_module_imports_no_telegram_edge_or_handlers(path: Path) -> None:
    bad = sorted(m for m in _imported_modules(path) if m.split(".")[0] in FORBIDDEN_IN_DOMAIN)
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_check_sees_imports() -> None:
    """The scanner itself: an edge module does import telegram, so a blind scanner would fail here."""
    assert "telegram" in {m.split(".")[0] for m in _imported_modules(ROOT / "telegram_edge" / "app.py")}
