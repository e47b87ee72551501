"""An optional writing model for theme labels and paragraphs, checked sentence by sentence.

Configured with ``LLM_BASE_URL`` (an OpenAI-compatible server: llama.cpp, Ollama, vLLM) and
``LLM_MODEL``; without them nothing leaves the machine. The model receives only statements
with their contribution numbers (never names, organisations or communities) and must end every
sentence with the numbers it rests on, as ``[#12, #15]``. A theme whose answer has a sentence
citing no number, or a number that was not sent for that theme, keeps the offline text: an
invented citation cannot reach a report. Timeouts and errors leave the whole offline draft and
a note for the rapporteur. The call is made with aiohttp, outside any database transaction.

The instructions are in English (what such models follow best) and ask for the labels and
paragraphs in the report's language (`LANGUAGE_INSTRUCTIONS`), in that language's own register.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.reports.model import Section, Sentence, SessionReport, Theme
from bot.reports.prose import MAX_CITES, PROSE_THEMES

logger = logging.getLogger(__name__)

STATEMENTS_PER_THEME = 6
LABEL_MAX_WORDS = 8
LABEL_MAX_CHARS = 80
_CITATION = re.compile(r"\[\s*(#?\d+(?:\s*,\s*#?\d+)*)\s*\]")
_SENTENCE_END = re.compile(r"(?<=[.!?\]”\"»])\s+(?=[A-ZÀ-ÖØ-Þ“\"«(])")
SYSTEM_PROMPT = (  # i18n: not shown (instructions to the model, not a text for people)
    "You are the rapporteur of a workshop session. For each theme, write a label of 2 to 6 words "
    'and one paragraph of 1 to 3 sentences in reported speech ("It was raised that…", '
    '"Participants recommended…"), naming nobody, using only what the statements say. End EVERY '
    "sentence with the numbers of the statements it rests on, like [#12, #15], using only numbers "
    'given for that theme. Answer with JSON only: {"themes": [{"theme": "T1", "label": "…", '
    '"paragraph": "…"}]}.'
)
# What the prompt adds per report language: the output language and its reporting register.
LANGUAGE_INSTRUCTIONS = {  # i18n: not shown (instructions to the model)
    "en": " Write the labels and paragraphs in English.",
    "fr": (
        " Write the labels and paragraphs in French, as a French-speaking rapporteur writes a compte rendu: "
        "impersonal reported speech (« Il a été souligné que… », « Les participants ont recommandé de… »), "
        "French typography (« » quotes, a space before : ; ? !). Quote statements in another language in « »."
    ),
}


def system_prompt(language: str) -> str:
    """The instructions, asking for output in the report's language."""
    return SYSTEM_PROMPT + LANGUAGE_INSTRUCTIONS.get(language, LANGUAGE_INSTRUCTIONS["en"])


@dataclass(frozen=True, slots=True)
class WriterConfig:
    base_url: str
    model: str
    timeout: float = 30.0
    api_key: str | None = None

    @property
    def endpoint(self) -> str:
        """``…/v1/chat/completions`` whether or not the configured URL already ends in /v1."""
        base = self.base_url.rstrip("/")
        if base.endswith("/chat/completions"):
            return base
        if not base.endswith("/v1"):
            base += "/v1"
        return base + "/chat/completions"


@dataclass(frozen=True, slots=True)
class _Request:
    key: str  # "T1", "T2", ... in the order sent
    section: Section
    theme: Theme
    numbers: frozenset[int]


class WriterFailed(Exception):
    """The model could not be used; ``reason`` is "timeout" or "error"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ModelWriter:
    """Rewrites a report's theme labels and paragraphs with the configured model."""

    def __init__(self, config: WriterConfig) -> None:
        self.config = config

    @property
    def model(self) -> str:
        return self.config.model

    async def write(self, report: SessionReport) -> None:
        """Replace labels and paragraphs where the model's answer checks out; set
        ``report.writer`` (model used) and ``report.writer_note`` (why not, or what was replaced)."""
        requests = _requests(report)
        if not requests:
            return
        try:
            answer = await self._ask(requests, report.language)
        except WriterFailed as failure:
            report.writer_note = failure.reason
            return
        replaced = apply_answer(requests, answer, self.config.model)
        if any(r.theme.written_by for r in requests):
            report.writer = self.config.model
        if replaced:
            report.writer_note = f"replaced:{replaced}"

    async def _ask(self, requests: Sequence[_Request], language: str = "en") -> dict[str, Any]:
        payload = {
            "model": self.config.model,
            "temperature": 0,
            "seed": 0,
            "messages": [
                {"role": "system", "content": system_prompt(language)},
                {"role": "user", "content": json.dumps({"themes": [_theme_payload(r) for r in requests]}, ensure_ascii=False)},
            ],
        }
        headers = {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}
        timeout = aiohttp.ClientTimeout(total=self.config.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.post(self.config.endpoint, json=payload, headers=headers) as response,
            ):
                if response.status != 200:
                    logger.warning("writing model answered HTTP %s", response.status)
                    raise WriterFailed("error")
                body = await response.json(content_type=None)
        except TimeoutError:
            logger.warning("writing model timed out after %.0f s", self.config.timeout)
            raise WriterFailed("timeout") from None
        except (aiohttp.ClientError, ValueError) as error:
            logger.warning("writing model unavailable: %s", type(error).__name__)
            raise WriterFailed("error") from None
        try:
            content = body["choices"][0]["message"]["content"]
            return _json_object(content)
        except (KeyError, IndexError, TypeError, ValueError):
            logger.warning("writing model answered without the expected JSON")
            raise WriterFailed("error") from None


