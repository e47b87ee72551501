"""From stored facts to a `SessionReport`: grouping, support, ranking and the rapporteur's edits.

Pure: the reporting service loads the facts, this module decides what the report says. The
same facts always give the same report (grouping is deterministic, ranking never depends on
arrival order), so a regenerated draft only changes where the input changed. Anonymity in
small groups (``privacy.CommunityMask``) is applied here, before any renderer sees the data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import N_, translator
from bot.reports.model import CommunitySupport, Paragraph, Section, SectionKey, Sentence, SessionReport, Standing, Statement, Support, Theme
from bot.reports.privacy import DEFAULT_MIN_GROUP, CommunityMask
from bot.reports.prose import NO_INPUT, ProseWriter, plain, proper_nouns
from bot.reports.regroup import regroup
from bot.reports.themes import Grouper, GroupItem, ThemeGroup

SECTION_OF_KIND: dict[str, SectionKey] = {
    "challenge": "challenges",
    "takeaway": "takeaways",
    "recommendation": "recommendations",
    "question": "questions",
}
SECTION_TITLES: dict[SectionKey, str] = {
    "challenges": N_("Challenges"),
    "takeaways": N_("Key takeaways"),
    "recommendations": N_("Recommendations"),
    "questions": N_("Open questions"),
}
SECTION_ORDER: tuple[SectionKey, ...] = ("challenges", "takeaways", "recommendations", "questions")
# A community "agrees" with a point when at least this share of its votes are agree; "disagrees"
# at or below the lower bound. Consensus needs two or more communities and all of them agreeing.
AGREE_SHARE = 0.6
DISAGREE_SHARE = 0.4
MIN_VOTES_FOR_STANDING = 4
MIN_COMMUNITY_VOTES = 2


@dataclass(frozen=True, slots=True)
class SessionFacts:
    event_title: str
    event_dates: str
    event_place: str
    session_title: str
    institutional_lead: str
    moderator: str
    thematic_focus: str
    disclaimer: str
    anonymous: bool
    participation: dict[str, int]
    participants: int
    people: tuple[tuple[str, str], ...] = ()  # chair, co-hosts, speakers, rapporteurs


@dataclass(frozen=True, slots=True)
class ContributionFact:
    id: int
    kind: str
    text: str
    author: str
    organisation: str
    community: str | None
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class ReactionFact:
    contribution_id: int
    value: str  # agree | disagree | pass
    community: str | None


@dataclass(frozen=True, slots=True)
class EditFact:
    kind: str  # section | summary | rename | merge | move | split (regroup.py)
    key: str
    value: str


def build_report(
    facts: SessionFacts,
    contributions: Sequence[ContributionFact],
    reactions: Sequence[ReactionFact],
    edits: Sequence[EditFact],
    *,
    group: Grouper,
    generated_at: datetime,
    version: int | None = None,
    min_group: int = DEFAULT_MIN_GROUP,
    timezone: str = "UTC",
    language: str = "en",
) -> SessionReport:
    """The report the stored facts support, written in ``language`` (the event's report
    language: section titles and prose); the same facts always give the same report.

    Each kind is grouped with ALL its contributions, hidden ones included, and hidden ones are
    dropped afterwards: hiding a point then changes only the theme that held it.
    """
    tr = translator(language)
    mask = CommunityMask.for_session(facts.participation, anonymous=facts.anonymous, min_group=min_group)
    support = _support_by_contribution(reactions, mask)
    renames = {e.key: e.value for e in edits if e.kind == "rename"}
    sections: list[Section] = []
    for key in SECTION_ORDER:
        # Hidden contributions go to the grouper too (it leaves them out after clustering), so
        # hiding one changes only the theme that held it.
        # In number order, whatever order the facts came in: the grouper breaks its ties by
        # position, so a canonical order keeps the draft independent of how rows were loaded.
        items = sorted((c for c in contributions if SECTION_OF_KIND.get(c.kind) == key), key=lambda c: c.id)
        if all(c.hidden for c in items):
            continue
        groups = regroup(group([GroupItem(c.id, c.text, c.hidden) for c in items]), items, edits)
        themes = [t for g in groups if (t := _theme(g, items, support, renames, facts.anonymous, mask)) is not None]
        themes.sort(key=theme_rank)
        sections.append(Section(key, tr.gettext(SECTION_TITLES[key]), themes))
    overrides = {e.key: e.value for e in edits if e.kind == "section"}
    writer = ProseWriter(proper_nouns(c.text for c in contributions if not c.hidden), tr)
    for section in sections:
        section.text_override = overrides.get(section.key)
        writer.section(section)
    summary_override = next((e.value for e in edits if e.kind == "summary"), None)
    summary_prose: list[Paragraph] = writer.summary(sections) if sections else [(Sentence(tr.gettext(NO_INPUT)),)]
    return SessionReport(
        event_title=facts.event_title,
        event_dates=facts.event_dates,
        event_place=facts.event_place,
        session_title=facts.session_title,
        institutional_lead=facts.institutional_lead,
        moderator=facts.moderator,
        thematic_focus=facts.thematic_focus,
        summary=plain(summary_prose),
        participation=mask.participation(),
        participants=facts.participants,
        contributions=sum(1 for c in contributions if not c.hidden),
        sections=sections,
        people=list(facts.people),
        disclaimer=facts.disclaimer,
        anonymous=facts.anonymous,
        generated_at=generated_at,
        version=version,
        summary_override=summary_override,
        summary_prose=summary_prose,
        timezone=timezone,
        language=tr.locale,
    )


def theme_rank(theme: Theme) -> tuple[int, int, str, str, int]:
    """Largest first, then best supported; ties by label and wording, never by arrival."""
    return (
        -theme.count,
        -theme.support.score,
        theme.label.casefold(),
        theme.representative.text.casefold(),
        theme.representative.contribution_id,
    )


Tally = Counter[tuple[str, str]]


def _support_by_contribution(reactions: Sequence[ReactionFact], mask: CommunityMask) -> dict[int, Tally]:
    tallies: dict[int, Tally] = defaultdict(Counter)
    for reaction in reactions:
        tallies[reaction.contribution_id][(mask.name(reaction.community), reaction.value)] += 1
    return tallies


def _support(tallies: Sequence[Tally], mask: CommunityMask) -> Support:
    """Totals, and per community only where the session's anonymity allows a breakdown."""
    total: Tally = Counter()
    for tally in tallies:
        total.update(tally)
    per_community: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (community, value), count in total.items():
        per_community[community][{"agree": 0, "disagree": 1, "pass": 2}[value]] += count
    by_community = tuple(CommunitySupport(name, a, d, p) for name, (a, d, p) in sorted(per_community.items()))
    agree = sum(c.agree for c in by_community)
    disagree = sum(c.disagree for c in by_community)
    passed = sum(c.passed for c in by_community)
    if not mask.breakdown_ok(c.agree + c.disagree + c.passed for c in by_community):
        return Support(agree, disagree, passed, (), "untested")
    return Support(agree, disagree, passed, by_community, standing_of(by_community))


