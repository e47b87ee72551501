"""The inbox on both backends: updates stored once however often Telegram delivers them, the
unprocessed ones given back in order, and processed tombstones below the confirmed offset pruned
at most every `prune_every` seconds."""

from __future__ import annotations

from sqlalchemy import select

from bot.container import Services
from bot.services.inbox import Inbox
from storage.models import InboxUpdate


def _update(update_id: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": f"answer {update_id}"}}


async def _stored(services: Services) -> list[int]:
    async with services.db.session() as db:
        return list(await db.scalars(select(InboxUpdate.update_id).order_by(InboxUpdate.update_id)))


async def test_updates_are_stored_once_and_given_back_in_order(services: Services) -> None:
    inbox = Inbox(services.db)
    assert await inbox.accept([_update(2), _update(1)]) == [2, 1]
    assert await inbox.accept([_update(1), _update(2), _update(3), _update(3)]) == [3]  # a batch delivered again
    await inbox.mark_done([2])
    assert [p["update_id"] for p in await inbox.pending()] == [1, 3]
    assert await inbox.processed(2) and not await inbox.processed(1)
    await inbox.close()


async def test_processed_updates_below_the_offset_are_pruned_at_most_every_interval(services: Services) -> None:
    rarely = Inbox(services.db, prune_every=3600)
    await rarely.accept([_update(1), _update(2), _update(3)])
    await rarely.mark_done([1, 2])
    await rarely.accept([_update(4)], prune_below=3)  # the first accept prunes
    assert await _stored(services) == [3, 4]
    await rarely.mark_done([3, 4])
    await rarely.accept([_update(5)], prune_below=5)  # within the interval: the tombstones stay
    assert await _stored(services) == [3, 4, 5]
    assert await rarely.accept([_update(4)], prune_below=5) == []  # and still recognise a redelivery

    always = Inbox(services.db, prune_every=0)
    await always.accept([_update(6)], prune_below=5)
    assert await _stored(services) == [5, 6]  # 5 is unprocessed, so it stays whatever the offset
    await rarely.close()
    await always.close()
