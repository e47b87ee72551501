"""Theme labels a person would write: a short phrase taken from the theme's own statements.

A label is a run of 2 to :data:`MAX_LABEL_WORDS` consecutive words of one of the theme's
statements (within one clause, starting and ending on a content word), e.g. "Donors working
in silos", "Slow UN bureaucracy" or "Structured handover tool". It never names a concept
nobody used: every content word of a label occurs, lemmatised, in the theme
(:func:`content_stems`).

A phrase must also read as a name for a point rather than a cut-out piece of a sentence, so
candidates are filtered with a part-of-speech *lexicon* (lemminflect's English lemma table:
which parts of speech a word can be; no model, no context) and a few rules:

- it ends on a word that can be a noun (or one the lexicon does not know: acronyms, jargon),
  so never on a verb or an adjective ("City plan contradict", "Funders ... is a bigger");
  a noun-or-verb word right after a plural noun counts as the verb ("Test results fall");
- it holds no number word and neither starts nor ends on a number ("Two years"), nor splits a capitalised name ("Bank and ..."
  out of "World Bank");
- it contains no finite auxiliary, modal, pronoun, relative or subordinating word ("can",
  "is", "who", "that", "because"): those open a clause, and a label is not a clause;
- it is one phrase, not a verb's two objects side by side ("institutions the shared goal"),
  nor a noun and its verb ("nurse hands over"), nor a verb after "is" ("driving experienced
  nurses"), nor a coordination cut from its noun ("diplomatic and development" support), nor
  a clause around a word that can only be a verb ("Peacebuilding Fund let partners share risk";
  a plural subject's verb stays: "Partners equip armies in the Sahel");
- it comes from a statement written in English when the theme has one (the lexicon is
  English; a French or Spanish label in an English section reads as a fragment).

If no candidate passes, the same search runs without these rules, then the two heaviest words
are joined with "and"; a theme with no content word at all is "Other".

How the phrase is chosen among candidates:

1. Each content word (lemma) of the theme gets a weight: the squared share of the theme's
   statements that use it times its inverse document frequency over the whole section, so
   words every theme uses ("need", "more") weigh little. The section's statements include
   hidden ones, so hiding a contribution changes no other theme's label.
2. Every candidate phrase scores the weights of its distinct content lemmas, minus a small
   cost per word (so a phrase grows only by words that matter), times a bonus when two or
   more statements use the same content words in the same order ("donors keep working in
   silos", "donors working in silos").
3. The best phrase is shown in its most frequent wording, acronyms kept in capitals, first
   letter capitalised. Ties go to the shorter, then alphabetically first phrase: the same
   input always gives the same label.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.reports.lexical import STOPWORDS, normalise, stem
from bot.reports.lexicon import is_plural_noun, lemmas, parts_of_speech

#: Words at most in a label.
MAX_LABEL_WORDS = 6
#: Cost of each word of a phrase, as a share of the theme's heaviest word's weight.
WORD_COST = 0.15
#: The theme's heaviest words a phrase may start or end on.
ANCHORS = 6
#: Bonus factor for a phrase that two or more statements share (after lemmatising).
SHARED_PHRASE_BONUS = 1.5

#: Function words of the other languages participants write in, for phrase boundaries and
#: for telling an English statement from another.
_FOREIGN_STOPWORDS = frozenset(
    [
        "de",
        "la",
        "le",
        "les",
        "des",
        "du",
        "et",
        "en",
        "un",
        "une",
        "pour",
        "par",
        "pas",
        "ne",
        "que",
        "qui",
        "au",
        "aux",
        "sur",
        "dans",
        "est",
        "sont",
        "ce",
        "ces",
        "son",
        "sa",
        "ses",
        "leur",
        "il",
        "elle",
        "ils",
        "on",
        "nous",
        "vous",
        "el",
        "los",
        "las",
        "del",
        "y",
        "con",
        "por",
        "para",
        "una",
        "es",
        "se",
        "al",
        "sin",
        "lo",
        "su",
        "sus",
        "muy",
        "mas",
        "más",
    ]
)
#: English words that open or link clauses: a label containing one is a piece of a sentence.
_CLAUSE_WORDS = frozenset(
    [
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "can",
        "cannot",
        "could",
        "must",
        "should",
        "will",
        "would",
        "may",
        "might",
        "shall",
        "i",
        "we",
        "you",
        "he",
        "she",
        "it",
        "they",
        "me",
        "us",
        "him",
        "her",
        "them",
        "my",
        "our",
        "your",
        "his",
        "its",
        "their",
        "who",
        "whom",
        "whose",
        "which",
        "that",
        "what",
        "when",
        "where",
        "why",
        "how",
        "because",
        "although",
        "though",
        "while",
        "if",
        "unless",
        "than",
        "so",
        "but",
        "yet",
        "since",
        "until",
        "there",
        "here",
        "this",
        "these",
        "those",
        "nobody",
        "everyone",
        "someone",
        "anyone",
        "nothing",
        "everything",
        "need",
        "needs",
        "needed",
    ]
)
_NUMBER_WORDS = frozenset(
    [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "hundred",
        "hundreds",
        "thousand",
        "thousands",
        "million",
        "millions",
        "half",
        "dozen",
        "dozens",
        "several",
        "first",
        "second",
        "third",
    ]
)
_CLAUSE_RE = re.compile(r"[.,;:!?()\[\]\"“”«»/|]+|\s[-–—]+\s")
_TOKEN_RE = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*%?")  # "5%" stays one word


@functools.lru_cache(maxsize=65536)
def is_content_word(word: str) -> bool:
    """A word that can carry meaning in a label (not a stopword, not a bare number)."""
    return (
        len(word) >= 2
        and not word.rstrip("%").isdigit()
        and word not in STOPWORDS
        and word not in _FOREIGN_STOPWORDS
        and not word.endswith(("n't", "n’t"))
    )


@functools.lru_cache(maxsize=65536)
def lemma_key(word: str) -> str:
    """The key under which two forms of a word count as the same word (normalised input).

    The lexicon's lemma (noun first, then verb, adjective, adverb: "ministries" -> "ministry",
    "children" -> "child", "worked" -> "work"), then the light stemmer on top, so that
    "organisation" and "organising", or an unknown plural ("handovers"), still meet.
    """
    entry = lemmas(word)
    for pos in ("NOUN", "VERB", "ADJ", "ADV", "PROPN"):
        if pos in entry and entry[pos]:
            return stem(str(entry[pos][0]).casefold())
    return stem(word)


def content_stems(text: str) -> frozenset[str]:
    """Lemma keys of a text's content words: what "occurs in the theme" means for a label."""
    return _content_stems(text)


