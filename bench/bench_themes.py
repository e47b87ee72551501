"""Benchmark of theme grouping: quality (ARI) and cost (time, peak RSS) per method.

    python bench/bench_themes.py                 # everything (a few minutes on 2 cores)
    python bench/bench_themes.py --sizes 100 1000 --runs 1

Quality: adjusted Rand index against the hand labels of tests/data/themes_eval.json, on
the whole set and on its two parts ("dev": the statements the lexicon and thresholds were
tuned on; "holdout": statements written before the lexicon, never used to edit it, looked
at only to choose between model weights and thresholds).

Cost: ``group_texts`` on 100, 1,000 and 10,000 contributions made by deterministic
recombination of the evaluation statements (first half of one statement of a theme + second
half of another of the same theme, sometimes with a lead-in, plus about 3 % verbatim
repeats), so each synthetic text keeps a theme label and the grouping can be scored at
scale too. Every (method, size) runs in a fresh subprocess so the peak RSS (VmHWM; the
RSS column is psutil's reading after the runs) is that configuration's own, model
included. Times are the median of ``--runs`` runs; embedding and clustering are timed
separately ("cluster s" = everything ``group_texts`` does beyond embedding); model load
time is reported on its own. Other processes on a shared machine inflate every time: the
load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EVAL = ROOT / "tests" / "data" / "themes_eval.json"
LEAD_INS = ["", "", "", "In my view, ", "From the field: ", "Honestly, ", "To be frank, "]


def load_eval() -> list[dict]:
    return json.loads(EVAL.read_text(encoding="utf-8"))


def synthetic(n: int, seed: int = 2019) -> tuple[list[str], list[str]]:
    """``n`` texts recombined from the evaluation set within each theme, with labels."""
    rows = load_eval()
    by_theme: dict[str, list[str]] = {}
    for row in rows:
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


def ari(truth: list[str], groups) -> float:
    from tests.test_themes import adjusted_rand_index, predicted_labels

    return adjusted_rand_index(truth, predicted_labels(groups, len(truth)))


def make_embedder(method: str):
    from bot.reports import themes

    if method == "default":
        return themes.default_embedder()
    if method == "minilm":
        return themes.MiniLMEmbedder()
    if method == "fallback":
        return themes.LexicalEmbedder()
    if method == "no-lexicon":
        return themes.LexicalEmbedder(weights=(1.0, 0.6, 0.0), name="lexical-no-concepts")
    if method == "tfidf":
        from tests.test_themes import WordTfidfEmbedder

        return WordTfidfEmbedder()
    raise ValueError(method)


class Cached:
    """Embeds each distinct batch once (for threshold sweeps)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.cache: dict[tuple[str, ...], object] = {}

    def embed(self, texts):
        key = tuple(texts)
        if key not in self.cache:
            self.cache[key] = self.inner.embed(texts)
        return self.cache[key]


class Timed:
    """Wraps an embedder and records the time spent embedding."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0

    def embed(self, texts):
        start = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - start


def peak_rss_bytes() -> int:
    """This process's resident-set high-water mark.

    ``VmHWM`` from /proc belongs to the process's own address space; ``ru_maxrss`` would
    also carry the parent's peak across fork+exec on Linux.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(method: str, n: int, runs: int) -> None:
    """Runs in a subprocess: prints one JSON line for (method, n)."""
    import psutil

    from bot.reports.themes import group_texts

    start = time.perf_counter()
    embedder = make_embedder(method)
    if method == "default":  # default_embedder() is lazy about nothing; make sure it ran
        embedder.embed(["warm-up"])
    load = time.perf_counter() - start
    texts, truth = synthetic(n)
    rss_before = psutil.Process().memory_info().rss
    totals, embeds, scores = [], [], []
    groups = []
    for _ in range(runs):
        timed = Timed(embedder)
        start = time.perf_counter()
        groups = group_texts(texts, embedder=timed)
        totals.append(time.perf_counter() - start)
        embeds.append(timed.seconds)
    scores.append(ari(truth, groups))
    rss_after = psutil.Process().memory_info().rss
    peak = peak_rss_bytes()
    print(json.dumps({
        "method": method, "name": embedder.name, "n": n, "load_s": load,
        "total_s": statistics.median(totals), "embed_s": statistics.median(embeds),
        "cluster_s": statistics.median(t - e for t, e in zip(totals, embeds, strict=False)),
        "themes": len(groups), "ari_synthetic": scores[0],
        "rss_before_mb": rss_before / 2**20, "rss_after_mb": rss_after / 2**20,
        "peak_rss_mb": peak / 2**20,
    }))


