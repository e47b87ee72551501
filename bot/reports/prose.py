"""Report prose from grouped contributions, offline and deterministically.

The example session report (``../shared/examples/session-report.txt``) is written in reported
speech and names nobody: "It was raised that…", "Another challenge presented was…",
"Participants from the development and security communities agreed that…". This module
writes the Summary and each section in that register from each theme's representative
statement, closely paraphrased: the participant's own words, cleaned (capitalisation, trailing
punctuation, "I think" and "we" turned into reported speech) and set in a connecting phrase.

Every sentence carries the numbers of the contributions it reports (``Sentence.cites``).
Connecting phrases vary with the theme's position and a checksum of the section's first
statement (``zlib.crc32``, never Python's salted ``hash``), so the text does not read as a
template and the same input always gives the same words.

How a statement is framed depends on its form, judged by small word lists (no tagger):
a clause ("Donors work in silos") follows "that", an imperative ("Pool the funds") follows
"to", a noun phrase ("Lack of joint analysis") stands as the subject or object, and a question
or a statement in another language is quoted as it was sent.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.reports.model import Paragraph, Section, Sentence, Statement, Theme
from bot.reports.privacy import OTHER

Form = Literal["clause", "imperative", "phrase", "quote"]
FORMS: tuple[Form, ...] = ("clause", "phrase", "imperative", "quote")

PROSE_THEMES = 6  # themes per section written as a paragraph; smaller ones are named at the end
CLOSING_THEMES = 5  # smaller themes named in the closing sentence
MAX_CITES = 8  # numbers behind one sentence; the annex lists the rest of the theme
SUPPORTING_MIN = 2  # distinct statements a theme needs before a second one is reported
AGREE_SHARE = 0.6

_SPACES = re.compile(r"\s+")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"“«(]?[A-ZÀ-ÖØ-Þ0-9])")
_TRAILING = re.compile(r"[\s.,;:!…·\-–—]+$")
_QUOTES = "\"'“”‘’«»"
_FILLERS = re.compile(
    r"^(?:i|we)\s+(?:really\s+)?(?:think|believe|feel|guess|would\s+say|suggest)(?:\s+that)?\s+"
    r"|^in\s+my\s+(?:view|opinion|experience),?\s+|^imo,?\s+|^personally,?\s+|^honestly,?\s+",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ'’-]+")

AUXILIARIES = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "should",
        "shouldn't",
        "must",
        "mustn't",
        "need",
        "needs",
        "needed",
        "can",
        "cannot",
        "can't",
        "could",
        "couldn't",
        "will",
        "won't",
        "would",
        "wouldn't",
        "may",
        "might",
        "shall",
        "has",
        "have",
        "had",
        "hasn't",
        "haven't",
        "hadn't",
        "do",
        "does",
        "did",
        "don't",
        "doesn't",
        "didn't",
        "lacks",
        "lack",
        "lacked",
        "remain",
        "remains",
        "remained",
        "seem",
        "seems",
        "seemed",
        "tend",
        "tends",
        "get",
        "gets",
        "got",
        "keep",
        "keeps",
        "kept",
        "take",
        "takes",
        "took",
        "make",
        "makes",
        "made",
        "work",
        "works",
        "worked",
        "go",
        "goes",
        "went",
        "come",
        "comes",
        "came",
        "undermine",
        "undermines",
        "compete",
        "competes",
        "prevent",
        "prevents",
        "depend",
        "depends",
        "arrive",
        "arrives",
        "fail",
        "fails",
        "exist",
        "exists",
        "happen",
        "happens",
        "matter",
        "matters",
        "duplicate",
        "duplicates",
        "overlap",
        "overlaps",
        "report",
        "reports",
        "know",
        "knows",
        "want",
        "wants",
        "see",
        "sees",
        "feel",
        "feels",
        "hold",
        "holds",
        "slow",
        "slows",
        "block",
        "blocks",
        "lead",
        "leads",
        "cause",
        "causes",
        "create",
        "creates",
        "reduce",
        "reduces",
        "increase",
        "increases",
        "means",
    ]
)
SUBJECT_STARTS = frozenset(
    ["we", "they", "it", "there", "this", "that", "these", "those", "you", "he", "she", "everyone", "everybody", "nobody", "people", "i"]
)
IMPERATIVES = frozenset(
    [
        "create",
        "establish",
        "set",
        "pool",
        "fund",
        "invest",
        "build",
        "ensure",
        "involve",
        "train",
        "hire",
        "share",
        "use",
        "make",
        "give",
        "provide",
        "develop",
        "strengthen",
        "improve",
        "reduce",
        "increase",
        "align",
        "coordinate",
        "support",
        "include",
        "engage",
        "focus",
        "prioritise",
        "prioritize",
        "adopt",
        "introduce",
        "expand",
        "simplify",
        "publish",
        "hold",
        "agree",
        "bring",
        "start",
        "stop",
        "keep",
        "allow",
        "avoid",
        "let",
        "put",
        "review",
        "reform",
        "consult",
        "listen",
        "plan",
        "map",
        "monitor",
        "measure",
        "track",
        "define",
        "clarify",
        "assign",
        "appoint",
        "designate",
        "require",
        "mandate",
        "harmonise",
        "harmonize",
        "integrate",
        "link",
        "connect",
        "open",
        "limit",
        "protect",
        "empower",
        "enable",
        "encourage",
        "promote",
        "recognise",
        "recognize",
        "reward",
        "pay",
        "finance",
        "allocate",
        "channel",
        "shift",
        "replace",
        "remove",
        "cut",
        "streamline",
        "standardise",
        "standardize",
        "check",
        "test",
        "pilot",
        "scale",
        "communicate",
        "inform",
        "explain",
        "translate",
        "document",
        "record",
        "collect",
        "analyse",
        "analyze",
        "learn",
        "evaluate",
        "assess",
        "adapt",
        "tailor",
        "respect",
        "trust",
        "offer",
        "treat",
        "meet",
        "talk",
        "ask",
        "visit",
        "study",
        "teach",
        "mentor",
        "recruit",
        "retain",
        "invite",
        "rotate",
        "reward",
        "merge",
        "join",
        "run",
        "organise",
        "organize",
        "design",
        "draft",
        "write",
        "rethink",
        "revise",
        "update",
        "extend",
        "shorten",
        "lengthen",
        "schedule",
        "fix",
        "address",
        "tackle",
        "combine",
        "localise",
        "localize",
        "decentralise",
        "decentralize",
        "centralise",
        "centralize",
        "label",
        "lower",
        "raise",
        "add",
        "apply",
        "bridge",
        "co-locate",
        "co-design",
        "deploy",
        "embed",
        "fast-track",
        "inspect",
        "institutionalise",
        "institutionalize",
        "launch",
        "negotiate",
        "work",
        "talk",
        "think",
        "go",
        "get",
        "take",
        "look",
        "move",
        "act",
        "reach",
        "find",
        "lose",
        "end",
        "begin",
        "stay",
        "fall",
        "rise",
        "accept",
        "consider",
        "prepare",
        "reinforce",
        "rebuild",
        "restore",
        "speak",
        "sequence",
        "resource",
        "hear",
        "value",
        "see",
    ]
)
NOT_AFTER_IMPERATIVE = frozenset(["of", "is", "are", "was", "were", "'s"])
DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "for",
        "in",
        "on",
        "with",
        "and",
        "or",
        "by",
        "from",
        "at",
        "each",
        "every",
        "this",
        "that",
        "their",
        "its",
        "our",
        "joint",
        "shared",
        "more",
        "less",
        "better",
        "greater",
        "clear",
        "common",
        "local",
        "long",
        "short",
        "new",
        "own",
        "early",
        "no",
        "any",
        "some",
    ]
)
FINITE_VERBS = frozenset(
    [
        "force",
        "rotate",
        "undermine",
        "mean",
        "ignore",
        "fragment",
        "compete",
        "fail",
        "rely",
        "depend",
        "exist",
        "matter",
        "hinder",
        "arrive",
        "remain",
        "follow",
        "differ",
        "affect",
        "cause",
        "feel",
        "see",
        "know",
        "want",
        "happen",
        "overlap",
        "duplicate",
        "prevent",
        "seem",
        "tend",
        "owe",
        "stall",
        "collapse",
        "suffer",
    ]
)
ADVERBS = frozenset(["still", "often", "never", "always", "rarely", "seldom", "sometimes", "usually", "also", "already", "just", "only"])
NOT_GERUNDS = frozenset(
    [
        "nothing",
        "something",
        "anything",
        "everything",
        "thing",
        "bring",
        "during",
        "morning",
        "evening",
        "string",
        "king",
        "sibling",
        "ceiling",
    ]
)
FOREIGN_MARKERS = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "une",
        "est",
        "sont",
        "pour",
        "avec",
        "dans",
        "pas",
        "que",
        "qui",
        "nous",
        "vous",
        "sur",
        "plus",
        "très",
        "mais",
        "el",
        "los",
        "las",
        "del",
        "una",
        "es",
        "son",
        "para",
        "con",
        "en",
        "por",
        "que",
        "y",
        "muy",
        "pero",
        "como",
        "más",
        "hay",
    ]
)
ENGLISH_MARKERS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "and",
        "in",
        "for",
        "is",
        "are",
        "be",
        "on",
        "with",
        "that",
        "not",
        "more",
        "should",
        "must",
        "need",
        "we",
        "they",
    ]
)
PRONOUN_SWAPS = {
    "we": "they",
    "our": "their",
    "ours": "theirs",
    "us": "them",
    "ourselves": "themselves",
    "we're": "they're",
    "we've": "they've",
}


# --- cleaning and judging one statement ---------------------------------------------------


def tidy(text: str) -> str:
    """One line, no surrounding quotes, no trailing punctuation (a question keeps its mark)."""
    text = _SPACES.sub(" ", text).strip().strip(_QUOTES).strip()
    question = text.endswith("?")
    text = _TRAILING.sub("", text.rstrip("?")).strip()
    return text + "?" if question and text else text


def sentences_of(text: str, limit: int = 2) -> list[str]:
    """The first ``limit`` sentences of a contribution, tidied."""
    parts = [tidy(p) for p in _SENTENCE_SPLIT.split(_SPACES.sub(" ", text).strip())]
    return [p for p in parts if p][:limit]


def proper_nouns(texts: Iterable[str]) -> frozenset[str]:
    """Words written with a capital inside a sentence somewhere in the session: names of
    places, organisations and people, which keep their capital when a sentence is reframed."""
    found: set[str] = set()
    for text in texts:
        for sentence in _SENTENCE_SPLIT.split(text):
            words = _WORD.findall(sentence)
            found.update(w for w in words[1:] if w[:1].isupper() and w.lower() != "i")
    return frozenset(found)


def _tokens(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def form_of(text: str) -> Form:
    """How a cleaned sentence can be reported: clause, imperative, noun phrase or quote."""
    tokens = _tokens(text)
    if not tokens or text.endswith("?"):
        return "quote"
    if len(tokens) >= 3 and not set(tokens) & ENGLISH_MARKERS and set(tokens) & FOREIGN_MARKERS:
        return "quote"
    first = tokens[0]
    if first in ("i", "i'm", "i've", "my", "me"):
        return "quote"
    if first in IMPERATIVES and (len(tokens) == 1 or (tokens[1] not in AUXILIARIES and tokens[1] not in NOT_AFTER_IMPERATIVE)):
        return "imperative"
    if first in SUBJECT_STARTS or any(t in AUXILIARIES for t in tokens[1:]):
        return "clause"
    if first.endswith("ing") and first not in NOT_GERUNDS:
        return "phrase"
    for before, word in zip(tokens, tokens[1:], strict=False):
        verbs = IMPERATIVES | FINITE_VERBS
        if before in ADVERBS or (
            word.endswith("s") and not word.endswith("ss") and (word[:-1] in verbs or word[:-2] in verbs) and before not in DETERMINERS
        ):
            return "clause"
        if (
            word in FINITE_VERBS or (word in IMPERATIVES and before.endswith("s") and not before.endswith("ss"))
        ) and before not in DETERMINERS:
            return "clause"  # "incidents start", "staff rotate": a subject and its verb
    return "phrase"


def lower_first(text: str, proper: frozenset[str]) -> str:
    """Lower-case the first letter unless the first word is a name or an acronym."""
    match = _WORD.match(text)
    if not match:
        return text
    word = match.group(0)
    if word in proper or (len(word) > 1 and (word[1:2].isupper() or any(c.isupper() for c in word[1:]))):
        return text
    return text[:1].lower() + text[1:]


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def reported(text: str) -> str:
    """First person plural as reported speech: "we need our own funds" -> "participants need
    their own funds"; opening hedges ("I think that") dropped."""
    text = _FILLERS.sub("", text).strip()
    words = text.split(" ")
    if words and words[0].lower() == "we":
        words[0] = "participants"
    elif words and words[0].lower() == "our":
        words[0] = "participants'"
    else:
        return text
    for i in range(1, len(words)):
        bare = words[i].lower().rstrip(",;:")
        if bare in PRONOUN_SWAPS:
            words[i] = PRONOUN_SWAPS[bare] + words[i][len(bare) :]
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class Point:
    """A statement ready to be set in a sentence: its form and its cleaned wordings."""

    form: Form
    body: str  # for "that …", "to …" or as a phrase inside a sentence
    rest: tuple[str, ...]  # further sentences of the same contribution, as sentences

    @classmethod
    def of(cls, text: str, proper: frozenset[str]) -> Point:
        parts = sentences_of(text) or [tidy(text) or text.strip()]
        head = reported(parts[0])
        form = form_of(head)
        if form == "quote":
            return cls(form, upper_first(tidy(text)), ())
        rest = tuple(upper_first(reported(p)) for p in parts[1:])
        return cls(form, lower_first(head, proper), rest)


