"""The report workflow at the service level, on a real database: draft, edits that survive
regeneration, approval and versions, exports, reactions by community, the event report."""

from __future__ import annotations

import csv
import io

import pytest

from bot.container import Services
from bot.services.access import NotAllowed
from bot.services.outcomes import AskOnboarding
from bot.services.views import MessageRef, UserRef
from storage.models import ReactionValue, SessionStatus
from tests.agenda_samples import EXPERT_MEETING
from tests.conftest import ORGANISER

ORG = UserRef(ORGANISER, "Olivia")
PEOPLE = [
    (
        3001,
        "Amira",
        "development",
        ["Donors fund in silos and report to their own capitals"],
        ["Agree one shared timeline with donor states"],
    ),
    (
        3002,
        "Lars",
        "diplomacy",
        ["Donor agencies compete for visibility instead of cooperating"],
        ["Share one joint timeline with all donors"],
    ),
    (
        3003,
        "Fatima",
        "security",
        ["Security gains are undone when development money arrives late"],
        ["Plan security and development support as one package"],
    ),
    (
        3004,
        "Nour",
        "humanitarian",
        ["Humanitarian principles make joint planning with the military hard"],
        ["Keep humanitarian action distinct but share analysis early"],
    ),
]


async def _session_with_input(services: Services, agenda: str = EXPERT_MEETING) -> tuple[int, str]:
    created = await services.organising.import_agenda(ORG, agenda)
    session = created.event.sessions[0]
    await services.organising.set_status(ORG, session.join_code, SessionStatus.OPEN)
    for user_id, name, community, challenges, recommendations in PEOPLE:
        user = UserRef(user_id, name)
        assert isinstance(await services.participation.join(user, session.join_code), AskOnboarding)
        await services.participation.consent(user, True)
        await services.router.text(user, f"{name} <Example>", MessageRef(user_id, 1))
        await services.router.text(user, "Org & Co", MessageRef(user_id, 2))
        await services.participation.choose_community(user, community)
        for i, text in enumerate(challenges):
            await services.router.text(user, text, MessageRef(user_id, 10 + i))
        await services.participation.next_prompt(user, session.id, 0)
        for i, text in enumerate(recommendations):
            await services.router.text(user, text, MessageRef(user_id, 20 + i))
    return session.id, session.join_code


async def test_draft_edit_approve_versions_export(services: Services) -> None:
    session_id, code = await _session_with_input(services)
    reporting = services.reporting
    draft = await reporting.draft(ORG, code)
    report = draft.report
    assert draft.version == 1 and report.contributions == 8 and report.participants == 4
    assert report.participation == {"development": 1, "diplomacy": 1, "security": 1, "humanitarian": 1}
    assert [s.key for s in report.sections] == ["challenges", "recommendations"]
    challenge_ids = {s.contribution_id for t in report.sections[0].themes for s in t.statements}
    assert len(challenge_ids) == 4 and sum(t.count for t in report.sections[0].themes) == 4
    assert "Among the challenges, it was raised most often that" in report.summary and "The most frequent recommendation" in report.summary
    every_id = {s.contribution_id for sec in report.sections for t in sec.themes for s in t.statements}
    sentences = [s for p in report.summary_prose for s in p] + [s for sec in report.sections for p in sec.paragraphs for s in p]
    assert sentences and all(s.cites and set(s.cites) <= every_id for s in sentences)

    # A section replaced by hand survives regeneration; a hidden contribution leaves the report.
    await reporting.edit(ORG, code, "section", "challenges", "Rapporteur's own summary of the challenges.")
    hidden_id = sorted(challenge_ids)[0]
    await reporting.set_hidden(ORG, hidden_id, True)
    regenerated = await reporting.regenerate(ORG, code)
    assert regenerated.version == 4
    assert regenerated.report.sections[0].text_override == "Rapporteur's own summary of the challenges."
    assert hidden_id not in {s.contribution_id for t in regenerated.report.sections[0].themes for s in t.statements}

    # Rename and merge themes by any of their contribution ids.
    recs = regenerated.report.sections[1].themes
    first_id = recs[0].representative.contribution_id
    renamed = await reporting.edit(ORG, code, "rename", str(first_id), "Shared timelines")
    assert any(t.label == "Shared timelines" for t in renamed.report.sections[1].themes)
    if len(recs) > 1:
        merged = await reporting.edit(ORG, code, "merge", str(recs[-1].representative.contribution_id), str(first_id))
        assert len(merged.report.sections[1].themes) == len(recs) - 1

    approved = await reporting.approve(ORG, code)
    assert approved.approved and approved.report.approved
    versions = (await reporting.versions(ORG, code)).versions
    assert [v.number for v in versions] == list(range(1, len(versions) + 1)) and versions[-1].approved

    # New input after approval does not change the approved package.
    await services.participation.answer_again(UserRef(3001), session_id)
    await services.router.text(UserRef(3001), "A late point", MessageRef(3001, 99))
    package = await reporting.package(session_id, source="approved")
    assert package is not None and "A late point" not in "".join(package.messages)
    assert {name.rsplit(".", 1)[1] for name, _ in package.files} == {"pdf", "docx"}

    for fmt in ("md", "html", "docx", "pdf"):
        name, content = await reporting.export(ORG, code, fmt)  # type: ignore[arg-type]
        assert name.endswith(f".{fmt}") and len(content) > 200
    name, content = await reporting.export(ORG, code, "csv")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 9 and any(r["hidden"] in ("True", "true", "1", "yes") for r in rows)


