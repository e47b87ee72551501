"""What the English lexicon says a word can be, for the labels and the prose.

One lookup for both: lemminflect's lemma table (``bot.reports.lemma_table``, loaded on the first
lookup, not when the bot starts) answers {part of speech: lemmas} for a lower-case word. The
labels use it to end a phrase on a noun; the prose uses it to tell an instruction ("Plant more
trees") from a subject and its verb ("Basements flood") without a tagger.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.reports.lemma_table import Lemmatizing


@functools.lru_cache(maxsize=65536)
def lemmas(word: str) -> dict[str, tuple[str, ...]]:
    """The English lemma table's entry for ``word``: {part of speech: lemmas}, {} if unknown.

    Imported on first use (about 0.3 s, and 0.15 s to read the table), not when the bot starts.
    """
    found: dict[str, tuple[str, ...]] = _lemmatizer().getAllLemmas(word)
    return found


@functools.cache
def _lemmatizer() -> Lemmatizing:
    """lemminflect's lemmatizer on the compact table (bot.reports.lemma_table: 33 → 3 MB)."""
    from bot.reports.lemma_table import compact_lemmatizer

    return compact_lemmatizer()


@functools.lru_cache(maxsize=65536)
def parts_of_speech(word: str) -> frozenset[str]:
    """What the English lexicon says ``word`` (normalised) can be; empty when it does not know
    it. A hyphenated word it does not know is what its last part is ("well-connected")."""
    return frozenset(_entry(word))


def is_verb_base(word: str) -> bool:
    """``word`` can be a verb's bare form ("plant", "flag", "ring-fence"): an instruction can
    start with it, and after a plural subject it is the verb ("basements flood")."""
    return word in _entry(word).get("VERB", ())


def is_plural_noun(word: str) -> bool:
    """``word`` can be a noun in the plural ("basements", "families"): its lemma differs."""
    nouns = _entry(word).get("NOUN", ())
    return bool(nouns) and word not in nouns


def _entry(word: str) -> dict[str, tuple[str, ...]]:
    found = lemmas(word)
    if not found and "-" in word:
        last = word.rsplit("-", 1)[1]
        found = {pos: tuple(word.rsplit("-", 1)[0] + "-" + lemma for lemma in forms) for pos, forms in lemmas(last).items()}
    return found