# --- connecting phrases -------------------------------------------------------------------

# {c}: a clause, {v}: an imperative, {p}: a noun phrase, {q}: a quotation. Keyed by section and
# role; each list is cycled from an offset so neighbouring sentences use different phrases.
FRAMES: dict[str, dict[str, dict[Form, tuple[str, ...]]]] = {
    "challenges": {
        "first": {
            "clause": ("The challenge raised most often was that {c}", "Foremost among the challenges, it was raised that {c}"),
            "phrase": ("The challenge raised most often was {p}", "{P} was presented as the main challenge"),
            "imperative": ("The challenge raised most often was the need to {v}",),
            "quote": ("The challenge raised most often was put as follows: “{q}”",),
        },
        "next": {
            "clause": (
                "Another challenge presented was that {c}",
                "It was raised that {c}",
                "It was highlighted that {c}",
                "Participants also pointed out that {c}",
            ),
            "phrase": (
                "Another challenge presented was {p}",
                "{P} was also presented as a challenge",
                "{P} was underlined as a challenge",
                "It was also raised that {p} is a challenge",
            ),
            "imperative": ("It was raised that there is a need to {v}", "Another challenge presented was how to {v}"),
            "quote": ("Another challenge was put as follows: “{q}”", "It was also said: “{q}”"),
        },
        "last": {
            "clause": ("Lastly, it was raised that {c}",),
            "phrase": ("Lastly, {p} was underlined as a challenge",),
            "imperative": ("Lastly, the need to {v} was underlined as a challenge",),
            "quote": ("Lastly, it was said: “{q}”",),
        },
    },
    "takeaways": {
        "first": {
            "clause": ("The key takeaway shared most often was that {c}", "Above all, it was highlighted that {c}"),
            "phrase": ("The key takeaway shared most often was {p}", "{P} stood out as the main takeaway"),
            "imperative": ("The key takeaway shared most often was the need to {v}",),
            "quote": ("The key takeaway shared most often was put as follows: “{q}”",),
        },
        "next": {
            "clause": (
                "It was highlighted that {c}",
                "Another key takeaway was that {c}",
                "It was emphasized that {c}",
                "It was mentioned that {c}",
            ),
            "phrase": (
                "Another key takeaway was {p}",
                "{P} was emphasized as key",
                "It was highlighted that {p} matters",
                "{P} was also mentioned",
            ),
            "imperative": ("It was emphasized that there is a need to {v}", "Another takeaway was the need to {v}"),
            "quote": ("It was also said: “{q}”", "Another takeaway was put as follows: “{q}”"),
        },
        "last": {
            "clause": ("Lastly, it was emphasized that {c}",),
            "phrase": ("Lastly, {p} was emphasized as key",),
            "imperative": ("Lastly, it was emphasized that there is a need to {v}",),
            "quote": ("Lastly, it was said: “{q}”",),
        },
    },
    "recommendations": {
        "first": {
            "clause": ("The recommendation made most often was that {c}", "Foremost, it was recommended that {c}"),
            "phrase": ("The recommendation made most often was {p}", "{P} was the recommendation made most often"),
            "imperative": ("The recommendation made most often was to {v}", "Foremost, it was recommended to {v}"),
            "quote": ("The recommendation made most often was put as follows: “{q}”",),
        },
        "next": {
            "clause": (
                "Another recommendation mentioned was that {c}",
                "It was suggested that {c}",
                "It was recommended that {c}",
                "Participants also proposed that {c}",
            ),
            "phrase": (
                "Another recommendation mentioned was {p}",
                "Several contributions called for {p}",
                "{P} was also recommended",
                "A further recommendation concerned {p}",
            ),
            "imperative": (
                "Another recommendation was to {v}",
                "It was recommended to {v}",
                "A further suggestion was to {v}",
                "Participants also proposed to {v}",
            ),
            "quote": ("Another recommendation was put as follows: “{q}”", "It was also suggested: “{q}”"),
        },
        "last": {
            "clause": ("Lastly, it was recommended that {c}",),
            "phrase": ("Lastly, {p} was recommended",),
            "imperative": ("Lastly, it was recommended to {v}",),
            "quote": ("Lastly, it was suggested: “{q}”",),
        },
    },
    "questions": {
        "first": {form: ("The question asked most often was: “{q}”",) for form in FORMS},
        "next": {
            form: ("It was also asked: “{q}”", "A further open question was: “{q}”", "Participants also asked: “{q}”") for form in FORMS
        },
        "last": {form: ("Lastly, it was asked: “{q}”",) for form in FORMS},
    },
}
SUPPORTING: dict[Form, tuple[str, ...]] = {
    "clause": (
        "Along the same lines, it was noted that {c}",
        "In a similar vein, it was added that {c}",
        "Relatedly, it was mentioned that {c}",
    ),
    "phrase": ("{P} was mentioned in the same vein", "Related contributions pointed to {p}", "In the same vein, {p} was mentioned"),
    "imperative": (
        "Along the same lines, it was suggested to {v}",
        "Relatedly, it was proposed to {v}",
        "In a similar vein, the need to {v} was mentioned",
    ),
    "quote": ("In the same vein, it was said: “{q}”", "A related contribution read: “{q}”"),
}
AGREED: dict[Form, str] = {
    "clause": "{who} agreed that {c}",
    "phrase": "{who} agreed on {p}",
    "imperative": "{who} agreed on the need to {v}",
    "quote": "{who} agreed with the point “{q}”",
}
DIFFERED: dict[Form, str] = {
    "clause": "Views differed on whether {c}: {yes} largely agreed, while {no} did not",
    "phrase": "Views differed on {p}: {yes} largely agreed, while {no} did not",
    "imperative": "Views differed on whether to {v}: {yes} largely agreed, while {no} did not",
    "quote": "Views differed on the point “{q}”: {yes} largely agreed, while {no} did not",
}
SECTION_INTROS: dict[str, str] = {
    "challenges": "Several challenges were presented in a variety of areas",
    "takeaways": "Several key takeaways emerged from the discussion",
    "recommendations": "Several recommendations were made",
    "questions": "Several questions remained open",
}
CLOSING: dict[str, str] = {
    "challenges": "Further challenges, each raised less often, concerned {labels}",
    "takeaways": "Further takeaways, each shared less often, concerned {labels}",
    "recommendations": "Further recommendations, each made less often, concerned {labels}",
    "questions": "Further questions concerned {labels}",
}
SUMMARY_LEADS: dict[str, dict[Form, str]] = {
    "challenges": {
        "clause": "Among the challenges, it was raised most often that {c}",
        "phrase": "Among the challenges, {p} was raised most often",
        "imperative": "Among the challenges, the need to {v} was raised most often",
        "quote": "Among the challenges, one was raised most often: “{q}”",
    },
    "takeaways": {
        "clause": "As a key takeaway, it was highlighted most often that {c}",
        "phrase": "As a key takeaway, {p} was highlighted most often",
        "imperative": "As a key takeaway, the need to {v} was highlighted most often",
        "quote": "As a key takeaway, one was shared most often: “{q}”",
    },
    "recommendations": {
        "clause": "The most frequent recommendation was that {c}",
        "phrase": "The most frequent recommendation concerned {p}",
        "imperative": "The most frequent recommendation was to {v}",
        "quote": "The most frequent recommendation read: “{q}”",
    },
    "questions": {form: "The question asked most often was: “{q}”" for form in FORMS},
}
SUMMARY_ALSO: dict[Form, str] = {
    "clause": "It was also raised that {c}",
    "phrase": "{P} was also raised",
    "imperative": "It was also raised that there is a need to {v}",
    "quote": "It was also said: “{q}”",
}
NO_INPUT = "No input has been received for this session yet."