async def test_reactions_rank_and_show_consensus(services: Services) -> None:
    session_id, code = await _session_with_input(services)
    points = await services.reporting.reactable(UserRef(3001), session_id)
    assert all(author != "Amira <Example>" for _, _, _, author, _ in points)  # never one's own
    target = next(cid for cid, kind, text, _, _ in points if "one package" in text)
    for user_id in (3001, 3002, 3004):
        assert await services.reporting.react(UserRef(user_id), target, ReactionValue.AGREE)
    assert await services.reporting.react(UserRef(3002), target, ReactionValue.AGREE)  # changeable, still one
    own = next(cid for cid, _, text, _, _ in await services.reporting.reactable(UserRef(3002), session_id) if "one package" in text)
    assert await services.reporting.react(UserRef(3003), own, ReactionValue.AGREE) is None  # Fatima's own point
    report = (await services.reporting.draft(ORG, code)).report
    statement = next(s for t in report.sections[1].themes for s in t.statements if s.contribution_id == target)
    assert statement.support.agree == 3
    assert {c.community for c in statement.support.by_community} == {"development", "diplomacy", "humanitarian"}
    # one vote per community is not enough to call consensus: no mark, no "agreed" sentence
    assert statement.support.standing == "untested" and "agreed" not in report.summary


async def test_anonymous_session_exports_carry_no_names(services: Services) -> None:
    anonymous = EXPERT_MEETING.replace("    track: Plenary\n", "    track: Plenary\n    anonymity: anonymous\n", 1)
    _session_id, code = await _session_with_input(services, anonymous)
    draft = await services.reporting.draft(ORG, code)
    assert all(s.author is None for sec in draft.report.sections for t in sec.themes for s in t.statements)
    for fmt in ("md", "html", "csv"):
        _name, content = await services.reporting.export(ORG, code, fmt)  # type: ignore[arg-type]
        assert b"Amira" not in content and b"Lars" not in content


async def test_only_rapporteurs_and_organisers(services: Services) -> None:
    _session_id, code = await _session_with_input(services)
    with pytest.raises(NotAllowed):
        await services.reporting.draft(UserRef(3001), code)
    await services.participation.start(UserRef(3100, "Ravi", username="ravi"), None)
    await services.organising.grant(ORG, code, "rapporteur", "@ravi")
    draft = await services.reporting.draft(UserRef(3100, "Ravi"), code)
    assert draft.report.contributions == 8


async def test_empty_session_and_event_report(services: Services) -> None:
    created = await services.organising.import_agenda(ORG, EXPERT_MEETING)
    code = created.event.sessions[2].join_code
    draft = await services.reporting.draft(ORG, code)
    assert draft.report.is_empty and "No input" in draft.report.summary
    name, content = await services.reporting.event_report(ORG, code, "md")
    text = content.decode()  # sessions without input are left out rather than shown as bare headings
    assert name.endswith(".md") and "Funding modalities" not in text and "No session has takeaways or recommendations yet" in text


# --- anonymity in small groups (issue 13 point 4) ------------------------------------------

SMALL_COMMUNITIES = ("development", "diplomacy", "security", "humanitarian")
TAG_PATTERNS = (
    [f"— {c}" for c in SMALL_COMMUNITIES]
    + [f"({c})" for c in SMALL_COMMUNITIES]
    + [f"{c} 1" for c in SMALL_COMMUNITIES]
    + [f"{c} 100" for c in SMALL_COMMUNITIES]
)


def _no_small_community(text: str, where: str) -> None:
    for pattern in TAG_PATTERNS:
        assert pattern not in text, (where, pattern)


