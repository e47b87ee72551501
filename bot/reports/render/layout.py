"""The report laid out once as format-neutral blocks that every renderer walks.

Deciding *what* a report says (order of sections, ranking of themes, which statements are
shown, how counts and agreement are worded, when authors are hidden) happens here, once.
Each format module only decides *how* a block looks. That keeps the chat message, Markdown,
HTML, DOCX and PDF saying the same thing, and lets the event-level report reuse the section
blocks of the session report instead of copying them.

Every word the layout adds (headings, counts, notes, dates) is in the report's language
(``SessionReport.language``, the event's report language when it was drafted): the blocks are
built with that language's translator, so the format modules never translate anything.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import N_, Translator, translator
from bot.reports.model import (
    Citations,
    CommunitySupport,
    Paragraph,
    Section,
    SessionReport,
    Standing,
    Statement,
    Support,
    Theme,
)

MINUS = "\u2212"  # a real minus sign reads better than a hyphen in "+12/−3"
LRM = "\u200e"  # LEFT-TO-RIGHT MARK
NO_INPUT_NOTICE = N_(
    "No input yet: participants have not sent any contributions to this session, "
    "so there is nothing to summarise. This draft fills in as contributions arrive."
)
NO_THEMES_NOTE = N_("No contributions in this section yet.")
STANDING_LABELS: dict[str, str] = {
    "consensus": N_("Consensus across communities"),
    "divisive": N_("Divisive"),
}

# Sections whose themes people vote on, so agreement per community is worth showing.
VOTED_SECTIONS = frozenset({"recommendations", "takeaways"})
ANNEX_TITLE = N_("Annex: Contributions by theme")
ANNEX_NOTE = N_("The contributions behind each paragraph, grouped by theme; numbers (#12) match those cited in the text.")
NOTES_TITLE = N_("Notes")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
CITATION_CHOICES: tuple[Citations, ...] = ("footnotes", "inline", "none")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of a long report a format shows; the CSV export always carries everything."""

    statements_per_theme: int = 3
    themes_per_section: int = 12
    main_themes: int = 5
    statement_chars: int | None = None  # clip long statements (chat); None shows them whole
    citations: Citations = "footnotes"  # how each sentence shows the contributions behind it


CHAT_LIMITS = Limits(statements_per_theme=3, themes_per_section=5, main_themes=5, statement_chars=280, citations="inline")
DOCUMENT_LIMITS = Limits(statements_per_theme=5, themes_per_section=15, main_themes=5)


def with_citations(limits: Limits, citations: Citations | None) -> Limits:
    """The same limits with another citation style (the rapporteur's /export choice)."""
    return limits if citations is None else replace(limits, citations=citations)


# --- blocks -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Title:
    """The document title: the event's name."""

    text: str


@dataclass(frozen=True, slots=True)
class Meta:
    """A small line under a title: dates and place, or draft status."""

    text: str


@dataclass(frozen=True, slots=True)
class Heading:
    """Level 1: a session; level 2: a report section; level 3: a part of a section."""

    text: str
    level: int


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value such as "Moderator: ..."; the value may span several lines."""

    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Para:
    """One paragraph. ``style`` is "body", "note" (italic aside) or "small" (disclaimer)."""

    text: str
    style: str = "body"


def ltr_island(text: str, rtl_context: bool) -> str:
    """Keep a left-to-right snippet intact inside right-to-left text.

    After Arabic or Hebrew the Unicode bidi algorithm shows "(+5/−0)" as "(5/−0+)" and moves
    brackets; invisible LEFT-TO-RIGHT MARKs around the snippet pin it as one LTR run.
    """
    return f"{LRM}{text}{LRM}" if rtl_context else text


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One shown statement: its number, who said it (when allowed), its reactions, and a
    consensus/divisive mark with the per-community counts that justify it."""

    text: str
    attribution: str | None
    stats: str
    rtl: bool = False
    number: int | None = None
    standing: str | None = None  # a key of STANDING_LABELS
    agreement: str | None = None
    standing_label: str | None = None  # the standing in the report's language
    quotes: tuple[str, str] = ("“", "”")  # the report language's quotation marks (« … » in French)

    def quoted(self, text: str | None = None) -> str:
        """The statement (or ``text``, a cleaned copy of it) between the report's quotation marks."""
        return f"{self.quotes[0]}{self.text if text is None else text}{self.quotes[1]}"

    @property
    def stats_suffix(self) -> str:
        """`` (+5/−0)`` ready to append to the statement's line; empty when there is nothing to say."""
        return " " + ltr_island(f"({self.stats})", self.rtl) if self.stats else ""

    @property
    def number_prefix(self) -> str:
        """``#12 `` before the statement, the number prose cites."""
        return f"#{self.number} " if self.number is not None else ""

    @property
    def mark(self) -> str | None:
        """``Consensus across communities — Agreement by community: …`` on its own line."""
        if not self.standing_label:
            return None
        return f"{self.standing_label}. {self.agreement}" if self.agreement else self.standing_label


