"""Theme grouping: partition, determinism, duplicates, hiding, labels and measured quality.

Structure and duplicate tests use word vectors (:class:`LexicalEmbedder`, no model needed,
fast); quality, labels and determinism use the product's method on both evaluation sets
(tests/theme_eval.py), with the sentence model's vectors computed once per module.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from bot.reports import themes
from bot.reports.clustering import MAX_DIRECT
from bot.reports.domain_packs import concept_finder
from bot.reports.embedding import MiniLMEmbedder, ModelUnavailable, decode_vector, encode_vector, sentence_model
from bot.reports.labels import MAX_LABEL_WORDS, content_stems, is_content_word, theme_labels
from bot.reports.lexical import LexicalEmbedder, normalise, stem
from bot.reports.themes import Embedder, GroupItem, ThemeGroup, group_texts, make_grouper
from tests.theme_eval import (
    EVAL_SETS,
    adjusted_rand_index,
    by_kind,
    load_eval,
    method_groups,
    predicted_labels,
    tfidf_groups,
    within_kind_ari,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Within-kind ARI of the default method as measured with the code as committed (bench/README.md):
# peace-security 0.297 (tuned on it), general 0.298 (held out); word TF-IDF 0.04 and 0.06.
# The target is 0.45 on both: NOT reached by the domain-general method. These floors
# guard against regressions (a few points of margin for BLAS rounding between machines).
MIN_ARI = {"peace-security": 0.27, "general": 0.27}
#: With the peace-security pack enabled, on its own domain (measured 0.514).
MIN_PACK_ARI = 0.45
#: The default method must beat keyword overlap by at least this much on both sets.
MIN_GAIN_OVER_TFIDF = 0.1


def assert_partition(groups: list[ThemeGroup], n: int, hidden: set[int] = frozenset()) -> None:
    seen = [i for g in groups for i in g.items]
    assert sorted(seen) == [i for i in range(n) if i not in hidden], "every visible index exactly once"
    for g in groups:
        assert g.items, "no empty theme"
        merged = [i for copies in g.duplicates.values() for i in copies]
        assert len(merged) == len(set(merged))
        assert set(g.duplicates) <= set(g.items)
        assert set(merged) <= set(g.items)
        assert not set(merged) & set(g.duplicates), "a merged statement keeps no duplicates"
        assert g.representative not in merged, "the representative is a kept statement"


def as_plain(groups: list[ThemeGroup]) -> list:
    return [[g.label, g.items, sorted(g.duplicates.items())] for g in groups]


@pytest.fixture(scope="module")
def eval_rows() -> list[dict]:
    return load_eval("peace-security")


@pytest.fixture(scope="module")
def lexical() -> LexicalEmbedder:
    """Word vectors with the peace-security pack: fast, and good enough on the peace set
    for the structural tests to see themes."""
    return LexicalEmbedder(concepts=concept_finder("peace-security"))


@pytest.fixture(scope="module")
def sets() -> dict[str, tuple[list[dict], np.ndarray]]:
    """Both evaluation sets with their model vectors, stored and read back as the bot does."""
    model = sentence_model()
    out = {}
    for name in EVAL_SETS:
        rows = load_eval(name)
        vectors = model.embed([r["text"] for r in rows])
        out[name] = (rows, np.vstack([decode_vector(encode_vector(v)) for v in vectors]))
    return out


# --------------------------------------------------------------------------------------------
# The evaluation sets themselves


@pytest.mark.parametrize("name", sorted(EVAL_SETS))
def test_eval_set_shape(name):
    rows = load_eval(name)
    assert len(rows) >= 150
    per_theme = {}
    for r in rows:
        per_theme.setdefault(r["theme"], []).append(r["kind"])
    assert len(per_theme) >= 8
    for kinds in per_theme.values():
        assert len(kinds) >= 10
        assert 0.3 <= kinds.count("challenge") / len(kinds) <= 0.7, "roughly half challenges"
    assert {r["kind"] for r in rows} == {"challenge", "recommendation"}
    assert all(r["text"].strip() for r in rows)
    assert len({r["text"] for r in rows}) == len(rows), "copies are edited, not verbatim"


def test_general_set_is_far_from_peace_and_security():
    rows = load_eval("general")
    assert {r["domain"] for r in rows} == {"climate", "hospital"}
    peace_words = {"donor", "peace", "security", "conflict", "humanitarian", "military"}
    assert not any(peace_words & {stem(w) for w in normalise(r["text"]).split()} for r in rows)
    french_or_spanish = [r for r in rows if any(w in normalise(r["text"]).split() for w in ("les", "los", "las", "une", "una", "cada"))]
    assert len(french_or_spanish) >= 6


# --------------------------------------------------------------------------------------------
# Structure


def test_every_index_in_exactly_one_theme(eval_rows, lexical):
    texts = [r["text"] for r in eval_rows]
    groups = group_texts(texts, embedder=lexical)
    assert_partition(groups, len(texts))
    sizes = [g.count for g in groups]
    assert sizes == sorted(sizes, reverse=True), "largest first"


def test_partition_with_odd_inputs(lexical):
    texts = [
        "",
        "   ",
        "",
        "!!!",
        "Donors work in silos.",
        "donors work in silos",
        "1234",
        "Leadership matters.",
        "é",
        "Leadership matters!",
        "x" * 5000,
        "4321",
    ]
    groups = group_texts(texts, embedder=lexical)
    assert_partition(groups, len(texts))
    alone = [g for g in groups if set(g.items) & {6, 11}]
    assert len(alone) == 2 and all(len(g.items) == 1 for g in alone), "no usable word: alone"


def test_featureless_texts_do_not_join_a_theme(lexical):
    from bench.bench_themes import synthetic

    texts, _ = synthetic(MAX_DIRECT + 100)
    texts += ["123", "456", "789"]
    groups = group_texts(texts, embedder=lexical)
    assert_partition(groups, len(texts))
    for i in range(len(texts) - 3, len(texts)):
        assert next(g for g in groups if i in g.items).items == [i]


def test_large_input_takes_the_scalable_path(lexical):
    from bench.bench_themes import synthetic

    texts, truth = synthetic(3 * MAX_DIRECT)
    start = time.perf_counter()
    groups = group_texts(texts, embedder=lexical)
    elapsed = time.perf_counter() - start
    assert_partition(groups, len(texts))
    assert elapsed < 20, f"{elapsed:.1f}s for {len(texts)} texts"
    assert adjusted_rand_index(truth, predicted_labels(groups, len(texts))) > 0.3


def test_huge_theme_looks_for_duplicates_per_micro_cluster(monkeypatch):
    from bench.bench_themes import synthetic

    class OneDirection:
        name = "one-direction"

        def embed(self, texts):
            return np.ones((len(texts), 4), dtype=np.float32) / 2

    monkeypatch.setattr(themes, "NEAR_DUPLICATE_BLOCK", 300)
    texts, _ = synthetic(1000)
    groups = group_texts(texts, embedder=OneDirection())
    assert len(groups) == 1
    assert_partition(groups, len(texts))
    assert groups[0].duplicates


# --------------------------------------------------------------------------------------------
# Determinism


def test_large_input_is_deterministic(lexical):
    from bench.bench_themes import synthetic

    texts, _ = synthetic(2 * MAX_DIRECT)
    assert as_plain(group_texts(texts, embedder=lexical)) == as_plain(group_texts(texts, embedder=lexical))


# --------------------------------------------------------------------------------------------
# Duplicates


def test_near_duplicates_merged_with_counts(lexical):
    texts = [
        "Donors need to act as one collective rather than each in its own silo.",  # 0
        "Leadership is the missing ingredient.",  # 1
        "donors need to act as one collective, rather than each in its own silo",  # 2 exact key
        "Donors need to act as one collective rather than each in their own silo!",  # 3 edited
        "Early warning without early action is useless.",  # 4
        "Leadership is the missing ingredient",  # 5
        "Donors need to act as one collective rather than each in its own silo.",  # 6 verbatim
        "Security sector reform must come with accountability.",  # 7
    ]
    groups = group_texts(texts, embedder=lexical)
    assert_partition(groups, len(texts))
    donor = next(g for g in groups if 0 in g.items)
    assert donor.duplicates == {0: [2, 3, 6]}
    assert donor.count >= 4
    assert donor.items[:4] == [0, 2, 3, 6], "copies follow the statement they merged into"
    lead = next(g for g in groups if 1 in g.items)
    assert lead.duplicates == {1: [5]}


def test_different_points_on_one_topic_are_not_duplicates(lexical):
    texts = [
        "Reform the security sector with accountability at its core.",
        "Treat security sector reform as governance, not as equipment delivery.",
    ]
    groups = group_texts(texts, embedder=lexical)
    assert all(not g.duplicates for g in groups)


def test_surface_similarity_separates_copies_from_paraphrases():
    v = themes.surface_vectors(
        [
            "National ownership must be real, not a slogan.",
            "national ownership must be real - not just a slogan",
            "Ownership by the country has to be earned through real consultation.",
        ]
    )
    assert v[0] @ v[1] >= themes.DUPLICATE_SIMILARITY
    assert v[0] @ v[2] < themes.DUPLICATE_SIMILARITY


# --------------------------------------------------------------------------------------------
# Tiny inputs


def test_empty_input():
    assert group_texts([]) == []


def test_one_text(lexical):
    groups = group_texts(["Leadership is the missing ingredient."], embedder=lexical)
    assert len(groups) == 1 and groups[0].items == [0] and groups[0].label


def test_two_texts(lexical):
    groups = group_texts(["Leadership matters.", "Predictable funding is scarce."], embedder=lexical)
    assert_partition(groups, 2)


def test_two_identical_texts(lexical):
    groups = group_texts(["Leadership matters.", "leadership matters"], embedder=lexical)
    assert len(groups) == 1
    assert groups[0].items == [0, 1] and groups[0].duplicates == {0: [1]}


def test_one_text_needs_no_embedder():
    class Boom:
        name = "boom"

        def embed(self, texts):
            raise AssertionError("not needed")

    assert group_texts(["A", "a"], embedder=Boom())[0].items == [0, 1]


def test_hiding_one_changes_only_its_own_theme(sets):
    rows, vectors = sets["general"]
    indices = by_kind(rows)["recommendation"]
    items = [GroupItem(i, rows[i]["text"]) for i in indices]
    group = make_grouper({i: vectors[i] for i in indices})
    before = group(items)
    target = before[0].items[1]
    hidden = [GroupItem(it.key, it.text, hidden=(k == target)) for k, it in enumerate(items)]
    after = group(hidden)
    assert_partition(after, len(items), hidden={target})
    untouched_before = sorted(as_plain([g for g in before if target not in g.items]))
    touched = [g for g in after if set(g.items) <= set(before[0].items)]
    untouched_after = sorted(as_plain([g for g in after if g not in touched]))
    assert untouched_after == untouched_before, "other themes keep items, order and label"


def test_grouper_uses_stored_vectors_without_the_model(sets, monkeypatch):
    rows, vectors = sets["general"]
    indices = by_kind(rows)["challenge"]
    items = [GroupItem(i, rows[i]["text"]) for i in indices]
    expected = make_grouper({i: vectors[i] for i in indices})(items)

    def no_model():
        raise AssertionError("a draft with stored vectors must not embed")

    monkeypatch.setattr(themes, "sentence_model", no_model)
    assert as_plain(make_grouper({i: vectors[i] for i in indices})(items)) == as_plain(expected)


def test_unknown_domain_pack_is_ignored_not_fatal(sets, caplog):
    rows, vectors = sets["general"]
    texts = [r["text"] for r in rows[:20]]
    with caplog.at_level("WARNING", logger="bot.reports.themes"):
        groups = group_texts(texts, vectors=list(vectors[:20]), domain_pack="astrology")
    assert_partition(groups, 20)
    assert "astrology" in caplog.text and "peace-security" in caplog.text


# --------------------------------------------------------------------------------------------
# Determinism


def test_two_runs_are_equal(sets):
    rows, vectors = sets["peace-security"]
    texts = [r["text"] for r in rows]
    assert as_plain(group_texts(texts, vectors=list(vectors))) == as_plain(group_texts(texts, vectors=list(vectors)))


def test_same_groups_and_labels_in_other_processes():
    """Hash randomisation (PYTHONHASHSEED) and a fresh model load change nothing."""
    code = (
        "import json,sys; from bot.reports.themes import group_texts;"
        "rows=json.load(open(sys.argv[1]));"
        "g=group_texts([r['text'] for r in rows if r['kind']=='challenge']);"
        "print(json.dumps([[x.label,x.items,sorted(x.duplicates.items())] for x in g]))"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", code, str(EVAL_SETS["general"])], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] and len(json.loads(outputs[0])) > 3


# --------------------------------------------------------------------------------------------
# Labels


@pytest.mark.parametrize("name", sorted(EVAL_SETS))
def test_every_label_word_occurs_in_its_theme(sets, name):
    """Faithfulness: each content word of each label, lemmatised, is used by the theme."""
    rows, vectors = sets[name]
    checked = 0
    for indices in by_kind(rows).values():
        texts = [rows[i]["text"] for i in indices]
        for g in group_texts(texts, vectors=[vectors[i] for i in indices]):
            theme_words = set().union(*(content_stems(texts[i]) for i in g.items))
            label_words = content_stems(g.label)
            assert label_words, f"label {g.label!r} has a content word"
            assert label_words <= theme_words, f"{g.label!r}: {label_words - theme_words} not in its theme"
            assert 1 <= len(g.label.split()) <= MAX_LABEL_WORDS
            assert g.label[0].isupper()
            checked += 1
    assert checked >= 16


def test_label_is_a_phrase_from_the_statements():
    statements = [
        "Donors keep working in silos and never share plans.",
        "Too many donors working in silos, each with its own agenda.",
        "Bilateral donors duplicate each other's projects.",
    ]
    others = ["Slow UN bureaucracy delays every project.", "The UN bureaucracy is slow."]
    labels = theme_labels([statements, others], statements + others)
    assert labels[0] == "Donors working in silos"
    assert labels[1].startswith("Slow UN bureaucracy")


def test_label_never_names_an_absent_concept():
    statements = ["Funders compete for visibility.", "Embassies each fly their own flag."]
    label = theme_labels([statements], statements)[0]
    assert "donor" not in label.lower() and "coordination" not in label.lower()
    assert content_stems(label) <= content_stems(" ".join(statements))


#: Themes on which a plain "best-scoring run of words" label was a fragment (the label it gave).
_FRAGMENT_THEMES = {
    "Two years after the pledging": [
        "Cash arrives two years after the pledging conference.",
        "Two years between the pledge and the payment.",
        "Two years before any money reaches the field, by then the window has closed.",
        "Slow disbursement kills good projects.",
    ],
    "City plan contradict": [
        "The regional plan and the city plan contradict each other.",
        "City plan and regional plan contradict on where to build.",
        "Zoning rules and the city plan contradict each other.",
    ],
    "Test results fall": [
        "Pending test results fall through the cracks.",
        "Test results fall between shifts.",
        "Nobody follows up test results after discharge.",
    ],
    "Warnings only reach well-connected": [
        "Warnings reach the same well-connected people every time.",
        "Warnings only reach well-connected households.",
        "Heat warnings miss the isolated.",
    ],
    "World bank and regional organisations": [
        "The World Bank and the regional organisations deserve a seat.",
        "Give the World Bank and regional organisations a seat at the table.",
        "Regional organisations are left out.",
    ],
    "Enfermeras de noche están agotadas": [
        "Les équipes de nuit sont épuisées et les arrêts maladie se multiplient.",
        "Las enfermeras de noche están agotadas.",
        "Night teams are exhausted and sick leave keeps rising.",
    ],
    "Nurse hands": [
        "Every nurse hands over differently, there is no common format.",
        "Handwritten prescriptions are still misread, especially decimal points.",
        "Doctors and nurses hand over separately, so each group knows a different half.",
    ],
    "Driving experienced nurses": [
        "Burnout is driving experienced nurses out, and the juniors are left alone.",
        "Juniors don't dare to speak up when a senior makes a mistake.",
    ],
    "Form takes 30 minutes": [
        "Twelve-hour shifts back to back, people are exhausted and that's when mistakes happen.",
        "Residents work 80 h weeks and fall asleep driving home.",
        "The incident form takes 30 minutes, nobody has that time.",
    ],
    "Flaky tests and fix": [
        "Quarantine flaky tests and fix them within a week.",
        "Flaky tests block every merge.",
    ],
    "Assessment drives": [
        "Engagement drops when students feel anonymous.",
        "Assessment drives what students learn.",
    ],
    "Peacebuilding Fund let partners share risk": [
        "Pooled mechanisms such as the Peacebuilding Fund let partners share risk.",
        "Contribute unearmarked resources to joint funds.",
    ],
    "Inclusive state institutions the shared goal": [
        "Simplify approval rules so country teams can act together quickly.",
        "Make inclusive state institutions the shared goal of diplomatic and development support.",
    ],
}
_OTHER_THEME = ["Plant trees along every school route.", "Open cooling centres late into the evening."]


@pytest.mark.parametrize("fragment", sorted(_FRAGMENT_THEMES))
def test_label_is_not_a_fragment(fragment):
    """A label names the point: it does not end on a verb or an adjective, holds no number
    word, no auxiliary or pronoun, keeps names whole and in their capitals, and comes from an
    English statement when the theme has one."""
    statements = _FRAGMENT_THEMES[fragment]
    label = theme_labels([statements], statements + _OTHER_THEME)[0]
    assert label != fragment
    assert content_stems(label) <= content_stems(" ".join(statements)), label
    words = label.split()
    assert 2 <= len(words) <= MAX_LABEL_WORDS, label
    last = normalise(words[-1])
    assert last not in {"contradict", "fall", "well-connected", "two", "years"}, label
    assert not {"two", "can", "is", "are", "who", "that"} & {normalise(w) for w in words}, label
    assert "Bank" not in words or "World" in words, label
    assert "World bank" not in label, label
    assert not {"de", "las", "les"} & {normalise(w) for w in words}, label


def test_a_percentage_stays_whole():
    statements = ["Canary releases to 5% of users first.", "Canary releases to 5% of users, then everyone."]
    label = theme_labels([statements], statements + _OTHER_THEME)[0]
    assert "5%" in label or "5" not in label, label


def test_a_name_with_a_capital_inside_keeps_it():
    statements = ["ChatGPT essays everywhere, nobody can tell who wrote what.", "ChatGPT essays flood the take-home exams."]
    label = theme_labels([statements], statements + _OTHER_THEME)[0]
    assert "ChatGPT" in label, label


def test_labels_keep_names_and_acronyms():
    statements = ["Bring the World Bank into the SBAR handover.", "World Bank staff should join the SBAR handover."]
    label = theme_labels([statements], statements + _OTHER_THEME)[0]
    assert "World Bank" in label or "SBAR" in label, label
    assert label[0].isupper()


def test_label_of_one_word_statements():
    assert theme_labels([["Trees!", "More trees.", "Shade"]], ["Trees!", "More trees.", "Shade"]) == ["Trees and shade"]
    assert theme_labels([["!!!", "123"]], ["!!!", "123"]) == ["Other"]


def test_stopword_lists_cover_french_and_spanish():
    assert not is_content_word("les") and not is_content_word("los") and is_content_word("canicules")


# --------------------------------------------------------------------------------------------
# Quality, measured: within each kind, weighted by the kind's size


@pytest.mark.parametrize("name", sorted(EVAL_SETS))
def test_default_method_quality(sets, name):
    rows, vectors = sets[name]
    score = within_kind_ari(rows, method_groups(vectors))
    baseline = within_kind_ari(rows, tfidf_groups)
    assert score >= MIN_ARI[name], f"{name}: ARI {score:.3f}"
    assert score - baseline >= MIN_GAIN_OVER_TFIDF, f"{name}: {score:.3f} vs word TF-IDF {baseline:.3f}"


def test_domain_pack_quality_on_its_domain(sets):
    rows, vectors = sets["peace-security"]
    assert within_kind_ari(rows, method_groups(vectors, domain_pack="peace-security")) >= MIN_PACK_ARI


def test_ari_can_fail():
    truth = ["a", "a", "b", "b", "c", "c"]
    assert adjusted_rand_index(truth, [0, 0, 1, 1, 2, 2]) == 1.0
    assert adjusted_rand_index(truth, [0, 1, 2, 0, 1, 2]) < 0


# --------------------------------------------------------------------------------------------
# The model


def test_model_loads_and_runs_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    model = MiniLMEmbedder(threads=1)
    x = model.embed(["Donors work in silos.", "Funders do not coordinate.", "Police reform."])
    assert x.shape == (3, 384)
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert x[0] @ x[1] > x[0] @ x[2]


def test_model_vectors_do_not_depend_on_batch():
    model = sentence_model()
    alone = model.embed(["Leadership is the missing ingredient."])
    batch = model.embed(["A much longer statement about pooled funding and donor silos.", "Leadership is the missing ingredient."])
    assert float(alone[0] @ batch[1]) > 0.9999


def test_stored_vector_round_trip():
    v = sentence_model().embed(["Plant trees in the hottest streets."])[0]
    blob = encode_vector(v)
    assert len(blob) == 768
    assert float(decode_vector(blob) @ v) > 0.9999


def test_mismatched_model_file_is_refused(monkeypatch):
    monkeypatch.setattr(MiniLMEmbedder, "MODEL", (*MiniLMEmbedder.MODEL[:2], "0" * 64))
    with pytest.raises(ModelUnavailable):
        MiniLMEmbedder()


def test_broken_model_falls_back_to_words(monkeypatch, caplog):
    def missing():
        raise ModelUnavailable("not installed (test)")

    monkeypatch.setattr(themes, "sentence_model", missing)
    with caplog.at_level("WARNING", logger="bot.reports.themes"):
        groups = group_texts(["Leadership matters.", "Donors work in silos.", "leadership matters a lot"])
    assert_partition(groups, 3)
    assert "shared words" in caplog.text


def test_custom_embedder_protocol():
    class Fixed:
        name = "fixed"

        def embed(self, texts):
            rows = [[1.0, 0.0] if "a" in t else [0.0, 1.0] for t in texts]
            return np.array(rows, dtype=np.float32)

    assert isinstance(Fixed(), Embedder)
    groups = group_texts(["a1", "b1", "a2", "b2", "a3"], embedder=Fixed())
    assert [g.items for g in groups] == [[0, 2, 4], [1, 3]]


def test_large_input_stays_fast_with_stored_vectors():
    """10,000 contributions with stored vectors: grouping and labels within the draft budget."""
    from bench.bench_themes import synthetic

    texts, truth = synthetic(10_000)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((len(set(truth)), 384)).astype(np.float32)
    index = {t: k for k, t in enumerate(sorted(set(truth)))}
    vectors = [centres[index[t]] + 0.8 * rng.standard_normal(384).astype(np.float32) for t in truth]
    start = time.perf_counter()
    groups = group_texts(texts, vectors=vectors)
    elapsed = time.perf_counter() - start
    assert_partition(groups, len(texts))
    assert elapsed < 10, f"{elapsed:.1f}s for 10,000"
    assert adjusted_rand_index(truth, predicted_labels(groups, len(texts))) > 0.5


def test_the_model_is_not_loaded_until_used():
    """An idle bot stays small: importing the application loads no model runtime."""
    code = "import sys, telegram_edge.app, bot.container; print('onnxruntime' in sys.modules or 'tokenizers' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"


def test_fresh_vectors_group_like_stored_ones(sets):
    """`workshop-bot themes FILE.json` (embeds now) and a draft (reads stored vectors) agree."""
    rows, vectors = sets["general"]
    indices = by_kind(rows)["challenge"]
    texts = [rows[i]["text"] for i in indices]
    assert as_plain(group_texts(texts)) == as_plain(group_texts(texts, vectors=[vectors[i] for i in indices]))
