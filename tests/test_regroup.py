"""The rapporteur's regrouping (merge, move, split) applied in the order it was made."""

from __future__ import annotations

from bot.reports.builder import ContributionFact, EditFact
from bot.reports.regroup import regroup
from bot.reports.themes import ThemeGroup

ITEMS = [ContributionFact(10 + i, "challenge", f"Statement number {i} about planning and funding", "", "", None) for i in range(6)]
GROUPS = [ThemeGroup("Planning", [0, 1, 2], {1: [2]}), ThemeGroup("Funding", [3, 4]), ThemeGroup("Trust", [5])]


def shape(edits: list[EditFact]) -> dict[str, list[int]]:
    return {g.label: sorted(ITEMS[i].id for i in g.items) for g in regroup(GROUPS, ITEMS, edits)}


def test_move_takes_near_duplicates_along_and_split_starts_a_theme() -> None:
    assert shape([]) == {"Planning": [10, 11, 12], "Funding": [13, 14], "Trust": [15]}
    assert shape([EditFact("move", "11", "15")]) == {"Planning": [10], "Funding": [13, 14], "Trust": [11, 12, 15]}
    split = regroup(GROUPS, ITEMS, [EditFact("split", "13", "New angle")])
    assert {g.label: g.items for g in split}["New angle"] == [3]
    assert shape([EditFact("split", "13", "")])["Statement number 3 about planning and funding"] == [13]


def test_order_matters_and_stale_edits_are_skipped() -> None:
    # Split #13 off, then move #14 next to it: the new theme holds both.
    assert shape([EditFact("split", "13", "New"), EditFact("move", "14", "13")]) == {
        "Planning": [10, 11, 12],
        "New": [13, 14],
        "Trust": [15],
    }
    # Merge, then split one statement back out of the merged theme.
    merged = shape([EditFact("merge", "15", "13"), EditFact("split", "15", "Trust again")])
    assert merged == {"Planning": [10, 11, 12], "Funding": [13, 14], "Trust again": [15]}
    # Unknown contributions, a move within the same theme, splitting a lone statement: no change.
    assert shape([EditFact("move", "99", "10"), EditFact("move", "10", "11"), EditFact("split", "15", "x")]) == shape([])