@dataclass(frozen=True, slots=True)
class ThemeItem:
    """A ranked theme with the numbers that let a reader trust it."""

    rank: int | None
    label: str
    stats: str
    standing: str | None  # a key of STANDING_LABELS, or None when unremarkable
    agreement: str | None
    statements: tuple[StatementLine, ...]
    more: int  # statements not shown
    section: str | None = None  # set for the summary's main themes (which omit "+N more")
    rtl: bool = False  # the label reads right to left
    standing_label: str | None = None  # the standing in the report's language
    more_text: str | None = None  # "+2 more" in the report's language, when statements are left out

    @property
    def stats_inline(self) -> str:
        """``(12 contributions, +30/−4)`` ready to follow the label on the same line."""
        return ltr_island(f"({self.stats})", self.rtl)

    @property
    def kicker(self) -> str | None:
        """``Challenges:`` before a main theme, its colon kept with the word in RTL lines."""
        return ltr_island(f"{self.section}:", self.rtl) if self.section else None


@dataclass(frozen=True, slots=True)
class ChartSlot:
    """Where formats that can show pictures put the chart."""


Block = Title | Meta | Heading | Field | Para | ThemeItem | ChartSlot


# --- wording ------------------------------------------------------------------------------


def count_text(n: int, what: str, tr: Translator) -> str:
    """``1 contribution`` / ``2 contributions`` in the report's language (``what``: one of
    "contribution", "participant")."""
    if what == "participant":
        text = tr.ngettext("{count} participant", "{count} participants", n)
    else:
        text = tr.ngettext("{count} contribution", "{count} contributions", n)
    return text.format(count=tr.number(n))


def votes_text(support: Support) -> str:
    """``+A/−D``: the compact reaction count shown next to every theme and statement."""
    return f"+{support.agree:,}/{MINUS}{support.disagree:,}"


def _has_votes(support: Support) -> bool:
    return bool(support.agree or support.disagree or support.passed)


def theme_stats(theme: Theme, tr: Translator) -> str:
    """``12 contributions, +30/−4`` so a reader sees how much backs a theme (votes once there are any)."""
    count = count_text(theme.count, "contribution", tr)
    return f"{count}, {votes_text(theme.support)}" if _has_votes(theme.support) else count


def statement_stats(statement: Statement, tr: Translator) -> str:
    """Reactions to one statement, plus how many near-duplicates were merged into it; empty
    when there is nothing to say, so an unvoted draft is not cluttered with +0/−0."""
    parts = [votes_text(statement.support)] if _has_votes(statement.support) else []
    if statement.duplicates:
        parts.append(tr.ngettext("{count} similar", "{count} similar", statement.duplicates).format(count=tr.number(statement.duplicates)))
    return ", ".join(parts)


def community_name(community: str, tr: Translator) -> str:
    """A policy community as the report's language names it (the stored values are English
    words; names we don't know are kept as given)."""
    names = {
        "diplomacy": tr.pgettext("community", "diplomacy"),
        "development": tr.pgettext("community", "development"),
        "security": tr.pgettext("community", "security"),
        "humanitarian": tr.pgettext("community", "humanitarian"),
        "other": tr.pgettext("community", "other"),
    }
    return names.get(community, community)


def community_agreement(entry: CommunitySupport, tr: Translator) -> str | None:
    """``diplomacy 80% (8/10)``; ``None`` when the community did not vote."""
    share = entry.agreement
    if share is None:
        return None
    percent = tr.gettext("{percent}%").format(percent=round(share * 100))
    return f"{community_name(entry.community, tr)} {percent} ({entry.agree}/{entry.voted})"


def agreement_text(support: Support, tr: Translator) -> str | None:
    """Agreement per policy community, the basis of the consensus/divisive marker."""
    parts = [p for p in (community_agreement(c, tr) for c in support.by_community) if p]
    return tr.gettext("Agreement by community: {shares}").format(shares=" · ".join(parts)) if parts else None


