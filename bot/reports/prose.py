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

How a statement is framed depends on its form, judged by small word lists and the English
lexicon's parts of speech (`bot.reports.lexicon`; no tagger): a clause ("Donors work in silos",
"Basements flood") follows "that", an imperative ("Pool the funds", "Plant more trees") follows
"to", a noun phrase ("Lack of joint analysis") is the object at the end of its sentence, so no
verb has to agree with it, and a question or a statement in another language is quoted as it
was sent. Every frame but a division of views ends on the statement, so a long statement with
commas of its own never leaves the sentence's verb stranded after it.

The report is written in the event's report language. The templates below are the English
message ids of the catalogue; a French report takes their French translations, which read as a
French rapporteur's compte rendu (« Il a été souligné que… », « Les participants des communautés
du développement et de la sécurité ont convenu que… »). French statements are judged by
`prose_french` (a clause, an infinitive, or quoted), so no template has to agree in gender or
number with a participant's words; statements in another language are quoted.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from babel.lists import format_list

from bot.i18n import N_, Translator, translator
from bot.reports import prose_french
from bot.reports.lexicon import is_plural_noun, is_verb_base, parts_of_speech
from bot.reports.model import Paragraph, Section, Sentence, Statement, Theme
from bot.reports.privacy import OTHER

Form = Literal["clause", "imperative", "phrase", "quote"]
FORMS: tuple[Form, ...] = ("clause", "phrase", "imperative", "quote")

PROSE_THEMES = 6  # themes per section written as a paragraph; smaller ones are named at the end
CLOSING_THEMES = 5  # smaller themes named in the closing sentence
MAX_CITES = 8  # numbers behind one sentence; the annex lists the rest of the theme
SUPPORTING_MIN = 2  # distinct statements a theme needs before a second one is reported
AGREE_SHARE = 0.6
MAX_TOPIC_WORDS = 6  # "Different time horizons: …": a topic named before a colon, then the point

_SPACES = re.compile(r"\s+")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"“«(]?[A-ZÀ-ÖØ-Þ0-9])")
_TOPIC_SPLIT = re.compile(r":\s+|\s+[-–—]\s+")  # "Alert fatigue - too many alerts": a topic, then the point
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
# Verbs of a state, never an instruction: "Lack the means to follow up" is a clipped "we lack…".
STATES = frozenset(
    ["be", "have", "do", "can", "must", "need", "want", "lack", "remain", "seem", "tend", "exist", "matter", "depend", "happen"]
    + ["suffer", "owe", "differ", "mean", "know", "feel"]
)
# Words that open the object of an instruction ("Flag the sickest patients", "Plant more trees").
OBJECT_STARTS = frozenset(
    [
        "the",
        "a",
        "an",
        "all",
        "every",
        "each",
        "more",
        "fewer",
        "less",
        "their",
        "your",
        "its",
        "them",
        "it",
        "this",
        "these",
        "those",
        "both",
    ]
    + ["some", "any", "one", "two", "three", "up", "down", "out", "off", "back", "away", "together", "everyone", "people"]
)
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
ENGLISH_MARKERS = prose_french.ENGLISH_MARKERS  # one list of the words that mark English
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