@functools.lru_cache(maxsize=65536)
def _content_stems(text: str) -> frozenset[str]:
    return frozenset(lemma_key(w) for w in map(_normalise_token, _TOKEN_RE.findall(text)) if is_content_word(w))


@functools.lru_cache(maxsize=65536)
def _normalise_token(token: str) -> str:
    return normalise(token)


def _is_english(text: str) -> bool:
    """More English function words than French or Spanish ones (ties: English)."""
    words = [_normalise_token(t) for t in _TOKEN_RE.findall(text)]
    english = sum(w in STOPWORDS and w not in _FOREIGN_STOPWORDS for w in words)
    foreign = sum(w in _FOREIGN_STOPWORDS for w in words)
    return english >= foreign


@dataclass(frozen=True, slots=True)
class _Clause:
    words: tuple[str, ...]  # normalised
    shown: tuple[str, ...]  # as written


def _clauses(text: str) -> list[_Clause]:
    out = []
    for part in _CLAUSE_RE.split(text):
        shown = tuple(unicodedata.normalize("NFC", t) for t in _TOKEN_RE.findall(part))
        if shown:
            out.append(_Clause(tuple(_normalise_token(t) for t in shown), shown))
    return out


def _noun_like(word: str) -> bool:
    pos = parts_of_speech(word)
    return not pos or "NOUN" in pos or "PROPN" in pos


#: Words that follow a verb rather than a noun: a particle or the start of an object.
_AFTER_A_VERB = frozenset(
    ["over", "out", "up", "off", "down", "back", "away", "the", "a", "an", "their", "its", "his", "her", "them", "it"]
    + ["what", "how", "who", "whom", "where", "when", "why", "whether", "which"]
)
_OBJECTS = frozenset(["the", "a", "an", "their", "its", "his", "her", "them", "it", "this", "these", "those"])
_BE_FORMS = frozenset(["is", "are", "was", "were", "be", "been", "being", "am", "'s", "’s"])
_ARTICLES = frozenset(["the", "a", "an"])
#: Words after which an article still belongs to the same phrase ("lack of a plan").
_LINKS = frozenset(
    ["of", "in", "on", "for", "to", "with", "by", "from", "at", "across", "between", "among", "into", "and", "or", "over", "under"]
    + ["about", "through", "within", "without", "than", "like", "after", "before", "during", "against", "around", "beyond"]
)

#: Words after which the next one is a verb of the clause, not the start of a name.
_VERB_CONTEXT = frozenset(
    [
        "to",
        "it",
        "they",
        "we",
        "i",
        "you",
        "he",
        "she",
        "can",
        "cannot",
        "could",
        "must",
        "should",
        "will",
        "would",
        "may",
        "might",
        "shall",
        "who",
        "that",
        "which",
    ]
)


