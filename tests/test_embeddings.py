"""Contribution embeddings on a real database: computed once after an answer is stored,
recomputed after an edit, read (never recomputed) by drafts; the per-event domain pack."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update

from bot.agenda import AgendaError
from bot.container import Services
from bot.reports import themes
from bot.reports.embedding import MODEL_ID, decode_vector, sentence_model
from bot.services import embeddings as embeddings_module
from bot.services.views import MessageRef, UserRef
from storage.models import Contribution, Event
from tests.agenda_samples import EXPERT_MEETING
from tests.test_reporting import ORG, PEOPLE, _session_with_input


async def _rows(services: Services) -> list[tuple[int, str, bytes | None, str | None]]:
    async with services.db.session() as db:
        result = await db.execute(
            select(Contribution.id, Contribution.text, Contribution.embedding, Contribution.embedding_model).order_by(Contribution.id)
        )
        return [tuple(row) for row in result]


async def test_answers_are_embedded_after_commit_and_again_after_an_edit(services: Services) -> None:
    _session_id, _code = await _session_with_input(services)
    await asyncio.wait_for(services.embeddings.idle(), 60)
    rows = await _rows(services)
    assert len(rows) == 2 * len(PEOPLE)
    model = sentence_model()
    for _cid, text, blob, model_id in rows:
        assert model_id == MODEL_ID and blob is not None and len(blob) == 768
        assert float(decode_vector(blob) @ model.embed([text])[0]) > 0.999, "the vector is this text's"

    # Amira edits her first answer in Telegram: the old vector goes with the commit, a new one follows.
    amira = UserRef(PEOPLE[0][0], PEOPLE[0][1])
    first_id, old_text, old_blob, _ = rows[0]
    new_text = "Health clinics lack nurses on night shifts"
    assert (await services.participation.edited_message(amira, MessageRef(PEOPLE[0][0], 10), new_text)) is not None
    await asyncio.wait_for(services.embeddings.idle(), 60)
    edited = {cid: (text, blob) for cid, text, blob, _ in await _rows(services)}
    assert edited[first_id][0] == new_text and edited[first_id][1] != old_blob
    assert float(decode_vector(edited[first_id][1]) @ model.embed([new_text])[0]) > 0.999
    assert all(blob == b for (cid, _t, b, _m) in rows[1:] for blob in [edited[cid][1]]), "others untouched"


async def test_a_vector_of_a_text_edited_meanwhile_is_not_stored(services: Services) -> None:
    await _session_with_input(services)
    await asyncio.wait_for(services.embeddings.idle(), 60)
    async with services.db.session() as db:
        await db.execute(update(Contribution).values(embedding=None, embedding_model=None))
        cid, text = (await db.execute(select(Contribution.id, Contribution.text).order_by(Contribution.id).limit(1))).one()
    stale = sentence_model().embed([text])
    async with services.db.session() as db:
        row = await db.get(Contribution, cid)
        assert row is not None
        row.text = "Something else entirely"
    async with services.db.session() as db:
        await embeddings_module.store_vectors(db, [(cid, text)], stale)
        assert await db.scalar(select(Contribution.embedding).where(Contribution.id == cid)) is None


async def test_draft_reads_stored_vectors_and_embeds_only_missing_ones(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    _session_id, code = await _session_with_input(services)
    await asyncio.wait_for(services.embeddings.idle(), 60)
    first = await services.reporting.draft(ORG, code)

    calls: list[int] = []
    real = sentence_model()

    class Counting:
        name = real.name

        def embed(self, texts):
            calls.append(len(texts))
            return real.embed(texts)

    monkeypatch.setattr(embeddings_module, "sentence_model", lambda: Counting())
    monkeypatch.setattr(themes, "sentence_model", lambda: Counting())
    second = await services.reporting.draft(ORG, code)
    assert calls == [], "every vector was stored: the draft embeds nothing"
    assert [[t.label for t in s.themes] for s in second.report.sections] == [[t.label for t in s.themes] for s in first.report.sections]

    # Rows stored before the model existed (no vector) are embedded once, by the draft, and kept.
    async with services.db.session() as db:
        await db.execute(update(Contribution).where(Contribution.id.in_([1, 2])).values(embedding=None, embedding_model=None))
    default_session = services.reporting
    third = await default_session.draft(ORG, code)
    assert calls == [2]
    assert all(blob is not None for _c, _t, blob, _m in await _rows(services))
    assert [[t.label for t in s.themes] for s in third.report.sections] == [[t.label for t in s.themes] for s in first.report.sections]


async def test_domain_pack_is_opt_in_per_event(services: Services) -> None:
    with_pack = EXPERT_MEETING.replace("event:\n", "event:\n  domain_pack: peace-security\n", 1)
    created = await services.organising.import_agenda(ORG, with_pack)
    plain = await services.organising.import_agenda(ORG, EXPERT_MEETING)
    async with services.db.session() as db:
        packs = {e.id: e.domain_pack for e in await db.scalars(select(Event))}
    assert packs == {created.event.id: "peace-security", plain.event.id: None}
    with pytest.raises(AgendaError) as error:
        await services.organising.import_agenda(ORG, EXPERT_MEETING.replace("event:\n", "event:\n  domain_pack: astrology\n", 1))
    assert "peace-security" in str(error.value)


def test_stored_vectors_group_like_fresh_ones() -> None:
    texts = ["Plant trees in the hottest streets.", "More shade on the bus stops.", "Handover at the bedside.", "Use SBAR at shift change."]
    fresh = sentence_model().embed(texts)
    assert np.allclose(np.linalg.norm(fresh, axis=1), 1, atol=1e-4)
    via_store = [decode_vector(blob) for blob in (embeddings_module.encode_vector(v) for v in fresh)]
    same = themes.group_texts(texts, vectors=via_store)
    assert [g.items for g in same] == [g.items for g in themes.group_texts(texts, vectors=list(fresh))]


def test_rewritten_graph_gives_the_original_vectors_without_widening_weights_per_call(tmp_path: Path) -> None:
    import onnx
    import onnxruntime as ort  # type: ignore[import-untyped]

    from bot.reports.embedding import MiniLMEmbedder, _installed_file
    from bot.reports.model_rewrite import rewrite

    original = _installed_file(*MiniLMEmbedder.MODEL)
    rewritten = tmp_path / "model.onnx"
    rewrite(original, rewritten)
    graph = onnx.load(str(rewritten)).graph
    initializers = {tensor.name for tensor in graph.initializer}
    assert not [node.name for node in graph.node if node.op_type == "Cast" and node.input[0] in initializers]
    assert sum(node.op_type == "Gather" and node.input[0].endswith("_q") for node in graph.node) == 2  # word + position rows

    ids = np.array([[101, 2334, 4279, 2024, 11801, 2205, 2397, 1010, 2065, 2012, 2035, 102]], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    outputs = []
    for path in (original, rewritten):
        session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        outputs.append(session.run(None, {k: v for k, v in feeds.items() if k in {i.name for i in session.get_inputs()}})[0])
    assert outputs[0].shape == outputs[1].shape
    assert np.abs(outputs[0] - outputs[1]).max() < 1e-5


def test_the_bot_embeds_with_the_rewritten_graph() -> None:
    assert sentence_model().rewritten, "the rewrite failed: see the warning it logged"