def form_of(text: str, *, instructions: bool = False) -> Form:
    """How a cleaned sentence can be reported: clause, imperative, noun phrase or quote.

    ``instructions``: the sentence answers a prompt for recommendations, where a sentence that
    opens on a word that can be a verb ("Turn schoolyards into green oases") may well be an
    instruction, and is quoted rather than guessed at (`_opening_verb`); elsewhere it opens a
    noun phrase ("Heat maps for every district") unless an object follows ("Plant more trees").
    """
    tokens = _tokens(text)
    if not tokens or text.endswith("?"):
        return "quote"
    if len(tokens) >= 3 and sum(t in FOREIGN_MARKERS for t in tokens) > sum(t in ENGLISH_MARKERS for t in tokens):
        return "quote"
    first = tokens[0]
    if first in ("i", "i'm", "i've", "my", "me"):
        return "quote"
    if first in IMPERATIVES and (len(tokens) == 1 or (tokens[1] not in AUXILIARIES and tokens[1] not in NOT_AFTER_IMPERATIVE)):
        return "imperative"
    opening = _opening_verb(tokens, instructions)
    if opening is not None:
        return opening
    if first in SUBJECT_STARTS or any(t in AUXILIARIES for t in tokens[1:]):
        return "clause"
    if first.endswith("ing") and first not in NOT_GERUNDS:
        return "phrase"
    for index, (before, word) in enumerate(zip(tokens, tokens[1:], strict=False)):
        verbs = IMPERATIVES | FINITE_VERBS
        after = tokens[index + 2] if index + 2 < len(tokens) else None
        names_a_thing = is_plural_noun(word) and (after is None or after in DETERMINERS)  # "heat maps for every district"
        if before in ADVERBS or (
            word.endswith("s")
            and not word.endswith("ss")
            and (word[:-1] in verbs or word[:-2] in verbs)
            and before not in DETERMINERS
            and not names_a_thing
        ):
            return "clause"
        if (
            word in FINITE_VERBS or (word in IMPERATIVES and before.endswith("s") and not before.endswith("ss"))
        ) and before not in DETERMINERS:
            return "clause"  # "incidents start", "staff rotate": a subject and its verb
        if before not in DETERMINERS and word not in DETERMINERS and _plural_subject(before, opening=index == 0) and is_verb_base(word):
            return "clause"  # "basements flood", "PRs sit", "deploys break": the lexicon knows the verb
    return "phrase"


def _plural_subject(word: str, *, opening: bool) -> bool:
    """``word`` can be a plural subject: a noun in the plural, an unknown word in -s (an
    acronym's plural: "PRs", "NGOs"), or, opening the sentence, a verb's -s form used as a noun
    ("Deploys break every Friday")."""
    if is_plural_noun(word):
        return True
    if not word.endswith("s") or word.endswith("ss"):
        return False
    known = parts_of_speech(word)
    return not known or (opening and "VERB" in known and not is_verb_base(word))


def _opening_verb(tokens: Sequence[str], instructions: bool) -> Form | None:
    """What a sentence opening on a word the lexicon knows as a verb's bare form is: an
    instruction when an object follows ("Flag the sickest patients", "Plant more trees"); among
    recommendations without one, a quote, since "Report results jointly" and "Peer review of
    drafts" open alike and only the words' sense tells them apart; otherwise None (judged on)."""
    first = tokens[0]
    if len(tokens) < 2 or first in STATES or first in SUBJECT_STARTS or not is_verb_base(first):
        return None
    second = tokens[1]
    if first in DETERMINERS and second not in ("the", "a", "an"):
        return None  # "Clear roles" names a thing; "Clear the gullies" can only be an instruction
    if second in AUXILIARIES or second in NOT_AFTER_IMPERATIVE:
        return None
    if second in OBJECT_STARTS or parts_of_speech(first) == {"VERB"}:
        return "imperative"  # an object follows, or only a verb can open it ("Delete alerts…")
    if instructions and not second.endswith("ing") and not any(t in AUXILIARIES for t in tokens[1:4]):
        return "quote"  # not "Staff training for every ward" (a thing), nor "Budget support is key"
    return None


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
    their own funds"; opening hedges ("I think that") dropped. Where "we" is not the subject,
    "our" is the speaker's organisation or place ("most of our grants expire", "Our zoning
    maps are from 1998"), reported as "the" ("their own" for "our own")."""
    text = _FILLERS.sub("", text).strip()
    words = text.split(" ")
    if not words or words[0].lower() != "we":
        for i, word in enumerate(words):
            if word.lower() == "our" and i + 1 < len(words):
                owned = i + 1 < len(words) and words[i + 1].lower() == "own"
                words[i] = _same_case("their" if owned else "the", word)
        return " ".join(words)
    words[0] = "participants"
    for i in range(1, len(words)):
        bare = words[i].lower().rstrip(",;:")
        if bare in PRONOUN_SWAPS:
            words[i] = PRONOUN_SWAPS[bare] + words[i][len(bare) :]
    return " ".join(words)


def _same_case(replacement: str, original: str) -> str:
    return upper_first(replacement) if original[:1].isupper() else replacement


