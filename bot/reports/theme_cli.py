"""`workshop-bot themes FILE.json`: the theme grouping on its own, for checking it on any data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.reports.domain_packs import DOMAIN_PACKS
from bot.reports.themes import group_texts

KINDS = ("challenge", "recommendation", "takeaway", "question")


def group_file(path: Path, *, domain_pack: str | None = None) -> dict[str, Any]:
    """Group each kind's contributions separately (a challenge and a recommendation are never
    one theme); indices refer to the input list, and every index appears in exactly one theme."""
    if domain_pack is not None and domain_pack not in DOMAIN_PACKS:
        raise ValueError(f"unknown domain pack {domain_pack!r}; known: {', '.join(sorted(DOMAIN_PACKS))}")
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(items, list):
        raise ValueError(f"{path} must hold a JSON list of objects with a 'text'")
    by_kind: dict[str, list[int]] = {}
    texts: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError(f"item {index} has no 'text' string")
        kind = item.get("kind")
        if kind is not None and kind not in KINDS:  # a misspelt kind must not become a kind of its own
            raise ValueError(f"item {index}: kind {str(kind)[:40]!r} is not one of {', '.join(KINDS)} (or leave it out)")
        texts.append(item["text"])
        by_kind.setdefault(str(kind or "other"), []).append(index)
    themes: list[dict[str, Any]] = []
    for kind, indices in by_kind.items():
        for group in group_texts([texts[i] for i in indices], domain_pack=domain_pack):
            themes.append({"label": group.label, "kind": kind, "items": [indices[i] for i in group.items]})
    themes.sort(key=lambda t: (-len(t["items"]), min(t["items"])))
    return {"themes": themes}