def fill(template: str, point: Point, **names: str) -> str:
    """A template with the point in the slot its form needs, as one finished sentence."""
    body = point.body
    text = template.format(c=body, v=body, p=body, P=upper_first(body), q=body, **names)
    return upper_first(text) + ("" if text.endswith(("?”", "!”", ".”")) else ".")


def _offset(seed: str, modulo: int) -> int:
    return zlib.crc32(seed.encode("utf-8")) % modulo if modulo else 0


def cites_of(*statements: Statement) -> tuple[int, ...]:
    """The numbers behind statements (merged near-duplicates included), at most MAX_CITES."""
    numbers: list[int] = []
    for statement in statements:
        for number in (statement.contribution_id, *statement.merged_ids):
            if number not in numbers:
                numbers.append(number)
    return tuple(sorted(numbers[:MAX_CITES]))


def community_names(names: Sequence[str]) -> str:
    """ "Participants from the development and security communities" from community names."""
    named = sorted({n for n in names if n and n != OTHER})
    others = any(n == OTHER for n in names)
    if not named:
        return "Participants across communities"
    joined = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    noun = "community" if len(named) == 1 else "communities"
    return f"Participants from the {joined} {noun}" + (" and from other communities" if others else "")


def _sides(statement: Statement) -> tuple[list[str], list[str]]:
    agreeing: list[str] = []
    disagreeing: list[str] = []
    for entry in statement.support.by_community:
        share = entry.agreement
        if share is None:
            continue
        (agreeing if share >= AGREE_SHARE else disagreeing if share <= 1 - AGREE_SHARE else []).append(entry.community)
    return agreeing, disagreeing