@dataclass(frozen=True, slots=True)
class Point:
    """A statement ready to be set in a sentence: its form and its cleaned wordings."""

    form: Form
    body: str  # for "that …", "to …" or as a phrase inside a sentence
    rest: tuple[str, ...]  # further sentences of the same contribution, as sentences

    @classmethod
    def of(cls, text: str, proper: frozenset[str], language: str = "en", *, instructions: bool = False) -> Point:
        """``instructions``: the statement answers a prompt for recommendations (`form_of`)."""
        if language == "fr":
            return cls.french(text, proper)
        parts = sentences_of(text) or [tidy(text) or text.strip()]
        head = reported(parts[0])
        form = form_of(head, instructions=instructions)
        if form == "quote":
            return cls(form, upper_first(tidy(text)), ())
        rest = tuple(upper_first(reported(p)) for p in parts[1:])
        topic, *detail = _TOPIC_SPLIT.split(head, maxsplit=1)
        if (
            detail
            and len(topic.split()) <= MAX_TOPIC_WORDS
            and form_of(topic, instructions=instructions) == "phrase"
            and form_of(detail[0]) == "clause"  # a sentence of its own, not a list ("SUDS everywhere - swales, …")
        ):
            # "Different time horizons: missions think in months…" names its topic, then says it
            return cls("phrase", lower_first(topic, proper), (upper_first(detail[0]), *rest))
        return cls(form, lower_first(head, proper), rest)

    @classmethod
    def french(cls, text: str, proper: frozenset[str]) -> Point:
        """For a French report: a French clause or infinitive is set in the sentence; anything
        else is quoted whole."""
        parts = sentences_of(text) or [tidy(text) or text.strip()]
        head = prose_french.without_fillers(parts[0])
        form = prose_french.form_of(head)
        if form == "quote":
            quoted = upper_first(tidy(text))
            if quoted.endswith("?") and prose_french.is_french(quoted):
                quoted = quoted[:-1].rstrip() + " ?"  # French typography: a space before ?
            return cls("quote", quoted, ())
        return cls(form, lower_first(head, proper), tuple(upper_first(p) for p in parts[1:]))


# --- connecting phrases -------------------------------------------------------------------