def standing_of(by_community: Sequence[CommunitySupport]) -> Standing:
    """Consensus or division on ONE statement, judged only where there are enough votes:
    communities with at least MIN_COMMUNITY_VOTES votes count; consensus needs two or more of
    them all at least 60 % agree; divisive needs one at least 60 % and another at most 40 %."""
    voted = [c for c in by_community if c.voted >= MIN_COMMUNITY_VOTES]
    if sum(c.voted for c in voted) < MIN_VOTES_FOR_STANDING or len(voted) < 2:
        return "untested"
    shares = [c.agree / c.voted for c in voted]
    if all(s >= AGREE_SHARE for s in shares):
        return "consensus"
    if any(s >= AGREE_SHARE for s in shares) and any(s <= DISAGREE_SHARE for s in shares):
        return "divisive"
    return "mixed"


def _theme(
    theme_group: ThemeGroup,
    items: list[ContributionFact],
    support: dict[int, Tally],
    renames: dict[str, str],
    anonymous: bool,
    mask: CommunityMask,
) -> Theme | None:
    """One theme without its hidden contributions; None when all of them are hidden."""
    merged_away = {i for dups in theme_group.duplicates.values() for i in dups}
    statements: list[Statement] = []
    for i in theme_group.items:
        if i in merged_away:
            continue
        merged = [m for m in theme_group.duplicates.get(i, []) if not items[m].hidden]
        if items[i].hidden:
            if not merged:
                continue
            i, merged = merged[0], merged[1:]  # a visible near-duplicate speaks for it
        statements.append(_statement(items[i], [items[m] for m in merged], support, anonymous, mask))
    if not statements:
        return None
    representative = statements[0]
    ids = [items[i].id for i in theme_group.items if not items[i].hidden]
    renamed = next((renames[str(cid)] for cid in ids if str(cid) in renames), None)
    tallies = [support[cid] for cid in ids if cid in support]
    return Theme(renamed or theme_group.label, representative, statements, _support(tallies, mask), renamed=renamed is not None)


def _statement(
    item: ContributionFact,
    merged: list[ContributionFact],
    support: dict[int, Tally],
    anonymous: bool,
    mask: CommunityMask,
) -> Statement:
    tallies = [support[c.id] for c in (item, *merged) if c.id in support]
    author = None if anonymous else (f"{item.author} ({item.organisation})" if item.organisation else item.author) or None
    return Statement(
        item.id, item.text, author, mask.tag(item.community), _support(tallies, mask), len(merged), tuple(c.id for c in merged)
    )