def _side_name(names: list[str]) -> str:
    return community_names(names).replace("Participants from ", "", 1)


class ProseWriter:
    """Writes one session's prose; holds what every sentence needs (the session's names)."""

    def __init__(self, proper: frozenset[str]) -> None:
        self.proper = proper

    def point(self, statement: Statement) -> Point:
        return Point.of(statement.text, self.proper)

    # --- sections ---------------------------------------------------------------------

    def section(self, section: Section) -> None:
        """Fill the section's intro, each theme's paragraph and the closing sentence."""
        section.intro, section.closing = [], []
        themes = section.themes
        for theme in themes:
            theme.prose = []
        if not themes:
            return
        written = themes[:PROSE_THEMES]
        offset = _offset(section.key + themes[0].representative.text, 997)
        if len(written) >= 3:
            section.intro = [Sentence(SECTION_INTROS[section.key] + ".", cites_of(*(t.representative for t in written)))]
        for position, theme in enumerate(written):
            role = "first" if position == 0 else "last" if position == len(written) - 1 and len(written) >= 3 else "next"
            theme.prose = self.theme_paragraph(section.key, theme, role, position + offset)
        rest = themes[PROSE_THEMES:]
        if rest:
            shown = rest[:CLOSING_THEMES]
            labels = "; ".join(lower_first(t.label, self.proper) for t in shown)
            if len(rest) > len(shown):
                labels += f"; and {len(rest) - len(shown):,} more listed in the annex"
            text = CLOSING[section.key].format(labels=labels) + "."
            section.closing = [Sentence(text, cites_of(*(t.representative for t in shown)))]

    def theme_paragraph(self, key: str, theme: Theme, role: str, turn: int) -> list[Sentence]:
        """The lead sentence from the representative, a supporting statement when the theme
        has more than one, and where communities agreed or differed on a statement."""
        lead = theme.representative
        point = self.point(lead)
        agreed = self._agreement(lead, point)
        if agreed is not None:
            sentences = [agreed]
        else:
            options = FRAMES[key][role][point.form]
            sentences = [Sentence(fill(options[turn % len(options)], point), cites_of(lead))]
        sentences += [Sentence(upper_first(r) + ".", cites_of(lead)) for r in point.rest]
        others = sorted(
            (s for s in theme.statements if s.contribution_id != lead.contribution_id),
            key=lambda s: (-s.support.score, -s.duplicates, s.contribution_id),
        )
        distinct = [s for s in others if _SPACES.sub(" ", s.text).strip().casefold() != lead.text.strip().casefold()]
        if distinct and len(theme.statements) >= SUPPORTING_MIN:
            second = distinct[0]
            second_point = self.point(second)
            supporting = SUPPORTING[second_point.form]
            marked = self._agreement(second, second_point)
            sentences.append(marked or Sentence(fill(supporting[turn % len(supporting)], second_point), cites_of(second)))
        for other in distinct[1:]:
            marked = self._agreement(other, self.point(other))
            if marked is not None:
                sentences.append(marked)
                break
        return sentences

    def _agreement(self, statement: Statement, point: Point) -> Sentence | None:
        """ "Participants from … agreed that …" or "Views differed on whether …" when the
        statement's votes justify it (the builder marks standing only with enough votes)."""
        standing = statement.support.standing
        if standing not in ("consensus", "divisive"):
            return None
        agreeing, disagreeing = _sides(statement)
        if standing == "consensus":
            text = fill(AGREED[point.form], point, who=community_names(agreeing))
        else:
            if not agreeing or not disagreeing:
                return None
            text = fill(DIFFERED[point.form], point, yes=_side_name(agreeing), no=_side_name(disagreeing))
        return Sentence(text, (statement.contribution_id,))

    # --- summary ----------------------------------------------------------------------

    def summary(self, sections: Sequence[Section]) -> list[Paragraph]:
        """What was raised most in each section, in body order, then where communities agreed
        and differed (at most two of each), each sentence with its numbers."""
        points: list[Sentence] = []
        for section in sections:
            if section.text_override is not None or not section.themes:
                continue
            first = section.themes[0]
            point = self.point(first.representative)
            points.append(Sentence(fill(SUMMARY_LEADS[section.key][point.form], point), cites_of(first.representative)))
            if len(section.themes) > 1 and section.key != "questions":
                second = section.themes[1].representative
                also = self.point(second)
                points.append(Sentence(fill(SUMMARY_ALSO[also.form], also), cites_of(second)))
        if not points:
            return [(Sentence(NO_INPUT),)]
        agreement: list[Sentence] = []
        for standing in ("consensus", "divisive"):
            found = [
                s
                for section in sections
                if section.text_override is None
                for theme in section.themes
                for s in theme.statements
                if s.support.standing == standing
            ]
            for statement in found[:2]:
                sentence = self._agreement(statement, self.point(statement))
                if sentence is not None:
                    agreement.append(sentence)
        return [tuple(points), *([tuple(agreement)] if agreement else [])]


def plain(paragraphs: Sequence[Paragraph]) -> str:
    """Prose as plain text without numbers: paragraphs separated by blank lines."""
    return "\n\n".join(" ".join(s.text for s in p) for p in paragraphs)