# {c}: a clause, {v}: an imperative, {p}: a noun phrase, {q}: a quotation. Keyed by section and
# role; each list is cycled from an offset so neighbouring sentences use different phrases.
# Every template is a catalogue entry (N_), translated when the sentence is written.
# TRANSLATORS comments would repeat this: each template is one whole sentence of a report.
FRAMES: dict[str, dict[str, dict[Form, tuple[str, ...]]]] = {
    "challenges": {
        "first": {
            "clause": (N_("The challenge raised most often was that {c}"), N_("Foremost among the challenges, it was raised that {c}")),
            "phrase": (N_("The challenge raised most often was {p}"), N_("The main challenge presented was {p}")),
            "imperative": (N_("The challenge raised most often was the need to {v}"),),
            "quote": (N_("The challenge raised most often was put as follows: “{q}”"),),
        },
        "next": {
            "clause": (
                N_("Another challenge presented was that {c}"),
                N_("It was raised that {c}"),
                N_("It was highlighted that {c}"),
                N_("Participants also pointed out that {c}"),
            ),
            "phrase": (
                N_("Another challenge presented was {p}"),
                N_("Participants also pointed to {p}"),
                N_("Another challenge underlined was {p}"),
                N_("A further challenge concerned {p}"),
            ),
            "imperative": (N_("It was raised that there is a need to {v}"), N_("Another challenge presented was how to {v}")),
            "quote": (N_("Another challenge was put as follows: “{q}”"), N_("It was also said: “{q}”")),
        },
        "last": {
            "clause": (N_("Lastly, it was raised that {c}"),),
            "phrase": (N_("Lastly, participants pointed to {p}"),),
            "imperative": (N_("Lastly, it was raised that there is a need to {v}"),),
            "quote": (N_("Lastly, it was said: “{q}”"),),
        },
    },
    "takeaways": {
        "first": {
            "clause": (N_("The key takeaway shared most often was that {c}"), N_("Above all, it was highlighted that {c}")),
            "phrase": (N_("The key takeaway shared most often was {p}"), N_("The main takeaway that stood out was {p}")),
            "imperative": (N_("The key takeaway shared most often was the need to {v}"),),
            "quote": (N_("The key takeaway shared most often was put as follows: “{q}”"),),
        },
        "next": {
            "clause": (
                N_("It was highlighted that {c}"),
                N_("Another key takeaway was that {c}"),
                N_("It was emphasized that {c}"),
                N_("It was mentioned that {c}"),
            ),
            "phrase": (
                N_("Another key takeaway was {p}"),
                N_("Participants emphasized the importance of {p}"),
                N_("Attention was also drawn to {p}"),
                N_("Participants also mentioned {p}"),
            ),
            "imperative": (N_("It was emphasized that there is a need to {v}"), N_("Another takeaway was the need to {v}")),
            "quote": (N_("It was also said: “{q}”"), N_("Another takeaway was put as follows: “{q}”")),
        },
        "last": {
            "clause": (N_("Lastly, it was emphasized that {c}"),),
            "phrase": (N_("Lastly, participants emphasized the importance of {p}"),),
            "imperative": (N_("Lastly, it was emphasized that there is a need to {v}"),),
            "quote": (N_("Lastly, it was said: “{q}”"),),
        },
    },
    "recommendations": {
        "first": {
            "clause": (N_("The recommendation made most often was that {c}"), N_("Foremost, it was recommended that {c}")),
            "phrase": (N_("The recommendation made most often was {p}"), N_("Foremost, participants recommended {p}")),
            "imperative": (N_("The recommendation made most often was to {v}"), N_("Foremost, it was recommended to {v}")),
            "quote": (N_("The recommendation made most often was put as follows: “{q}”"),),
        },
        "next": {
            "clause": (
                N_("Another recommendation mentioned was that {c}"),
                N_("It was suggested that {c}"),
                N_("It was recommended that {c}"),
                N_("Participants also proposed that {c}"),
            ),
            "phrase": (
                N_("Another recommendation mentioned was {p}"),
                N_("Several contributions called for {p}"),
                N_("Participants also recommended {p}"),
                N_("A further recommendation concerned {p}"),
            ),
            "imperative": (
                N_("Another recommendation was to {v}"),
                N_("It was recommended to {v}"),
                N_("A further suggestion was to {v}"),
                N_("Participants also proposed to {v}"),
            ),
            "quote": (N_("Another recommendation was put as follows: “{q}”"), N_("It was also suggested: “{q}”")),
        },
        "last": {
            "clause": (N_("Lastly, it was recommended that {c}"),),
            "phrase": (N_("Lastly, participants recommended {p}"),),
            "imperative": (N_("Lastly, it was recommended to {v}"),),
            "quote": (N_("Lastly, it was suggested: “{q}”"),),
        },
    },
    "questions": {
        "first": {form: (N_("The question asked most often was: “{q}”"),) for form in FORMS},
        "next": {
            form: (N_("It was also asked: “{q}”"), N_("A further open question was: “{q}”"), N_("Participants also asked: “{q}”"))
            for form in FORMS
        },
        "last": {form: (N_("Lastly, it was asked: “{q}”"),) for form in FORMS},
    },
}
SUPPORTING: dict[Form, tuple[str, ...]] = {
    "clause": (
        N_("Along the same lines, it was noted that {c}"),
        N_("In a similar vein, it was added that {c}"),
        N_("Relatedly, it was mentioned that {c}"),
    ),
    "phrase": (
        N_("In the same vein, participants mentioned {p}"),
        N_("Related contributions pointed to {p}"),
        N_("Along the same lines, attention was drawn to {p}"),
    ),
    "imperative": (
        N_("Along the same lines, it was suggested to {v}"),
        N_("Relatedly, it was proposed to {v}"),
        N_("In a similar vein, participants stressed the need to {v}"),
    ),
    "quote": (N_("In the same vein, it was said: “{q}”"), N_("A related contribution read: “{q}”")),
}
AGREED: dict[Form, str] = {
    "clause": N_("{who} agreed that {c}"),
    "phrase": N_("{who} agreed on {p}"),
    "imperative": N_("{who} agreed on the need to {v}"),
    "quote": N_("{who} agreed with the point “{q}”"),
}
DIFFERED: dict[Form, str] = {
    "clause": N_("Views differed on whether {c}: {yes} largely agreed, while {no} did not"),
    "phrase": N_("Views differed on {p}: {yes} largely agreed, while {no} did not"),
    "imperative": N_("Views differed on whether to {v}: {yes} largely agreed, while {no} did not"),
    "quote": N_("Views differed on the point “{q}”: {yes} largely agreed, while {no} did not"),
}
SECTION_INTROS: dict[str, str] = {
    "challenges": N_("Several challenges were presented in a variety of areas."),
    "takeaways": N_("Several key takeaways emerged from the discussion."),
    "recommendations": N_("Several recommendations were made."),
    "questions": N_("Several questions remained open."),
}
CLOSING: dict[str, str] = {
    "challenges": N_("Further challenges, each raised less often, are listed in the annex under {labels}."),
    "takeaways": N_("Further takeaways, each shared less often, are listed in the annex under {labels}."),
    "recommendations": N_("Further recommendations, each made less often, are listed in the annex under {labels}."),
    "questions": N_("Further questions are listed in the annex under {labels}."),
}
SUMMARY_LEADS: dict[str, dict[Form, str]] = {
    "challenges": {
        "clause": N_("Among the challenges, it was raised most often that {c}"),
        "phrase": N_("Among the challenges, participants most often raised {p}"),
        "imperative": N_("Among the challenges, participants most often raised the need to {v}"),
        "quote": N_("Among the challenges, one was raised most often: “{q}”"),
    },
    "takeaways": {
        "clause": N_("As a key takeaway, it was highlighted most often that {c}"),
        "phrase": N_("As a key takeaway, participants most often highlighted {p}"),
        "imperative": N_("As a key takeaway, participants most often highlighted the need to {v}"),
        "quote": N_("As a key takeaway, one was shared most often: “{q}”"),
    },
    "recommendations": {
        "clause": N_("The most frequent recommendation was that {c}"),
        "phrase": N_("The most frequent recommendation concerned {p}"),
        "imperative": N_("The most frequent recommendation was to {v}"),
        "quote": N_("The most frequent recommendation read: “{q}”"),
    },
    "questions": {form: N_("The question asked most often was: “{q}”") for form in FORMS},
}
SUMMARY_ALSO: dict[str, dict[Form, str]] = {  # the second point of a section (not of questions)
    "challenges": {
        "clause": N_("It was also raised that {c}"),
        "phrase": N_("Participants also raised {p}"),
        "imperative": N_("It was also raised that there is a need to {v}"),
        "quote": N_("It was also said: “{q}”"),
    },
    "takeaways": {
        "clause": N_("It was also highlighted that {c}"),
        "phrase": N_("Participants also highlighted {p}"),
        "imperative": N_("It was also highlighted that there is a need to {v}"),
        "quote": N_("It was also said: “{q}”"),
    },
    "recommendations": {
        "clause": N_("It was also recommended that {c}"),
        "phrase": N_("Participants also recommended {p}"),
        "imperative": N_("It was also recommended to {v}"),
        "quote": N_("It was also suggested: “{q}”"),
    },
}
NO_INPUT = N_("No input has been received for this session yet.")
# TRANSLATORS: a theme's name in a sentence, in the language's quotation marks.
LABEL_QUOTED = N_("“{label}”")
# Who agreed or differed, as the subject of a sentence ("Participants from …") and as a side
# of a division ("the … communities"); {names} is a list of communities in COMMUNITY_OF form.
WHO_ACROSS = N_("Participants across communities")
WHO_ONE = N_("Participants from the {names} community")
WHO_MANY = N_("Participants from the {names} communities")
WHO_ONE_AND_OTHERS = N_("Participants from the {names} community and from other communities")
WHO_MANY_AND_OTHERS = N_("Participants from the {names} communities and from other communities")
SIDE_ACROSS = N_("communities across the board")
SIDE_ONE = N_("the {names} community")
SIDE_MANY = N_("the {names} communities")
SIDE_ONE_AND_OTHERS = N_("the {names} community and other communities")
SIDE_MANY_AND_OTHERS = N_("the {names} communities and other communities")
_SENTENCE_ENDS = ("?”", "!”", ".”", "? »", "! »", ". »")


