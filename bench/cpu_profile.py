"""A CPU-time sampling profiler for the benchmark's bot process, and its report.

Why not pyinstrument's or cProfile's defaults: both charge *wall* time, and on a busy 2-core
machine the wall clock also runs while the bot is descheduled (for instance inside a loopback
``send()`` that wakes the fake server on the same core), which is not the bot's cost.
pyinstrument with a CPU timer calls that timer on every Python call and return, which
quadruples the cost of the code and inflates call-heavy libraries (SQLAlchemy) the most.

Here ``setitimer(ITIMER_PROF)`` raises SIGPROF after every ``interval`` of *process* CPU time
(user + system, all threads) and the handler records the main thread's Python stack, so each
sample stands for the same amount of CPU and the overhead is one stack walk per sample. The
kernel checks CPU timers at its tick, so samples come at most once per tick (every 4 ms of CPU on
the benchmark machine)
whatever ``interval`` asks; each sample is therefore weighted by the measured process CPU
divided by the number of samples, and a profile needs a few seconds of CPU to be useful. CPU used by other threads (aiosqlite's worker threads, which run SQLite
itself) while the main thread waits in ``epoll`` shows up as samples whose innermost frame is
the selector: they are reported as "worker threads".
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

try:
    from greenlet import getcurrent as _greenlet_getcurrent
except ImportError:  # pragma: no cover
    _greenlet_getcurrent = None

Frame = tuple[str, str]  # (file name, qualified function name)
Stack = tuple[Frame, ...]  # outermost first


class CpuSampler:
    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.samples: Counter[Stack] = Counter()
        self.started_process = self.started_thread = 0.0
        self.process_cpu = self.main_thread_cpu = 0.0

    def _on_sigprof(self, _signum: int, frame: Any) -> None:
        stack = []
        current = _greenlet_getcurrent() if _greenlet_getcurrent else None
        while True:
            while frame is not None:
                code = frame.f_code
                stack.append((code.co_filename, code.co_qualname))
                frame = frame.f_back
            # SQLAlchemy's asyncio layer runs ORM code in a greenlet whose frames end at the
            # greenlet boundary: continue the stack in the parent, where greenlet_spawn waits.
            if current is None or current.parent is None:
                break
            current = current.parent
            frame = current.gr_frame
        stack.reverse()
        self.samples[tuple(stack)] += 1

    def start(self) -> None:
        self.started_process, self.started_thread = time.process_time(), time.thread_time()
        signal.signal(signal.SIGPROF, self._on_sigprof)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
        self.process_cpu = time.process_time() - self.started_process
        self.main_thread_cpu = time.thread_time() - self.started_thread

    def write(self, path: str | Path) -> None:
        """A readable report at ``path``, a JSON summary (``.json``) and the raw stacks in the
        folded format of flame graph tools (``.folded``) next to it."""
        summary = summarise(self.samples, self.process_cpu / max(sum(self.samples.values()), 1))
        summary["process_cpu_seconds"] = self.process_cpu
        summary["main_thread_cpu_seconds"] = self.main_thread_cpu
        Path(path).with_suffix(".json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        Path(path).write_text(render_text(summary), encoding="utf-8")
        folded = (";".join(f"{_short(file)}:{name}" for file, name in stack) + f" {count}" for stack, count in self.samples.items())
        Path(path).with_suffix(".folded").write_text("\n".join(folded) + "\n", encoding="utf-8")  # for flame graph tools


# --------------------------------------------------------------------------------------------
# Attribution

_SITE = "/site-packages/"


def _ours(file: str, folder: str) -> bool:
    return _SITE not in file and f"/{folder}/" in file


# A sample is charged to the innermost frame that belongs to one of these layers; standard
# library helpers (json, re, dataclasses, enum, typing, ...) count for the layer that called them.
LAYERS: list[tuple[str, Any]] = [
    ("SQLAlchemy (ORM, Core, pool, dialect)", lambda f: "/sqlalchemy/" in f),
    ("aiosqlite (main-thread side: queueing, futures)", lambda f: "/aiosqlite/" in f),
    ("asyncpg (protocol, codecs)", lambda f: "/asyncpg/" in f),
    ("httpx / httpcore / h11 / anyio", lambda f: any(p in f for p in ("/httpx/", "/httpcore/", "/h11/", "/anyio/", "/sniffio/"))),
    (
        "PTB request layer (Bot methods, BaseRequest, AIORateLimiter)",
        lambda f: any(
            p in f
            for p in (
                "/telegram/request/",
                "/telegram/_bot.py",
                "/telegram/ext/_extbot.py",
                "/telegram/ext/_aioratelimiter.py",
                "/aiolimiter/",
            )
        ),
    ),
    ("PTB objects (Update.de_json, to_dict, markup, defaults)", lambda f: "/telegram/" in f and "/telegram/ext/" not in f),
    ("PTB dispatch (Application, Updater, handlers, filters, context)", lambda f: "/telegram/ext/" in f),
    ("aiohttp client (when the bot uses it)", lambda f: "/aiohttp/" in f),
    ("our code: handlers/", lambda f: _ours(f, "handlers")),
    ("our code: bot/ (services, update processor)", lambda f: _ours(f, "bot")),
    ("our code: storage/", lambda f: _ours(f, "storage")),
    ("asyncio event loop (callbacks, tasks, selector)", lambda f: "/asyncio/" in f or f.endswith("selectors.py")),
]
WORKERS = "other threads (aiosqlite workers running SQLite, the embedding worker) while the main thread waits"

# Inclusive view: the share of samples whose stack passes through a frame matching (file part,
# function name). A sample may count for several rows.
MARKERS: list[tuple[str, str, str]] = [
    ("Polling: getUpdates, Update.de_json, storing the batch in the inbox", "telegram_edge/polling.py", ""),
    ("  of which Inbox.accept (one transaction per batch)", "bot/services/inbox.py", "Inbox.accept"),
    ("  of which Update.de_json (parsing the updates)", "telegram/_update.py", "Update.de_json"),
    ("Application.process_update (all work for one update)", "telegram/ext/_application.py", "Application.process_update"),
    ("  handlers.common.respond (use case, outbox, commit, reply)", "handlers/common.py", "respond"),
    ("    Router.text (the use case: actor, step, answer)", "bot/services/router.py", "ConversationRouter.text"),
    ("      load_actor (participant, chat state, progress)", "bot/services/state.py", "load_actor"),
    ("      Participation._answer (session, count, add)", "bot/services/participation.py", "Participation._answer"),
    ("    Outbox.add (the replies owed, ORM rows)", "bot/services/outbox.py", "Outbox.add"),
    ("    Database._transaction exit: flush of the INSERTs, inbox mark, COMMIT", "storage/db.py", "Database._transaction"),
    ("    send_owed (render the markup, sendMessage)", "handlers/common.py", "send_owed"),
    ("      ExtBot.send_message (PTB + HTTP client)", "telegram/ext/_extbot.py", "ExtBot.send_message"),
    ("        of which Message.de_json (parsing the reply)", "telegram/_message.py", "Message.de_json"),
    ("Batched marks and deletions (BatchedIds.flush)", "storage/batched.py", "BatchedIds.flush"),
    ("Embedding worker, event-loop side (Embeddings._run)", "bot/services/embeddings.py", "Embeddings._run"),
    ("SQLAlchemy, anywhere", "/sqlalchemy/", ""),
    ("  of which ORM flush (unit of work)", "sqlalchemy/orm/unitofwork.py", ""),
    ("  of which statement construction + cache-key generation", "/sqlalchemy/sql/", ""),
    ("aiosqlite, anywhere on the main thread", "/aiosqlite/", ""),
    ("asyncpg, anywhere on the main thread", "/asyncpg/", ""),
]


def _layer(stack: Stack) -> str:
    if stack and stack[-1][0].endswith("selectors.py") and stack[-1][1].endswith("select"):
        return WORKERS
    for file, _name in reversed(stack):
        for label, test in LAYERS:
            if test(file):
                return label
    return "other (stdlib, pydantic, ...)"


def _passes(stack: Stack, file_part: str, name: str) -> bool:
    return any(file_part in file and (not name or qualname == name) for file, qualname in stack)


def summarise(samples: Counter[Stack], seconds_per_sample: float) -> dict[str, Any]:
    total = sum(samples.values())
    layers: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for stack, count in samples.items():
        layers[_layer(stack)] += count
        if stack:
            file, name = stack[-1]
            own[f"{name}  ({_short(file)})"] += count
    markers = {label: sum(c for s, c in samples.items() if _passes(s, part, name)) for label, part, name in MARKERS}
    return {
        "seconds_per_sample": seconds_per_sample,
        "samples": total,
        "layers": dict(layers.most_common()),
        "markers": markers,
        "top_self": dict(own.most_common(40)),
        "top_stacks": [
            {"samples": count, "stack": [f"{name} ({_short(file)})" for file, name in stack if "/asyncio/" not in file]}
            for stack, count in samples.most_common(60)
        ],
    }


def _short(file: str) -> str:
    for anchor in ("/site-packages/", "/lib/python3.11/", "/work/main/"):
        if anchor in file:
            return file.split(anchor, 1)[1]
    return file


def render_text(summary: dict[str, Any], answers: int | None = None) -> str:
    total = summary["samples"] or 1
    per = summary["seconds_per_sample"] * 1000 / answers if answers else None

    def row(label: str, count: int) -> str:
        cost = f" | {count * per:.2f}" if per is not None else ""
        return f"| {label} | {count / total:.1%}{cost} |"

    unit = " | ms CPU per answer" if per is not None else ""
    rule = "|---|---:|---:|" if per is not None else "|---|---:|"
    lines = [
        f"{summary['samples']} samples of {summary['seconds_per_sample'] * 1000:.2f} ms CPU each "
        f"(process CPU in the window: {summary.get('process_cpu_seconds', 0):.2f} s, main thread {summary.get('main_thread_cpu_seconds', 0):.2f} s)",
        "",
        f"| layer (innermost frame of a known layer) | share{unit} |",
        rule,
        *[row(label, count) for label, count in summary["layers"].items()],
        "",
        f"| inclusive: samples passing through | share{unit} |",
        rule,
        *[row(label, count) for label, count in summary["markers"].items()],
        "",
        f"| innermost Python function (self) | share{unit} |",
        rule,
        *[row(label.replace("|", "\\|"), count) for label, count in list(summary["top_self"].items())[:25]],
    ]
    return "\n".join(lines)
