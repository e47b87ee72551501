"""The rapporteur's regrouping of themes, applied to the grouper's themes in the order it was made.

Three kinds of `EditFact`, each naming statements by contribution id so they survive
regeneration: ``merge`` (the theme holding ``key`` joins the theme holding ``value``), ``move``
(statement ``key``, with its merged near-duplicates, joins the theme holding ``value``) and
``split`` (statement ``key`` leaves its theme and starts a new one, labelled ``value`` or by its
own opening words). Applying them in order makes "split #5 off, then move #7 next to it" mean
what the rapporteur saw on screen. Edits naming statements that are gone are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.reports.themes import ThemeGroup

REGROUP_KINDS = ("merge", "move", "split")
SPLIT_LABEL_WORDS = 7


class _Edit(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str: ...


class _Item(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def text(self) -> str: ...


@dataclass
class _Theme:
    label: str
    items: list[int]
    duplicates: dict[int, list[int]] = field(default_factory=dict)


def regroup(groups: list[ThemeGroup], items: Sequence[_Item], edits: Sequence[_Edit]) -> list[ThemeGroup]:
    steps = [e for e in edits if e.kind in REGROUP_KINDS]
    if not steps:
        return groups
    index_of = {str(item.id): i for i, item in enumerate(items)}
    themes = [_Theme(g.label, list(g.items), {k: list(v) for k, v in g.duplicates.items()}) for g in groups]

    def owner(index: int) -> _Theme | None:
        """The theme holding a statement; None for a hidden one (it is in no theme)."""
        return next((theme for theme in themes if index in theme.items), None)

    def take(index: int) -> tuple[list[int], list[int]]:
        """Remove a statement and its near-duplicates from its theme: (all of them, its duplicates)."""
        theme = owner(index)
        assert theme is not None
        duplicates = theme.duplicates.pop(index, [])
        for merged in theme.duplicates.values():
            if index in merged:
                merged.remove(index)
        moving = [index, *duplicates]
        theme.items = [i for i in theme.items if i not in moving]
        return moving, duplicates

    for step in steps:
        source = index_of.get(step.key)
        home = owner(source) if source is not None else None
        if source is None or home is None:
            continue
        if step.kind == "split":
            if len(home.items) == 1 + len(home.duplicates.get(source, [])):
                continue  # already on its own
            moving, duplicates = take(source)
            label = step.value.strip() or _opening_words(items[source].text)
            themes.append(_Theme(label, moving, {source: duplicates} if duplicates else {}))
            continue
        target = index_of.get(step.value)
        destination = owner(target) if target is not None else None
        if destination is None or destination is home:
            continue
        if step.kind == "merge":
            destination.items += home.items
            destination.duplicates.update(home.duplicates)
            home.items, home.duplicates = [], {}
        else:
            moving, duplicates = take(source)
            destination.items += moving
            if duplicates:
                destination.duplicates[source] = duplicates
    kept = [ThemeGroup(theme.label, theme.items, theme.duplicates) for theme in themes if theme.items]
    kept.sort(key=lambda g: (-len(g.items), min(g.items)))
    return kept


def _opening_words(text: str) -> str:
    words = text.split()
    label = " ".join(words[:SPLIT_LABEL_WORDS]).rstrip(".,;:")
    return label + ("…" if len(words) > SPLIT_LABEL_WORDS else "")