def _requests(report: SessionReport) -> list[_Request]:
    requests: list[_Request] = []
    for section in report.sections:
        if section.text_override is not None:
            continue
        for theme in section.themes[:PROSE_THEMES]:
            if theme.written_by:
                continue  # reused from the previous version: nothing changed in it
            shown = _statements(theme)
            requests.append(_Request(f"T{len(requests) + 1}", section, theme, frozenset(s.contribution_id for s in shown)))
    return requests


def _statements(theme: Theme) -> list[Any]:
    others = sorted(
        (s for s in theme.statements if s.contribution_id != theme.representative.contribution_id),
        key=lambda s: (-s.support.score, s.contribution_id),
    )
    return [theme.representative, *others][:STATEMENTS_PER_THEME]


def _theme_payload(request: _Request) -> dict[str, Any]:
    """What the model sees of a theme: its kind and numbered statements, nothing about people."""
    return {
        "theme": request.key,
        "kind": request.section.title,
        "statements": [{"number": s.contribution_id, "text": s.text} for s in _statements(request.theme)],
    }


def _json_object(content: str) -> dict[str, Any]:
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object")  # i18n: not shown
    data = json.loads(content[start : end + 1])
    if not isinstance(data, dict):
        raise ValueError("not an object")  # i18n: not shown
    return data


def checked_sentences(paragraph: str, allowed: frozenset[int]) -> tuple[list[Sentence], int]:
    """The model's sentences with their citations, and how many fail the check (no number,
    or a number that was not given for this theme)."""
    good: list[Sentence] = []
    bad = 0
    for raw in _SENTENCE_END.split(" ".join(paragraph.split())):
        raw = raw.strip()
        if not raw:
            continue
        numbers = [int(n.strip().lstrip("#")) for group in _CITATION.findall(raw) for n in group.split(",")]
        text = _CITATION.sub("", raw)
        text = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(text.split())).strip()
        if text and text[-1] not in '.!?”"':
            text += "."
        if not numbers or not set(numbers) <= allowed or len(text) < 3:
            bad += 1
            continue
        good.append(Sentence(text, tuple(sorted(set(numbers)))[:MAX_CITES]))
    return good, bad


def _label(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    label = " ".join(value.split()).strip(" .\"'“”")
    if not label or len(label) > LABEL_MAX_CHARS or len(label.split()) > LABEL_MAX_WORDS or "#" in label:
        return None
    return label


def apply_answer(requests: Sequence[_Request], answer: dict[str, Any], model: str) -> int:
    """Use the model's label and paragraph per theme where every sentence checks out; returns
    the number of sentences dropped (their themes keep the offline text)."""
    by_key = {str(item.get("theme")): item for item in answer.get("themes", []) if isinstance(item, dict)}
    dropped = 0
    for request in requests:
        item = by_key.get(request.key)
        if item is None or not isinstance(item.get("paragraph"), str):
            continue
        sentences, bad = checked_sentences(item["paragraph"], request.numbers)
        dropped += bad
        if bad or not sentences:
            continue  # the offline paragraph stays, whole
        request.theme.prose = sentences
        request.theme.written_by = model
        label = _label(item.get("label"))
        if label is not None and not request.theme.renamed:
            request.theme.label = label
    return dropped


def reuse_written(report: SessionReport, previous: SessionReport | None) -> None:
    """Keep what the model wrote for themes that did not change since the previous version, so
    an edit elsewhere (a hidden point, a replaced section) does not lose it or call the model."""
    if previous is None or previous.language != report.language:
        return  # nothing to reuse after the report language changed
    written = {
        (section.key, theme.fingerprint): theme
        for section in previous.sections
        for theme in section.themes
        if theme.written_by and theme.prose
    }
    for section in report.sections:
        for theme in section.themes[:PROSE_THEMES]:
            old = written.get((section.key, theme.fingerprint))
            if old is not None:
                theme.prose, theme.written_by = list(old.prose), old.written_by
                if not theme.renamed:
                    theme.label = old.label
                report.writer = old.written_by
