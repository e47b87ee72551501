"""The compact lemma table (bot.reports.lemma_table) answers exactly as lemminflect's own."""

from __future__ import annotations

import lemminflect  # type: ignore[import-untyped]
from lemminflect import config
from lemminflect.codecs.LemmaLUCodec import LemmaLUCodec  # type: ignore[import-untyped]

from bot.reports.lemma_table import LemmaTable, compact_lemmatizer


def test_every_entry_of_the_shipped_table_reads_as_lemminflect_reads_it() -> None:
    theirs = LemmaLUCodec.load(config.lemma_lu_fn)
    ours = LemmaTable.load(config.lemma_lu_fn)
    assert len(theirs) > 60_000  # the real table, not an empty file
    assert [word for word, entry in theirs.items() if ours.get(word, {}) != entry] == []
    for unknown in ("", "zzzz", "a,b", "\uffff", "mini"):
        if unknown not in theirs:
            assert ours.get(unknown, {}) == {}


def test_lines_of_one_word_merge_in_file_order_whatever_the_sorting() -> None:
    table = LemmaTable(["saw,verb,see", "ran,verb,run", "saw,noun,saw", "saw,verb,saw", "", "abc,adj,abc"])
    assert table.get("saw") == {"VERB": ("saw",), "NOUN": ("saw",)}  # the later verb line wins, as in lemminflect
    assert table.get("ran") == {"VERB": ("run",)}
    assert table.get("abc") == {"ADJ": ("abc",)}
    assert table.get("zzz") is None and table.get("a") is None and len(table) == 5


def test_the_lemmatizer_on_the_table_gives_lemminflect_s_answers() -> None:
    ours = compact_lemmatizer()
    for word in ("ministries", "children", "worked", "Children", "UN", "well-connected", "organising", "silos", "qwertyuiop"):
        assert ours.getAllLemmas(word) == lemminflect.getAllLemmas(word), word
