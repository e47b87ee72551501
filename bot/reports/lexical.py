"""Words of a statement: normalising, stopwords, a light stemmer, and TF-IDF vectors over them.

Shared by the near-duplicate check, the phrase labels, the optional domain packs and the
word-based vectors (:class:`LexicalEmbedder`): the tie-breaker of last resort when no sentence
model can run, the word-TF-IDF baseline of the benchmark, and part of a domain pack's vectors.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.reports.embedding import l2_rows

if TYPE_CHECKING:  # imported where vectors are made: agendas check domain packs without numpy
    import numpy as np

#: Finds a domain pack's concepts in a normalised text and its words.
ConceptFinder = Callable[[str, list[str]], list[str]]

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
WORD_RE = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def normalise(text: str) -> str:
    """Lower-cased, accent-free, dash-unified text with single spaces."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).translate(_DASHES)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().split())


def duplicate_key(text: str) -> str:
    """Key under which two texts count as identical: letters and digits only."""
    return re.sub(r"[\W_]+", "", normalise(text))


STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "almost",
        "also",
        "although",
        "always",
        "am",
        "among",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "either",
        "else",
        "enough",
        "even",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let",
        "like",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "mustn't",
        "my",
        "myself",
        "neither",
        "never",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "often",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "others",
        "otherwise",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "quite",
        "rather",
        "really",
        "same",
        "shall",
        "she",
        "should",
        "shouldn't",
        "since",
        "so",
        "some",
        "still",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they're",
        "this",
        "those",
        "though",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "via",
        "was",
        "wasn't",
        "we",
        "we're",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "won't",
        "would",
        "wouldn't",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "need",
        "needs",
        "needed",
        "make",
        "makes",
        "made",
        "get",
        "gets",
        "got",
        "take",
        "takes",
        "taken",
        "give",
        "gives",
        "given",
        "put",
        "use",
        "used",
        "using",
        "way",
        "ways",
        "thing",
        "things",
        "lot",
        "lots",
        "many",
        "much",
        "well",
        "good",
        "better",
        "best",
        "new",
        "first",
        "second",
        "third",
        "real",
        "really",
        "key",
        "important",
        "importance",
        "example",
        "instance",
        "case",
        "cases",
        "time",
        "times",
        "point",
        "points",
        "issue",
        "issues",
        "kind",
        "sort",
        "seem",
        "seems",
        "seen",
        "say",
        "says",
        "said",
        "think",
        "see",
        "sees",
        "mean",
        "means",
        "going",
        "go",
        "goes",
        "gone",
        "come",
        "comes",
        "came",
        "keep",
        "keeps",
        "kept",
        "end",
        "ends",
        "actually",
        "happen",
        "happens",
        "happened",
        "work",
        "works",
        "worked",
        "working",
        "part",
        "parts",
        "able",
        "anything",
        "everything",
        "something",
        "nothing",
        "nobody",
        "anybody",
        "somebody",
        "everybody",
        "anyone",
        "someone",
        "whole",
        "want",
        "wants",
        "wanted",
        "try",
        "tries",
        "tried",
        "tend",
        "tends",
        "already",
        "around",
        "across",
        "back",
        "even",
        "less",
        "least",
        "let's",
        "lets",
        "rarely",
        "simply",
        "instead",
        "often",
        "usually",
        "truly",
    ]
)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stemmer: enough to fold plurals and common verb/noun endings."""
    w = word.replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in (
        "isations",
        "izations",
        "isation",
        "ization",
        "ations",
        "ation",
        "ments",
        "ment",
        "ings",
        "ing",
        "ised",
        "ized",
        "ises",
        "izes",
        "ise",
        "ize",
        "ed",
        "ly",
        "ities",
        "ity",
        "al",
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            break
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]  # planning -> plann -> plan
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    return WORD_RE.findall(normalise(text).replace("-", " "))


@functools.lru_cache(maxsize=65536)
def _word_grams(word: str) -> tuple[str, ...]:
    """Character 3-, 4- and 5-grams of ``<word>``."""
    padded = f"<{word}>"
    return tuple(padded[i : i + size] for size in (3, 4, 5) for i in range(len(padded) - size + 1))


def _tfidf_block(docs: list[list[str]], max_features: int, min_df: int) -> np.ndarray:
    """Dense sublinear TF-IDF, L2-normalised rows, over features kept by document frequency.

    Features seen in fewer than ``min_df`` documents cannot make two documents similar, so
    they are dropped (they would only shrink every cosine); the ``max_features`` most
    frequent ones are kept, ties broken alphabetically for determinism.
    """
    import numpy as np

    n = len(docs)
    df: Counter[str] = Counter()
    for feats in docs:
        df.update(set(feats))
    kept = [f for f, c in df.items() if c >= min_df]
    kept.sort(key=lambda f: (-df[f], f))
    kept = kept[:max_features]
    if not kept:
        return np.zeros((n, 1), dtype=np.float32)
    column = {f: j for j, f in enumerate(kept)}
    idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in kept], dtype=np.float32)
    rows: list[int] = []
    cols: list[int] = []
    tfs: list[int] = []
    for i, feats in enumerate(docs):
        counts = Counter(column[f] for f in feats if f in column)
        rows.extend([i] * len(counts))
        cols.extend(counts.keys())
        tfs.extend(counts.values())
    matrix = np.zeros((n, len(kept)), dtype=np.float32)
    matrix[rows, cols] = 1.0 + np.log(np.asarray(tfs, dtype=np.float32))
    matrix *= idf
    return l2_rows(matrix)


class LexicalEmbedder:
    """TF-IDF over stems and character n-grams, plus a domain pack's concepts when given.

    Fitted on the texts it is given (document frequencies come from the batch), so it needs
    no data files. Each feature family (stems, character n-grams, concepts) is
    TF-IDF-weighted and normalised on its own, then the blocks are concatenated with
    ``weights`` and the rows normalised again. Features seen in a single text are dropped
    (they cannot make two texts similar), at most ``max_features`` per family are kept, so
    the width stays bounded whatever n is. A text with no kept feature gets a zero row;
    :func:`group_texts` makes it a theme of its own.
    """

    def __init__(
        self,
        *,
        concepts: ConceptFinder | None = None,
        weights: tuple[float, float, float] = (1.0, 0.6, 2.0),
        max_features: int = 2048,
        name: str | None = None,
    ) -> None:
        self.concepts = concepts
        self.weights = weights if concepts is not None else (weights[0], weights[1], 0.0)
        self.max_features = max_features
        self.name = name or ("lexical-concepts" if concepts is not None else "lexical")

    def features(self, text: str) -> tuple[list[str], list[str], list[str]]:
        norm = normalise(text)
        all_words = WORD_RE.findall(norm.replace("-", " "))
        words = [w for w in all_words if w not in STOPWORDS and not w.isdigit()]
        stems = [stem(w) for w in words]
        grams = [g for w in words for g in _word_grams(w)]
        return stems, grams, (self.concepts(norm, all_words) if self.concepts else [])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        n = len(texts)
        if n == 0:
            return np.zeros((0, 1), dtype=np.float32)
        feats = [self.features(t) for t in texts]
        min_df = 2 if n > 2 else 1
        blocks = []
        for family, weight in enumerate(self.weights):
            if weight <= 0:
                continue
            block = _tfidf_block([f[family] for f in feats], self.max_features, min_df)
            blocks.append(block * np.float32(weight))
        return l2_rows(np.hstack(blocks))