async def test_singleton_communities_are_other_in_every_artifact(services: Services) -> None:
    """Four participants, one per community, in an anonymous session (k = 3): no artifact may
    name a community, since each would name a person; "other" (4 people) may be shown."""
    anonymous = EXPERT_MEETING.replace("    track: Plenary\n", "    track: Plenary\n    anonymity: anonymous\n", 1)
    session_id, code = await _session_with_input(services, anonymous)
    points = await services.reporting.reactable(UserRef(3001), session_id)
    for user_id in (3001, 3002, 3003, 3004):  # everyone votes on everything they may
        for cid, *_ in await services.reporting.reactable(UserRef(user_id), session_id):
            await services.reporting.react(UserRef(user_id), cid, ReactionValue.AGREE)
    assert points
    reporting = services.reporting
    draft = await reporting.draft(ORG, code)
    report = draft.report
    assert report.participation == {"other": 4}
    statements = [s for sec in report.sections for t in sec.themes for s in t.statements]
    assert {s.community for s in statements} == {"other"} and all(s.author is None for s in statements)
    for s in statements:
        assert {c.community for c in s.support.by_community} <= {"other"}
    from bot.reports.render.chart import render_chart
    from bot.reports.render.chat import render_chat_messages

    chat = "\n".join(render_chat_messages(report))
    _no_small_community(chat, "chat")
    for fmt in ("md", "html", "docx", "pdf"):
        _name, content = await reporting.export(ORG, code, fmt)  # type: ignore[arg-type]
        text = content.decode("utf-8", "replace") if fmt in ("md", "html") else _document_text(fmt, content)
        _no_small_community(text, fmt)
    _name, content = await reporting.export(ORG, code, "csv")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert {r["community"] for r in rows} == {"other"} and not any(r["author"] or r["organisation"] for r in rows)
    chart = render_chart(report)
    other_only = report_with(report, participation={"other": 4})
    assert chart == render_chart(other_only)  # the chart draws only "other"
    for fmt in ("md", "html", "docx", "pdf"):
        _name, content = await reporting.event_report(ORG, code, fmt)  # type: ignore[arg-type]
        _no_small_community(_document_text(fmt, content), f"event report {fmt}")
    await reporting.approve(ORG, code)
    package = await reporting.package(session_id, source="approved")
    assert package is not None
    _no_small_community("\n".join(package.messages), "delivered report")
    for name, content in package.files:
        _no_small_community(_document_text(name.rsplit(".", 1)[1], content), f"delivered {name}")


async def test_small_groups_hide_every_breakdown_when_other_is_small(services: Services) -> None:
    """development 3, security 1: security folds into "other", which then has one member, so no
    breakdown by community is shown at all (tags, agreement, participation)."""
    anonymous = EXPERT_MEETING.replace("    track: Plenary\n", "    track: Plenary\n    anonymity: anonymous\n", 1)
    global PEOPLE
    saved = PEOPLE
    PEOPLE = [(uid, name, "security" if uid == 3003 else "development", ch, rec) for uid, name, _c, ch, rec in saved]
    try:
        session_id, code = await _session_with_input(services, anonymous)
    finally:
        PEOPLE = saved
    for user_id in (3001, 3002, 3003, 3004):
        for cid, *_ in await services.reporting.reactable(UserRef(user_id), session_id):
            await services.reporting.react(UserRef(user_id), cid, ReactionValue.AGREE)
    report = (await services.reporting.draft(ORG, code)).report
    assert report.participation == {} and report.participants == 4
    statements = [s for sec in report.sections for t in sec.themes for s in t.statements]
    assert all(s.community is None and s.support.by_community == () for s in statements)
    assert any(s.support.agree for s in statements)  # totals stay
    from bot.reports.render.chat import render_chat_messages

    chat = "\n".join(render_chat_messages(report))
    assert "By policy community" not in chat and "Agreement by community" not in chat
    _name, content = await services.reporting.export(ORG, code, "csv")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert {r["community"] for r in rows} == {""}


def report_with(report, **changes):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(report, **changes)


def _document_text(fmt: str, content: bytes) -> str:
    if fmt == "docx":
        from docx import Document

        return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    if fmt == "pdf":
        from pypdf import PdfReader

        return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(content)).pages)
    return content.decode("utf-8", "replace")


async def test_min_group_size_is_set_per_event_by_the_agenda(services: Services) -> None:
    """k = 1 for this event: every community may be named, even a single member's."""
    agenda = EXPERT_MEETING.replace("    track: Plenary\n", "    track: Plenary\n    anonymity: anonymous\n", 1)
    agenda = agenda.replace("event:\n", "event:\n  min_group_size: 1\n  allow_writing_model: true\n", 1)
    _session_id, code = await _session_with_input(services, agenda)
    report = (await services.reporting.draft(ORG, code)).report
    assert report.participation == {"development": 1, "diplomacy": 1, "humanitarian": 1, "security": 1}
    assert {s.community for sec in report.sections for t in sec.themes for s in t.statements} == set(report.participation)