def _can_start(word: str, before: str | None) -> bool:
    """A label starts on what can open a noun phrase ("Heat maps", "Slow UN bureaucracy"),
    an "-ing" form ("Working in silos"), or a verb opening its clause ("Adopt a just culture").
    """
    if before in _VERB_CONTEXT:
        return False
    pos = parts_of_speech(word)
    if not pos or pos & {"NOUN", "PROPN", "ADJ"} or word.endswith("ing"):
        return True
    return "VERB" in pos and before is None


def _capitalised(shown: str) -> bool:
    return shown[:1].isupper()


def _reads_as_name(clause: _Clause, start: int, stop: int) -> bool:
    """Whether ``clause.words[start:stop]`` can stand alone as a label (see module docstring)."""
    words, shown = clause.words, clause.shown
    first, last = words[start], words[stop - 1]
    if first[:1].isdigit() or last.isdigit() or any(w in _NUMBER_WORDS for w in words[start:stop]):
        return False  # "Two years", "Cash arrives two years": a detail, not the point
    if not _can_start(first, words[start - 1] if start else None):
        return False
    if any(w in _CLAUSE_WORDS or w.endswith(("n't", "n’t")) for w in words[start:stop]):
        return False
    if not _noun_like(last):
        return False
    before = words[stop - 2]
    if (
        "VERB" in parts_of_speech(last)
        and not last.endswith("s")
        and before.endswith("s")
        and not before.endswith("ss")
        and _noun_like(before)
        and stop - 2 >= start
    ):
        return False  # "test results fall": a plural noun, then its verb
    if last.endswith("ing") and "VERB" in parts_of_speech(last) and stop - 2 >= start and _noun_like(before):
        return False  # "elderly people living": a noun, then a participle
    if stop < len(words) and words[stop] in _OBJECTS and "VERB" in parts_of_speech(last) and not _capitalised(shown[stop - 1]):
        return False  # "flaky tests and fix" them: a verb cut from its object
    if any(_verb_after_noun(words, i) for i in range(start + 1, stop)):
        return False  # "every nurse hands over", "the form takes 30 minutes": a noun, then its verb
    if first.endswith("ing") and start and words[start - 1] in _BE_FORMS:
        return False  # "burnout is driving experienced nurses out": the clause's verb, not a gerund
    if any(_inner_verb(words, i) for i in range(start + 1, stop - 1)):
        return False  # "Peacebuilding Fund let partners share risk": a clause, not a name
    opens_on_verb = "VERB" in parts_of_speech(first)  # "Adopt a just culture", "Monitor the tensions"
    if any(
        words[i] in _ARTICLES and words[i - 1] not in _LINKS and not (i == start + 1 and opens_on_verb) for i in range(start + 1, stop - 1)
    ):
        return False  # "make inclusive state institutions the shared goal": two phrases side by side
    if stop < len(words) and words[stop - 2] in ("and", "or") and is_content_word(words[stop]) and words[stop] not in _LINKS:
        return False  # "goal of diplomatic and development" support: a coordination cut from its noun
    # Do not cut a capitalised name ("World Bank", "Peacebuilding Fund") in two.
    if start > 1 and _capitalised(shown[start]) and _capitalised(shown[start - 1]):
        return False
    return not (stop < len(words) and _capitalised(shown[stop - 1]) and _capitalised(shown[stop]) and stop - 1 > 0)


def _verb_after_noun(words: tuple[str, ...], i: int) -> bool:
    """``words[i]`` is a singular noun's verb: it can be a verb ending in -s, follows a noun
    not in the plural, and is followed by its particle, its object or a number."""
    word, before = words[i], words[i - 1]
    after = words[i + 1] if i + 1 < len(words) else ""
    return (
        word.endswith("s")
        and (after in _AFTER_A_VERB or after[:1].isdigit())
        and "VERB" in parts_of_speech(word)
        and not before.endswith("s")
        and _noun_like(before)
    )


def _inner_verb(words: tuple[str, ...], i: int) -> bool:
    """``words[i]`` can only be a verb (not a participle), and it does not follow a plural
    subject as in a headline ("Partners equip armies in the Sahel")."""
    word = words[i]
    return parts_of_speech(word) == {"VERB"} and not word.endswith(("ing", "ed", "en")) and not is_plural_noun(words[i - 1])


