"""Draft build time and peak memory at 100, 1,000 and 10,000 contributions.

    python bench/bench_draft.py                  # 3 runs per size, median
    python bench/bench_draft.py --sizes 100 1000 --runs 1

What a rapporteur's /draft costs once the data is loaded: ``build_report`` (theme grouping on
the stored vectors, support by community and per statement, ranking, the prose with its
citations), the chat messages, and every document export. Contributions are recombined from the labelled
evaluation set (bench/bench_themes.py ``synthetic``), half challenges and half
recommendations, from 60 participants in five policy communities, each contribution with
0–6 reactions. Each size runs in a fresh subprocess so its peak RSS (VmHWM) is its own; the
baseline column (grouping alone, same grouper and stored vectors) is measured in the same
process just before the build, so the machine's load affects both alike.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMMUNITIES = ["diplomacy", "development", "security", "humanitarian", "other"]


def facts(n: int):  # type: ignore[no-untyped-def]
    from bench.bench_themes import synthetic
    from bot.reports.builder import ContributionFact, ReactionFact, SessionFacts

    texts, _labels = synthetic(n)
    rng = random.Random(7)
    contributions = [
        ContributionFact(i + 1, "challenge" if i % 2 == 0 else "recommendation", text, f"Person {i % 60}", "Org", COMMUNITIES[i % 5])
        for i, text in enumerate(texts)
    ]
    reactions = [
        ReactionFact(c.id, rng.choice(("agree", "agree", "disagree", "pass")), rng.choice(COMMUNITIES))
        for c in contributions
        for _ in range(rng.randrange(0, 7))
    ]
    session = SessionFacts(
        "Forum",
        "14–16 May 2019",
        "Stockholm",
        "Session",
        "Lead",
        "Moderator",
        "Focus",
        "Disclaimer",
        False,
        {c: 12 for c in COMMUNITIES},
        60,
    )
    return session, contributions, reactions


def child(n: int) -> None:
    """One measurement in this process: prints JSON with the timings and VmHWM.

    The baseline is grouping alone (the same grouper on the same stored vectors, in the same
    process, just before), so "build - grouping" is what the report adds: support per community
    and per statement, anonymity masks, ranking and the prose with its citations.
    """
    from bot.reports.builder import SECTION_OF_KIND, build_report
    from bot.reports.embedding import sentence_model
    from bot.reports.render import render_many
    from bot.reports.render.chat import render_chat_messages
    from bot.reports.themes import GroupItem, make_grouper

    session, contributions, reactions = facts(n)
    # The vectors are stored with each contribution when it comes in (bot/services/embeddings.py);
    # a draft only reads them, so they are computed outside the timed part.
    vectors = dict(zip([c.id for c in contributions], sentence_model().embed([c.text for c in contributions]), strict=True))
    grouper = make_grouper(vectors)
    started = time.perf_counter()
    for kind in sorted(set(SECTION_OF_KIND)):
        items = [GroupItem(c.id, c.text, c.hidden) for c in contributions if c.kind == kind]
        if items:
            grouper(items)
    grouped = time.perf_counter()
    report = build_report(
        session, contributions, reactions, [], group=grouper, generated_at=datetime(2026, 2, 11, 9, 0, tzinfo=UTC), timezone="Europe/Oslo"
    )
    built = time.perf_counter()
    messages = render_chat_messages(report)
    chat = time.perf_counter()
    files = render_many(report, ("md", "html", "docx", "pdf"))
    done = time.perf_counter()
    sentences = sum(len(p) for s in report.sections for p in s.paragraphs) + sum(len(p) for p in report.summary_prose)
    print(
        json.dumps(
            {
                "n": n,
                "grouping": grouped - started,
                "build": built - grouped,
                "chat": chat - built,
                "files": done - chat,
                "messages": len(messages),
                "pdf_bytes": len(files[-1]),
                "themes": sum(len(s.themes) for s in report.sections),
                "sentences": sentences,
                "rss_mb": _hwm_mb(),
            }
        )
    )


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print("grouping on the stored sentence-model vectors (embedded outside the timed part)")
    print(
        "| contributions | baseline: grouping alone s | build_report s (grouping included) | chat s | md+html+docx+pdf s | themes | prose sentences | chat messages | peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    keys = ("grouping", "build", "chat", "files", "rss_mb", "themes", "sentences", "messages")
    for n in args.sizes:
        runs = [
            json.loads(
                subprocess.run([sys.executable, __file__, "--child", str(n)], check=True, capture_output=True, text=True)
                .stdout.strip()
                .splitlines()[-1]
            )
            for _ in range(args.runs)
        ]
        med = {k: statistics.median(r[k] for r in runs) for k in keys}
        print(
            f"| {n:,} | {med['grouping']:.2f} | {med['build']:.2f} | {med['chat']:.2f} | {med['files']:.2f} | {med['themes']:.0f} "
            f"| {med['sentences']:.0f} | {med['messages']:.0f} | {med['rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
