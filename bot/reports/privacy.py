"""Anonymity that holds in small groups: which policy communities a report may name.

In an anonymous session, "— security" under a statement names the author when the session has
one security participant, and "security 100 % (1/1)" shows how that person voted. So, before
anything is laid out, every community with fewer than ``k`` members in the session is reported
as "other", and a breakdown by community (participation, agreement, statement tags) is shown
only when every group in it has at least ``k`` people. Named sessions show names anyway, so
they are left as they are. One object decides this for every artifact (chat, documents, chart,
CSV, event report, delivered report), so no format can forget it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

OTHER = "other"
DEFAULT_MIN_GROUP = 3


@dataclass(frozen=True, slots=True)
class CommunityMask:
    """How communities of one session may be shown."""

    anonymous: bool = False
    min_group: int = DEFAULT_MIN_GROUP
    small: frozenset[str] = frozenset()  # communities folded into "other"
    groups_shown: bool = True  # False: no breakdown by community anywhere in this session
    sizes: Mapping[str, int] = field(default_factory=dict)  # members per shown group

    @classmethod
    def for_session(cls, participation: Mapping[str, int], *, anonymous: bool, min_group: int = DEFAULT_MIN_GROUP) -> CommunityMask:
        """``participation``: members of the session per community (None/"" counted as other)."""
        k = max(int(min_group), 1)
        if not anonymous:
            return cls(False, k, frozenset(), True, _merged(participation, frozenset()))
        small = frozenset(c for c, n in participation.items() if (c or OTHER) != OTHER and n < k)
        sizes = _merged(participation, small)
        return cls(True, k, small, all(n >= k for n in sizes.values()), sizes)

    def name(self, community: str | None) -> str:
        """The community as reports may call it: small ones (and none) become "other"."""
        if not community or community in self.small:
            return OTHER
        return community

    def tag(self, community: str | None) -> str | None:
        """The community shown next to a statement, or None when tags would single people out."""
        if not self.groups_shown:
            return None
        return self.name(community) if community or self.anonymous else None

    def participation(self) -> dict[str, int]:
        """Participants per shown community, sorted; empty when the breakdown may not be shown."""
        if not self.groups_shown:
            return {}
        return dict(sorted(self.sizes.items(), key=lambda kv: (-kv[1], kv[0])))

    def breakdown_ok(self, counts: Iterable[int]) -> bool:
        """A breakdown (e.g. agreement per community on one statement) in an anonymous session
        needs every group in it to hold at least ``k`` people; named sessions always may."""
        if not self.anonymous:
            return True
        return self.groups_shown and all(n >= self.min_group for n in counts)


def _merged(participation: Mapping[str, int], small: frozenset[str]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for community, n in sorted(participation.items(), key=lambda kv: str(kv[0])):
        if n <= 0:
            continue
        name = OTHER if not community or community in small else community
        sizes[name] = sizes.get(name, 0) + n
    return sizes