def theme_labels(themes: Sequence[Sequence[str]], section: Sequence[str]) -> list[str]:
    """One label per theme, from its statements (representative first, each distinct once).

    ``section`` holds every distinct statement the themes were formed from (hidden ones
    included): the background that tells a theme's own words from everybody's words.
    """
    document_frequency: Counter[str] = Counter()
    for text in section:
        document_frequency.update(content_stems(text))
    total = max(len(section), 1)
    return [_label(statements, document_frequency, total) for statements in themes]


def _label(statements: Sequence[str], document_frequency: Counter[str], total: int) -> str:
    if not statements:
        return "Other"
    used: Counter[str] = Counter()
    for text in statements:
        used.update(content_stems(text))
    if not used:
        return "Other"
    weight = {s: (count / len(statements)) ** 2 * math.log(1 + total / max(document_frequency[s], count)) for s, count in used.items()}
    english = [i for i, text in enumerate(statements) if _is_english(text)]
    everything = range(len(statements))
    attempts = [(english, True, ANCHORS), (english, True, len(weight))] if english else []
    for indices, strict, anchors in [*attempts, (everything, False, ANCHORS)]:
        phrase = _best_phrase(statements, indices, weight, strict=strict, anchors=anchors)
        if phrase is not None:
            return phrase
    top = sorted(weight, key=lambda s: (-round(weight[s], 9), s))[:2]
    return _display(tuple(_surface(statements, s) for s in top), joiner=" and ", names=False)


def _best_phrase(
    statements: Sequence[str],
    indices: Sequence[int],
    weight: dict[str, float],
    *,
    strict: bool,
    anchors: int,
) -> str | None:
    """The best-scoring candidate phrase of the statements at ``indices``, or None.

    ``strict``: only phrases that read as a name (:func:`_reads_as_name`). A phrase starts
    and ends on one of the theme's ``anchors`` heaviest words, so it is about the theme's
    subject rather than a fragment ending on a passing word.
    """
    cost = WORD_COST * max(weight.values())
    ends = set(sorted(weight, key=lambda s: (-round(weight[s], 9), s))[:anchors])

    # Candidate phrases: runs of consecutive words inside a clause, content word at each end.
    found: dict[tuple[str, ...], Counter[tuple[str, ...]]] = {}
    sources: dict[tuple[str, ...], set[int]] = {}
    for index in indices:
        for clause in _clauses(statements[index]):
            words = clause.words
            for start in range(len(words)):
                if not is_content_word(words[start]) or lemma_key(words[start]) not in ends:
                    continue
                for stop in range(start + 2, min(start + MAX_LABEL_WORDS, len(words)) + 1):
                    if not is_content_word(words[stop - 1]) or lemma_key(words[stop - 1]) not in ends:
                        continue
                    if strict and not _reads_as_name(clause, start, stop):
                        continue
                    key = tuple(lemma_key(w) for w in words[start:stop] if is_content_word(w))
                    found.setdefault(key, Counter())[clause.shown[start:stop]] += 1
                    sources.setdefault(key, set()).add(index)
    if not found:
        return None

    def score(key: tuple[str, ...]) -> float:
        value = sum(weight[s] for s in set(key)) - cost * min(len(w) for w in found[key])
        return value * (SHARED_PHRASE_BONUS if len(sources[key]) >= 2 and value > 0 else 1.0)

    best = min(found, key=lambda k: (-round(score(k), 9), len(k), k))
    wording = min(found[best].items(), key=lambda kv: (-kv[1], len(kv[0]), [w.casefold() for w in kv[0]], kv[0]))[0]
    return _display(wording)


def _surface(statements: Sequence[str], wanted: str) -> str:
    """The most frequent written form of a lemma key in the statements."""
    forms: Counter[str] = Counter()
    for text in statements:
        for token in _TOKEN_RE.findall(text):
            word = _normalise_token(token)
            if is_content_word(word) and lemma_key(word) == wanted:
                forms[unicodedata.normalize("NFC", token)] += 1
    return min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _kept_as_written(word: str) -> bool:
    """An acronym ("SBAR") or a name with a capital inside ("ChatGPT", "eHealth")."""
    return len(word) > 1 and (word.isupper() or any(c.isupper() for c in word[1:]))


def _display(words: tuple[str, ...], joiner: str = " ", *, names: bool = True) -> str:
    """The phrase as written, first letter capitalised: later words keep a capital they were
    written with (names, acronyms: "World Bank", "SBAR"; no later word of a label opens a
    sentence; ``names=False`` for words gathered from anywhere in a statement), other words are
    lower-cased, and so is the first word unless it is an acronym."""
    shown = [w if _kept_as_written(w) or (names and i > 0 and w[:1].isupper()) else w.lower() for i, w in enumerate(words)]
    text = joiner.join(shown)
    return text[:1].upper() + text[1:]