def quality(methods: list[str]) -> list[dict]:
    from bot.reports.themes import group_texts

    rows = load_eval()
    out = []
    for method in methods:
        try:
            embedder = make_embedder(method)
        except Exception as exc:  # the model extra may be missing
            out.append({"method": method, "error": str(exc)})
            continue
        result = {"method": method, "name": embedder.name}
        for split in ("all", "dev", "holdout"):
            part = [r for r in rows if split == "all" or r["split"] == split]
            texts = [r["text"] for r in part]
            groups = group_texts(texts, embedder=embedder)
            result[split] = ari([r["theme"] for r in part], groups)
            result[f"{split}_themes"] = len(groups)
        # The best any stopping threshold could do on all 208 (an oracle, for fairness to
        # methods whose similarity scale differs from the one the thresholds were set for).
        texts = [r["text"] for r in rows]
        cached = Cached(embedder)
        result["oracle"], result["oracle_threshold"] = max(
            (ari([r["theme"] for r in rows], group_texts(texts, embedder=cached, threshold=t)), t)
            for t in [i / 100 for i in range(2, 72, 2)]
        )
        out.append(result)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--methods", nargs="+",
                        default=["default", "fallback", "tfidf"])
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.runs)
        return

    from bot.reports.themes import model_available

    print(f"cores: {len(os.sched_getaffinity(0))}  sentence model installed: {model_available()}"
          f"  load average: {os.getloadavg()[0]:.2f} (other processes share the cores)")
    print("\nQuality: adjusted Rand index on tests/data/themes_eval.json "
          "(themes found in brackets; 11 labelled themes)")
    print(f"{'method':<12}{'embedder':<37}{'all (208)':>12}{'dev (142)':>12}"
          f"{'holdout (66)':>13}{'oracle threshold':>20}")
    quality_methods = ["default", "minilm", "fallback", "no-lexicon", "tfidf"]
    for r in quality(quality_methods):
        if "error" in r:
            print(f"{r['method']:<12}unavailable: {r['error']}")
            continue
        cells = "".join(
            f"{r[s]:>8.3f} ({r[s + '_themes']:>3})" for s in ("all", "dev", "holdout")
        )
        oracle = f"{r['oracle']:.3f} at {r['oracle_threshold']:.2f}"
        print(f"{r['method']:<12}{r['name']:<37}{cells}{oracle:>18}")

    print(f"\nCost: group_texts on synthetic contributions, median of {args.runs} run(s), "
          "each (method, size) in its own process")
    header = (f"{'method':<10}{'n':>7}{'total s':>9}{'embed s':>9}{'cluster s':>10}"
              f"{'themes':>8}{'ARI synth':>10}{'RSS MB':>8}{'peak RSS MB':>12}{'load s':>8}")
    print(header)
    for method in args.methods:
        for n in args.sizes:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", method, str(n), "--runs", str(args.runs)],
                capture_output=True, text=True, cwd=ROOT,
            )
            if proc.returncode != 0:
                print(f"{method:<10}{n:>7}  failed: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{method:<10}{n:>7}{r['total_s']:>9.2f}{r['embed_s']:>9.2f}"
                  f"{r['cluster_s']:>10.2f}{r['themes']:>8}{r['ari_synthetic']:>10.3f}"
                  f"{r['rss_after_mb']:>8.0f}{r['peak_rss_mb']:>12.0f}{r['load_s']:>8.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print("\nload s = importing and loading the embedder (the ONNX model for 'default'), "
          "once per process, not part of total s.")


if __name__ == "__main__":
    main()
