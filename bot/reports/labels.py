"""Theme labels a person would write: a short phrase taken from the theme's own statements.

A label is a run of 2 to :data:`MAX_LABEL_WORDS` consecutive words of one of the theme's
statements (within one clause, starting and ending on a content word), e.g. "Donors working
in silos" or "structured handover tool". It never names a concept nobody used: every content
word of a label occurs, after stemming, in the theme.

How the phrase is chosen:

1. Each content word (stem) of the theme gets a weight: the squared share of the theme's
   statements that use it times its inverse document frequency over the whole section (a
   word one statement in ten uses weighs a hundredth of one all use), so words that
   every theme uses ("need", "more") weigh little. The section's statements include hidden
   ones, so hiding a contribution changes no other theme's label.
2. Every candidate phrase scores the weights of its distinct content stems, minus a small
   cost per word (so a phrase grows only by words that matter), times a bonus when two or
   more statements use the same content words in the same order ("donors keep working in
   silos", "donors working in silos").
3. The best phrase is shown in its most frequent wording, acronyms kept in capitals, first
   letter capitalised. Ties go to the shorter, then alphabetically first phrase: the same
   input always gives the same label.

If no candidate of two words or more exists (a theme of one-word statements), the two
heaviest words are joined with "and". A theme with no content word at all is "Other".
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

#: Words at most in a label.
MAX_LABEL_WORDS = 6
#: Cost of each word of a phrase, as a share of the theme's heaviest word's weight.
WORD_COST = 0.15
#: The theme's heaviest words a phrase may start or end on.
ANCHORS = 6
#: Bonus factor for a phrase that two or more statements share (after stemming).
SHARED_PHRASE_BONUS = 1.5

#: Function words of the other languages participants write in, for phrase boundaries only.
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
_CLAUSE_RE = re.compile(r"[.,;:!?()\[\]\"“”«»/|]+|\s[-–—]+\s")
_TOKEN_RE = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@functools.lru_cache(maxsize=65536)
def is_content_word(word: str) -> bool:
    """A word that can carry meaning in a label (not a stopword, not a bare number)."""
    return len(word) >= 2 and not word.isdigit() and word not in STOPWORDS and word not in _FOREIGN_STOPWORDS


def content_stems(text: str) -> frozenset[str]:
    """Stems of a text's content words: what "occurs in the theme" means for a label."""
    return _content_stems(text)


@functools.lru_cache(maxsize=65536)
def _content_stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in map(_normalise_token, _TOKEN_RE.findall(text)) if is_content_word(w))


@functools.lru_cache(maxsize=65536)
def _normalise_token(token: str) -> str:
    return normalise(token)


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
    cost = WORD_COST * max(weight.values())
    # A phrase starts and ends on one of the theme's heaviest words, so it is about the
    # theme's subject rather than a fragment ending on a passing verb.
    anchors = set(sorted(weight, key=lambda s: (-round(weight[s], 9), s))[:ANCHORS])

    # Candidate phrases: runs of consecutive words inside a clause, content word at each end.
    found: dict[tuple[str, ...], Counter[tuple[str, ...]]] = {}
    sources: dict[tuple[str, ...], set[int]] = {}
    for index, text in enumerate(statements):
        for clause in _clauses(text):
            words = clause.words
            for start in range(len(words)):
                if not is_content_word(words[start]) or stem(words[start]) not in anchors:
                    continue
                for stop in range(start + 2, min(start + MAX_LABEL_WORDS, len(words)) + 1):
                    if not is_content_word(words[stop - 1]) or stem(words[stop - 1]) not in anchors:
                        continue
                    key = tuple(stem(w) for w in words[start:stop] if is_content_word(w))
                    found.setdefault(key, Counter())[clause.shown[start:stop]] += 1
                    sources.setdefault(key, set()).add(index)

    def score(key: tuple[str, ...]) -> float:
        value = sum(weight[s] for s in set(key)) - cost * min(len(w) for w in found[key])
        return value * (SHARED_PHRASE_BONUS if len(sources[key]) >= 2 and value > 0 else 1.0)

    if found:
        best = min(found, key=lambda k: (-round(score(k), 9), len(k), k))
        wording = min(found[best].items(), key=lambda kv: (-kv[1], len(kv[0]), [w.casefold() for w in kv[0]], kv[0]))[0]
        return _display(wording)
    top = sorted(weight, key=lambda s: (-round(weight[s], 9), s))[:2]
    return _display(tuple(_surface(statements, s) for s in top), joiner=" and ")


def _surface(statements: Sequence[str], wanted: str) -> str:
    """The most frequent written form of a stem in the statements."""
    forms: Counter[str] = Counter()
    for text in statements:
        for token in _TOKEN_RE.findall(text):
            if is_content_word(_normalise_token(token)) and stem(_normalise_token(token)) == wanted:
                forms[unicodedata.normalize("NFC", token)] += 1
    return min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _display(words: tuple[str, ...], joiner: str = " ") -> str:
    """Acronyms keep their capitals; other words are lower-cased; the first letter is capital."""
    shown = [w if (w.isupper() and len(w) > 1) else w.lower() for w in words]
    text = joiner.join(shown)
    return text[:1].upper() + text[1:]