def fill(template: str, point: Point, tr: Translator | None = None, **names: str) -> str:
    """A template in the report's language with the point in the slot its form needs, as one
    finished sentence."""
    tr = tr or translator("en")
    body = point.body
    mark = "\x00" if tr.locale == "fr" else ""  # where the template meets the statement: elision
    text = tr.gettext(template).format(c=mark + body, v=mark + body, p=body, q=body, **names)
    if mark:
        text = prose_french.elide_junctions(text)
    return upper_first(text) + ("" if text.endswith(_SENTENCE_ENDS) else ".")


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


def _community_list(names: Sequence[str], tr: Translator) -> tuple[str, int, bool]:
    named = sorted({n for n in names if n and n != OTHER})
    # A community's name as it follows "the … community" ("development"; in French « du
    # développement »), so each language can put its article and contraction in.
    known = {
        "diplomacy": tr.pgettext("community of", "diplomacy"),
        "development": tr.pgettext("community of", "development"),
        "security": tr.pgettext("community of", "security"),
        "humanitarian": tr.pgettext("community of", "humanitarian"),
    }
    shown = [known.get(n, n) for n in named]
    joined = format_list(shown, locale=tr.babel_locale) if shown else ""
    return joined, len(named), any(n == OTHER for n in names)


def community_names(names: Sequence[str], tr: Translator | None = None) -> str:
    """ "Participants from the development and security communities" from community names."""
    tr = tr or translator("en")
    joined, count, others = _community_list(names, tr)
    if not count:
        return tr.gettext(WHO_ACROSS)
    if others:
        return tr.gettext(WHO_ONE_AND_OTHERS if count == 1 else WHO_MANY_AND_OTHERS).format(names=joined)
    return tr.gettext(WHO_ONE if count == 1 else WHO_MANY).format(names=joined)


