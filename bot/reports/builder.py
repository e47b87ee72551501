"""From stored facts to a `SessionReport`: grouping, support, ranking and the rapporteur's edits.

Pure: the reporting service loads the facts, this module decides what the report says. The
same facts always give the same report (grouping is deterministic), so a regenerated draft only
changes where the input changed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.reports.model import CommunitySupport, Section, SectionKey, SessionReport, Standing, Statement, Support, Theme
from bot.reports.regroup import regroup
from bot.reports.themes import Grouper, GroupItem

SECTION_OF_KIND: dict[str, SectionKey] = {
    "challenge": "challenges",
    "takeaway": "takeaways",
    "recommendation": "recommendations",
    "question": "questions",
}
SECTION_TITLES: dict[SectionKey, str] = {
    "challenges": "Challenges",
    "takeaways": "Key takeaways",
    "recommendations": "Recommendations",
    "questions": "Open questions",
}
SECTION_ORDER: tuple[SectionKey, ...] = ("challenges", "takeaways", "recommendations", "questions")
# A community "agrees" with a point when at least this share of its votes are agree; "disagrees"
# at or below the lower bound. Consensus needs two or more communities and all of them agreeing.
AGREE_SHARE = 0.6
DISAGREE_SHARE = 0.4
MIN_VOTES_FOR_STANDING = 3

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
) -> SessionReport:
    visible = [c for c in contributions if not c.hidden]
    support = _support_by_contribution(reactions)
    sections: list[Section] = []
    for key in SECTION_ORDER:
        # Hidden contributions go to the grouper too (it leaves them out after clustering), so
        # hiding one changes only the theme that held it.
        items = [c for c in contributions if SECTION_OF_KIND.get(c.kind) == key]
        if all(c.hidden for c in items):
            continue
        themes = _themes(items, support, group, edits, facts.anonymous)
        themes.sort(key=_ranking(key))
        sections.append(Section(key, SECTION_TITLES[key], themes))
    overrides = {e.key: e.value for e in edits if e.kind == "section"}
    for section in sections:
        section.text_override = overrides.get(section.key)
    summary_override = next((e.value for e in edits if e.kind == "summary"), None)
    report = SessionReport(
        event_title=facts.event_title,
        event_dates=facts.event_dates,
        event_place=facts.event_place,
        session_title=facts.session_title,
        institutional_lead=facts.institutional_lead,
        moderator=facts.moderator,
        thematic_focus=facts.thematic_focus,
        summary="",
        participation=dict(facts.participation),
        participants=facts.participants,
        contributions=len(visible),
        sections=sections,
        people=list(facts.people),
        disclaimer=facts.disclaimer,
        anonymous=facts.anonymous,
        generated_at=generated_at,
        version=version,
        summary_override=summary_override,
    )
    report.summary = summarise(report)
    return report


def summarise(report: SessionReport) -> str:
    """A factual opening paragraph: what was raised most, and where communities converge or
    diverge. Who took part is shown by the renderers next to it, so it is not repeated here."""
    if report.is_empty:
        return "No input has been received for this session yet."
    sentences = []
    for section in report.sections:
        top = section.themes[:3]
        if not top:
            continue
        named = "; ".join(f"{t.label.lower()} ({t.count})" for t in top)
        sentences.append(f"{section.title} most often raised: {named}.")
    consensus = [t.label.lower() for s in report.sections for t in s.themes if t.support.standing == "consensus"][:3]
    divisive = [t.label.lower() for s in report.sections for t in s.themes if t.support.standing == "divisive"][:3]
    if consensus:
        sentences.append(f"Agreed across policy communities: {'; '.join(consensus)}.")
    if divisive:
        sentences.append(f"Views diverged between communities on: {'; '.join(divisive)}.")
    return " ".join(sentences)


def _support_by_contribution(reactions: Sequence[ReactionFact]) -> dict[int, Counter[tuple[str | None, str]]]:
    tallies: dict[int, Counter[tuple[str | None, str]]] = defaultdict(Counter)
    for reaction in reactions:
        tallies[reaction.contribution_id][(reaction.community, reaction.value)] += 1
    return tallies


def _support(tallies: Sequence[Counter[tuple[str | None, str]]]) -> Support:
    total: Counter[tuple[str | None, str]] = Counter()
    for tally in tallies:
        total.update(tally)
    per_community: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (community, value), count in total.items():
        slot = {"agree": 0, "disagree": 1, "pass": 2}[value]
        per_community[community or "other"][slot] += count
    by_community = tuple(
        CommunitySupport(name, agree, disagree, passed) for name, (agree, disagree, passed) in sorted(per_community.items())
    )
    agree = sum(c.agree for c in by_community)
    disagree = sum(c.disagree for c in by_community)
    passed = sum(c.passed for c in by_community)
    return Support(agree, disagree, passed, by_community, _standing(by_community))


def _standing(by_community: tuple[CommunitySupport, ...]) -> Standing:
    voted = [c for c in by_community if c.voted]
    if sum(c.voted for c in voted) < MIN_VOTES_FOR_STANDING:
        return "untested"
    shares = [c.agreement for c in voted if c.agreement is not None]
    if len(voted) >= 2 and all(s >= AGREE_SHARE for s in shares):
        return "consensus"
    if any(s >= AGREE_SHARE for s in shares) and any(s <= DISAGREE_SHARE for s in shares):
        return "divisive"
    return "mixed"


def _themes(
    items: list[ContributionFact],
    support: dict[int, Counter[tuple[str | None, str]]],
    group: Grouper,
    edits: Sequence[EditFact],
    anonymous: bool,
) -> list[Theme]:
    groups = regroup(group([GroupItem(c.id, c.text, c.hidden) for c in items]), items, edits)
    renames = {e.key: e.value for e in edits if e.kind == "rename"}
    themes = []
    for theme_group in groups:
        merged_away = {i for dups in theme_group.duplicates.values() for i in dups}
        statements = [
            _statement(items[i], support, theme_group.duplicates.get(i, []), items, anonymous)
            for i in theme_group.items
            if i not in merged_away
        ]
        representative = statements[0]
        statements.sort(key=lambda s: (s is not representative, -s.support.score, -s.duplicates))
        ids = [items[i].id for i in theme_group.items]
        label = next((renames[str(cid)] for cid in ids if str(cid) in renames), theme_group.label)
        tallies = [support[cid] for cid in ids if cid in support]
        themes.append(Theme(label, representative, statements, _support(tallies)))
    return themes


def _statement(
    item: ContributionFact,
    support: dict[int, Counter[tuple[str | None, str]]],
    merged: list[int],
    items: list[ContributionFact],
    anonymous: bool,
) -> Statement:
    tallies = [support[item.id]] + [support[items[i].id] for i in merged if items[i].id in support]
    author = None if anonymous else (f"{item.author} ({item.organisation})" if item.organisation else item.author) or None
    return Statement(item.id, item.text, author, item.community, _support(tallies), len(merged))


def _ranking(key: SectionKey) -> Callable[[Theme], tuple[int, int, int]]:
    """Challenges: most raised first; recommendations and takeaways: most supported first."""
    if key == "challenges":
        return lambda t: (-t.count, -t.support.score, t.representative.contribution_id)
    return lambda t: (-t.support.score, -t.count, t.representative.contribution_id)
