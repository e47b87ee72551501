"""lemminflect's English lemma table, kept as one sorted text instead of 70,000 small dicts.

lemminflect reads its table (``lemma_lu.csv.gz``: word, category, spellings; 80,000 lines) into
a dict of dicts of tuples, which holds about 33 MB for good once the first draft has looked a
word up. Here the same lines stay as one string sorted by word, with the offset of each line
(about 2 MB); a lookup is a binary search and builds the very entry lemminflect would have
stored ({part of speech: spellings}). Everything else of lemminflect (its overrides,
capitalisation, the parts of speech it knows) is used as it is, on top of this table.
"""

from __future__ import annotations

import bisect
import gzip
from array import array
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from lemminflect import Lemmatizer  # type: ignore[import-untyped]
from lemminflect.core.LexicalUtils import categoryToUPos  # type: ignore[import-untyped]

Entry = dict[str, tuple[str, ...]]


class Lemmatizing(Protocol):
    """What the labels use of lemminflect's ``Lemmatizer``."""

    def getAllLemmas(self, word: str, upos: str | None = None) -> Entry: ...  # noqa: N802 - lemminflect's name


class LemmaTable:
    """The table, answering ``get(word, default)`` as lemminflect's dict does."""

    def __init__(self, lines: Iterable[str]) -> None:
        rows = [line.strip() for line in lines if line.strip()]
        rows.sort(key=_word)  # stable: lines of one word keep their order (the later one wins, as in lemminflect)
        self._text = "\n".join(rows)
        self._starts = array("I")
        offset = 0
        for row in rows:
            self._starts.append(offset)
            offset += len(row) + 1

    @classmethod
    def load(cls, path: str | Path) -> LemmaTable:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            return cls(lines)

    def __len__(self) -> int:
        return len(self._starts)

    def get(self, word: str, default: Mapping[str, tuple[str, ...]] | None = None) -> Mapping[str, tuple[str, ...]] | None:
        """{universal part of speech: spellings of the lemma} for ``word``, or ``default``."""
        index = bisect.bisect_left(range(len(self._starts)), word, key=self._word_at)
        entry: Entry = {}
        while index < len(self._starts) and self._word_at(index) == word:
            _word_again, category, spellings = self._line(index).split(",")
            entry[categoryToUPos(category)] = tuple(spellings.split("/"))
            index += 1
        return entry if entry else default

    def _line(self, index: int) -> str:
        start = self._starts[index]
        end = self._text.find("\n", start)
        return self._text[start:] if end < 0 else self._text[start:end]

    def _word_at(self, index: int) -> str:
        start = self._starts[index]
        return self._text[start : self._text.index(",", start)]


def _word(line: str) -> str:
    return line.split(",", 1)[0]


class CompactLemmatizer(Lemmatizer):  # type: ignore[misc]
    """A lemminflect ``Lemmatizer`` reading this table (its other data as it ships).

    lemminflect loads its table in ``_getLemmaDict``; this answers from the compact table there,
    which is the one change (lemminflect is pinned to 0.2.x in pyproject.toml, and
    tests/test_lemma_table.py compares every entry with lemminflect's own reading)."""

    def _getLemmaDict(self) -> LemmaTable:  # noqa: N802 - lemminflect's name
        table: LemmaTable | None = getattr(self, "compact_table", None)
        if table is None:
            table = self.compact_table = LemmaTable.load(self.lemma_lu_fn)
        return table


def compact_lemmatizer() -> Lemmatizing:
    """lemminflect's lemmatizer on the compact table (this module is imported on first use)."""
    lemmatizer: Lemmatizing = CompactLemmatizer()
    return lemmatizer