def marked_standing(standing: Standing) -> str | None:
    """Only consensus and division are worth a marker; "mixed" and "untested" are not."""
    return standing if standing in STANDING_LABELS else None


def standing_label(standing: str | None, tr: Translator) -> str | None:
    return tr.gettext(STANDING_LABELS[standing]) if standing in STANDING_LABELS else None


def attribution(statement: Statement, anonymous: bool, tr: Translator) -> str | None:
    """Who said it. Anonymous reports never name anyone, even if a builder slipped."""
    author = None if anonymous else (statement.author or "").strip() or None
    community = (statement.community or "").strip() or None
    community = community_name(community, tr) if community else None
    if author and community:
        return f"{author} ({community})"
    return author or community


def participation_text(report: SessionReport, tr: Translator) -> str:
    """``20 participants made 64 contributions. By policy community: a 8 · b 7.``"""
    people = count_text(report.participants, "participant", tr)
    made = count_text(report.contributions, "contribution", tr)
    text = tr.ngettext("{participants} made {contributions}.", "{participants} made {contributions}.", report.participants).format(
        participants=people, contributions=made
    )
    ranked = sorted(report.participation.items(), key=lambda kv: (-kv[1], kv[0]))
    if ranked:
        shares = " · ".join(f"{community_name(c, tr)} {tr.number(n)}" for c, n in ranked)
        text += " " + tr.gettext("By policy community: {shares}.").format(shares=shares)
    return text


def local_time(moment: datetime, timezone: str) -> datetime:
    """A stored time in the event's time zone (unknown zones fall back to the stored offset)."""
    try:
        return moment.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return moment


# The labels of the session's people (bot.services.catalog.session_people stores them in English).
PEOPLE_LABELS: dict[str, str] = {
    "Chair": N_("Chair"),
    "Co-hosts": N_("Co-hosts"),
    "Speakers": N_("Speakers"),
    "Rapporteurs": N_("Rapporteurs"),
}


def people_label(label: str, tr: Translator) -> str:
    known = PEOPLE_LABELS.get(label)
    return tr.gettext(known) if known else label