def _side_name(names: list[str], tr: Translator) -> str:
    """ "the development and security communities": one side of a division."""
    joined, count, others = _community_list(names, tr)
    if not count:
        return tr.gettext(SIDE_ACROSS)
    if others:
        return tr.gettext(SIDE_ONE_AND_OTHERS if count == 1 else SIDE_MANY_AND_OTHERS).format(names=joined)
    return tr.gettext(SIDE_ONE if count == 1 else SIDE_MANY).format(names=joined)


def _sides(statement: Statement) -> tuple[list[str], list[str]]:
    agreeing: list[str] = []
    disagreeing: list[str] = []
    for entry in statement.support.by_community:
        share = entry.agreement
        if share is None:
            continue
        (agreeing if share >= AGREE_SHARE else disagreeing if share <= 1 - AGREE_SHARE else []).append(entry.community)
    return agreeing, disagreeing


class ProseWriter:
    """Writes one session's prose in the report's language; holds what every sentence needs
    (the session's names and the translator)."""

    def __init__(self, proper: frozenset[str], tr: Translator | None = None) -> None:
        self.proper = proper
        self.tr = tr or translator("en")

    def point(self, statement: Statement, section: str) -> Point:
        return Point.of(statement.text, self.proper, self.tr.locale, instructions=section == "recommendations")

    def fill(self, template: str, point: Point, **names: str) -> str:
        return fill(template, point, self.tr, **names)

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
            section.intro = [Sentence(self.tr.gettext(SECTION_INTROS[section.key]), cites_of(*(t.representative for t in written)))]
        for position, theme in enumerate(written):
            role = "first" if position == 0 else "last" if position == len(written) - 1 and len(written) >= 3 else "next"
            theme.prose = self.theme_paragraph(section.key, theme, role, position + offset)
        rest = themes[PROSE_THEMES:]
        if rest:
            shown = rest[:CLOSING_THEMES]
            # The annex's headings, quoted: a label may be a phrase or a clause ("Donors still
            # fund in silos"), and only a title reads right in either case.
            names = [self.tr.gettext(LABEL_QUOTED).format(label=t.label) for t in shown]
            if len(rest) > len(shown):
                more = len(rest) - len(shown)
                names.append(self.tr.ngettext("{count} more theme", "{count} more themes", more).format(count=self.tr.number(more)))
            labels = format_list(names, locale=self.tr.babel_locale)
            text = self.tr.gettext(CLOSING[section.key]).format(labels=labels)
            section.closing = [Sentence(text, cites_of(*(t.representative for t in shown)))]

    def theme_paragraph(self, key: str, theme: Theme, role: str, turn: int) -> list[Sentence]:
        """The lead sentence from the representative, a supporting statement when the theme
        has more than one, and where communities agreed or differed on a statement."""
        lead = theme.representative
        point = self.point(lead, key)
        agreed = self._agreement(lead, point)
        if agreed is not None:
            sentences = [agreed]
        else:
            sentences = [Sentence(self.fill(self._frame(FRAMES[key][role][point.form], turn, point), point), cites_of(lead))]
        sentences += [Sentence(upper_first(r) + ".", cites_of(lead)) for r in point.rest]
        others = sorted(
            (s for s in theme.statements if s.contribution_id != lead.contribution_id),
            key=lambda s: (-s.support.score, -s.duplicates, s.contribution_id),
        )
        distinct = [s for s in others if _SPACES.sub(" ", s.text).strip().casefold() != lead.text.strip().casefold()]
        if distinct and len(theme.statements) >= SUPPORTING_MIN:
            second = distinct[0]
            second_point = self.point(second, key)
            marked = self._agreement(second, second_point)
            template = self._frame(SUPPORTING[second_point.form], turn, second_point)
            sentences.append(marked or Sentence(self.fill(template, second_point), cites_of(second)))
            sentences += [Sentence(upper_first(r) + ".", cites_of(second)) for r in second_point.rest]
        for other in distinct[1:]:
            marked = self._agreement(other, self.point(other, key))
            if marked is not None:
                sentences.append(marked)
                break
        return sentences

    def _frame(self, options: Sequence[str], turn: int, point: Point) -> str:
        """The connecting phrase for this turn, or the next one that does not echo the
        statement's first word ("Participants also pointed out that participants get…")."""
        first = point.body.split(" ", 1)[0].casefold()
        if len(first) >= 4 and first not in SUBJECT_STARTS:
            # the next theme's phrase (turn + 1) last, so neighbours still read differently
            steps: list[int] = [0, *range(2, len(options)), *([1] if len(options) > 1 else [])]
            for step in steps:
                template = options[(turn + step) % len(options)]
                if first not in (w.casefold() for w in _WORD.findall(self.tr.gettext(template))):
                    return template
        return options[turn % len(options)]

    def _agreement(self, statement: Statement, point: Point) -> Sentence | None:
        """ "Participants from … agreed that …" or "Views differed on whether …" when the
        statement's votes justify it (the builder marks standing only with enough votes)."""
        standing = statement.support.standing
        if standing not in ("consensus", "divisive"):
            return None
        agreeing, disagreeing = _sides(statement)
        if standing == "consensus":
            text = self.fill(AGREED[point.form], point, who=community_names(agreeing, self.tr))
        else:
            if not agreeing or not disagreeing:
                return None
            text = self.fill(DIFFERED[point.form], point, yes=_side_name(agreeing, self.tr), no=_side_name(disagreeing, self.tr))
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
            point = self.point(first.representative, section.key)
            points.append(Sentence(self.fill(SUMMARY_LEADS[section.key][point.form], point), cites_of(first.representative)))
            if len(section.themes) > 1 and section.key != "questions":
                second = section.themes[1].representative
                also = self.point(second, section.key)
                points.append(Sentence(self.fill(SUMMARY_ALSO[section.key][also.form], also), cites_of(second)))
        if not points:
            return [(Sentence(self.tr.gettext(NO_INPUT)),)]
        agreement: list[Sentence] = []
        for standing in ("consensus", "divisive"):
            found = [
                (section.key, s)
                for section in sections
                if section.text_override is None
                for theme in section.themes
                for s in theme.statements
                if s.support.standing == standing
            ]
            for key, statement in found[:2]:
                sentence = self._agreement(statement, self.point(statement, key))
                if sentence is not None:
                    agreement.append(sentence)
        return [tuple(points), *([tuple(agreement)] if agreement else [])]


def plain(paragraphs: Sequence[Paragraph]) -> str:
    """Prose as plain text without numbers: paragraphs separated by blank lines."""
    return "\n\n".join(" ".join(s.text for s in p) for p in paragraphs)