def zone_or_utc(timezone: str) -> str:
    """The zone if we know it, else UTC (a report never fails on an odd stored zone)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return timezone


def status_text(report: SessionReport, tr: Translator) -> str:
    """Draft or approved, which version, and when (event's time zone), so nobody circulates a
    stale draft."""
    moment = local_time(report.generated_at, report.timezone)
    when = tr.datetime(report.generated_at, zone_or_utc(report.timezone), "yMMMd")
    zone = moment.strftime("%Z")
    when = f"{when} {zone}" if zone else when
    if report.version is None:
        text = tr.gettext("Approved report · generated {when}") if report.approved else tr.gettext("Draft report · generated {when}")
        return text.format(when=when)
    text = (
        tr.gettext("Approved report v{version} · generated {when}")
        if report.approved
        else tr.gettext("Draft report v{version} · generated {when}")
    )
    return text.format(version=report.version, when=when)


@dataclass(slots=True)
class Citer:
    """Turns prose into paragraphs with the contribution numbers in the chosen style, and
    collects the footnotes that a document prints at its end."""

    style: Citations
    notes: list[str] = field(default_factory=list)
    tr: Translator = field(default_factory=lambda: translator("en"))

    def paragraph(self, paragraph: Paragraph) -> Para:
        parts = []
        for sentence in paragraph:
            numbers = ", ".join(f"#{n}" for n in sentence.cites)
            if not numbers or self.style == "none":
                parts.append(sentence.text)
            elif self.style == "inline":
                text = sentence.text
                cut = len(text) - 1 if text.endswith(".") else len(text)
                parts.append(f"{text[:cut]} [{numbers}]{text[cut:]}")
            else:
                self.notes.append(numbers)
                parts.append(f"{sentence.text}{str(len(self.notes)).translate(SUPERSCRIPT)}")
        return Para(" ".join(parts))

    def paragraphs(self, paragraphs: Iterable[Paragraph]) -> list[Block]:
        return [self.paragraph(p) for p in paragraphs if p]

    def text(self, paragraphs: Iterable[Paragraph]) -> str:
        """Prose as plain text, paragraphs separated by blank lines (the /edit view)."""
        return "\n\n".join(self.paragraph(p).text for p in paragraphs if p)

    def footnotes(self) -> list[Block]:
        """``Notes`` with one line per footnote: ``³ Contributions #12, #15``."""
        if not self.notes:
            return []
        lines = [
            f"{str(i).translate(SUPERSCRIPT)} " + self.tr.gettext("Contributions {numbers}").format(numbers=numbers)
            for i, numbers in enumerate(self.notes, start=1)
        ]
        return [Heading(self.tr.gettext(NOTES_TITLE), 2), Para("\n".join(lines), "small")]


def paragraphs(text: str, style: str = "body") -> list[Para]:
    """Free text (overrides, focus, summary) as paragraphs split at blank lines."""
    chunks = [c.strip() for c in text.replace("\r\n", "\n").split("\n\n")]
    return [Para(c, style) for c in chunks if c]


# --- ranking and selection ----------------------------------------------------------------


def rank_themes(section: Section) -> list[Theme]:
    """Themes in the builder's order (largest, then best supported, then by label), which is
    also the order of the prose and the summary."""
    return list(section.themes)


def pick_statements(theme: Theme, limit: int) -> list[Statement]:
    """The representative first, then the best supported others, at most ``limit``."""
    others = [s for s in theme.statements if s.contribution_id != theme.representative.contribution_id]
    others.sort(key=lambda s: (-s.support.score, -s.duplicates, s.contribution_id))
    return [theme.representative, *others][: max(limit, 1)]


def hidden_count(theme: Theme, shown: int) -> int:
    """Statements left out; the representative may be missing from ``statements``."""
    ids = {s.contribution_id for s in theme.statements}
    ids.add(theme.representative.contribution_id)
    return max(len(ids) - shown, 0)


def clip(text: str, limit: int | None) -> str:
    """Shorten at a word boundary with an ellipsis; the full text stays in documents and CSV."""
    text = " ".join(text.split()) if limit else text
    if limit is None or len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = head.rfind(" ")
    return (head[:cut] if cut > limit // 2 else head).rstrip(" ,;:.") + "…"


def theme_item(
    theme: Theme,
    rank: int | None,
    *,
    limits: Limits,
    anonymous: bool,
    voted: bool,
    section: str | None = None,
    tr: Translator | None = None,
) -> ThemeItem:
    """One theme as a block: numbers, marker, agreement and the top statements."""
    tr = tr or translator("en")
    quotes = (tr.pgettext("opening quotation mark", "“"), tr.pgettext("closing quotation mark", "”"))
    picked = pick_statements(theme, 1 if section else limits.statements_per_theme)
    lines = tuple(
        StatementLine(
            clip(s.text, limits.statement_chars),
            attribution(s, anonymous, tr),
            statement_stats(s, tr),
            is_rtl(s.text),
            s.contribution_id,
            marked_standing(s.support.standing),
            agreement_text(s.support, tr) if marked_standing(s.support.standing) else None,
            standing_label(marked_standing(s.support.standing), tr),
            quotes,
        )
        for s in picked
    )
    more = hidden_count(theme, len(picked)) if section is None else 0
    return ThemeItem(
        rank=rank,
        label=theme.label,
        stats=theme_stats(theme, tr),
        standing=None,
        agreement=None,
        statements=lines,
        more=more,
        section=section,
        rtl=is_rtl(theme.label),
        more_text=tr.ngettext("+{count} more", "+{count} more", more).format(count=tr.number(more)) if more else None,
    )


# --- block builders -----------------------------------------------------------------------


def event_header(title: str, dates: str, place: str) -> list[Block]:
    """Event title with its dates and place, as at the top of every forum report."""
    where = " · ".join(p.strip() for p in (dates, place) if p and p.strip())
    return [Title(title), *([Meta(where)] if where else [])]


def fields(pairs: Iterable[tuple[str, str]]) -> list[Block]:
    """Labelled values, skipping the ones the organisers left blank."""
    return [Field(label, value.strip()) for label, value in pairs if value and value.strip()]


def section_blocks(
    section: Section, limits: Limits, *, anonymous: bool, level: int = 2, citer: Citer | None = None, tr: Translator | None = None
) -> list[Block]:
    """A section as prose: the rapporteur's text if given, else the generated paragraphs."""
    tr = tr or (citer.tr if citer else translator("en"))
    citer = citer or Citer(limits.citations, tr=tr)
    blocks: list[Block] = [Heading(section.title, level)]
    if section.text_override is not None:
        return blocks + paragraphs(section.text_override)
    if not section.themes:
        return blocks + [Para(tr.gettext(NO_THEMES_NOTE), "note")]
    return blocks + citer.paragraphs(section.paragraphs)


def annex_section_blocks(section: Section, limits: Limits, *, anonymous: bool, level: int = 3, tr: Translator | None = None) -> list[Block]:
    """A section's ranked themes with their numbered statements and "+N more"."""
    tr = tr or translator("en")
    blocks: list[Block] = [Heading(section.title, level)]
    if not section.themes:
        return blocks + [Para(tr.gettext(NO_THEMES_NOTE), "note")]
    ranked = rank_themes(section)
    voted = section.key in VOTED_SECTIONS
    shown = ranked[: limits.themes_per_section]
    blocks += [theme_item(t, i, limits=limits, anonymous=anonymous, voted=voted, tr=tr) for i, t in enumerate(shown, start=1)]
    rest = ranked[len(shown) :]
    if rest:
        total = count_text(sum(t.count for t in rest), "contribution", tr)
        more = tr.ngettext(
            "+{count} more theme ({total}); the CSV export lists every contribution.",
            "+{count} more themes ({total}); the CSV export lists every contribution.",
            len(rest),
        )
        blocks.append(Para(more.format(count=tr.number(len(rest)), total=total), "note"))
    return blocks


def annex_blocks(report: SessionReport, limits: Limits, tr: Translator | None = None) -> list[Block]:
    """ "Contributions by theme": what the prose rests on, names only in named sessions."""
    tr = tr or translator(report.language)
    sections = [s for s in report.sections if s.themes]
    if not sections:
        return []
    blocks: list[Block] = [Heading(tr.gettext(ANNEX_TITLE), 2), Para(tr.gettext(ANNEX_NOTE), "note")]
    for section in sections:
        blocks += annex_section_blocks(section, limits, anonymous=report.anonymous, tr=tr)
    return blocks


def summary_blocks(report: SessionReport, limits: Limits, citer: Citer | None = None) -> list[Block]:
    """Participation, then the rapporteur's summary or the generated one."""
    tr = translator(report.language)
    citer = citer or Citer(limits.citations, tr=tr)
    blocks: list[Block] = [Heading(tr.gettext("Summary"), 2), Para(participation_text(report, tr))]
    if report.summary_override is not None:
        return blocks + paragraphs(report.summary_override)
    if report.summary_prose:
        return blocks + citer.paragraphs(report.summary_prose)
    return blocks + paragraphs(report.summary)


def session_blocks(report: SessionReport, limits: Limits = DOCUMENT_LIMITS) -> list[Block]:
    """The whole session report in reading order, mirroring the forum's printed reports:
    header, focus, summary, chart, each section as prose, the annex, notes, disclaimer."""
    tr = translator(report.language)
    blocks = event_header(report.event_title, report.event_dates, report.event_place)
    blocks += [Heading(report.session_title, 1), Meta(status_text(report, tr))]
    blocks += fields(
        [
            (tr.gettext("Institutional lead"), report.institutional_lead),
            (tr.gettext("Moderator"), report.moderator),
            *((people_label(label, tr), value) for label, value in report.people),
        ]
    )
    if report.is_empty:
        return blocks + [Para(tr.gettext(NO_INPUT_NOTICE), "note")]
    if report.thematic_focus.strip():
        blocks += [Heading(tr.gettext("Thematic focus"), 2), *paragraphs(report.thematic_focus)]
    citer = Citer(limits.citations, tr=tr)
    blocks += summary_blocks(report, limits, citer)
    blocks.append(ChartSlot())
    for section in report.sections:
        if section.key == "questions" and not section.themes and section.text_override is None:
            continue  # "questions if any"
        blocks += section_blocks(section, limits, anonymous=report.anonymous, citer=citer, tr=tr)
    blocks += annex_blocks(report, limits, tr)
    blocks += citer.footnotes()
    return blocks + paragraphs(report.disclaimer, "small")


# --- text direction -----------------------------------------------------------------------


def first_strong_direction(text: str) -> str | None:
    """``"rtl"``/``"ltr"`` from the first strong character (Unicode bidi rule P2), else None."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return None


def is_rtl(text: str) -> bool:
    """True for Arabic, Hebrew, Persian ... text: DOCX and PDF must set direction themselves."""
    return first_strong_direction(text) == "rtl"
