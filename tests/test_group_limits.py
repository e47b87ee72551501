"""Group limits never block private chats: 40 people type /start in a group, then one of them
writes to the bot privately; the private reply comes at once, the group gets its pointer within
Telegram's 20-a-minute limit, and SIGINT stops the bot within seconds (the real entry point,
as a subprocess: tests/crashkit.py)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from fake_bot_api import FakeBotAPI, FloodLimits
from tests.crashkit import BotProcess

GROUP = -1001234567890


async def test_group_traffic_does_not_hold_up_private_replies_or_shutdown(tmp_path: Path) -> None:
    async with FakeBotAPI(bot_username="workshop_test_bot", limits=FloodLimits()) as api:
        bot = BotProcess(api, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", tmp_path)
        await bot.start()
        try:
            hall = api.group(GROUP, "Forum hall")
            people = [api.user(5000 + i, f"G{i}") for i in range(40)]
            for person in people:
                hall.send(person, "/start")
            await api.wait_for(lambda: api.messages_to(GROUP), 30, what="the group's pointer")
            asked = time.monotonic()
            reply = await people[-1].reply_after(lambda: people[-1].send("/start"), timeout=30)
            answered = time.monotonic() - asked
            assert "I collect ideas at workshops" in reply[0].plain_text, reply
            assert answered < 2.0, f"the private /start waited {answered:.1f} s behind the group"
            for person in people[:5]:  # more group traffic while the pacer still holds some back
                hall.send(person, "/start@workshop_test_bot please")
            await api.wait_for(lambda: api.pending_updates() == 0, 30, what="the group's updates to be taken")
            took = await bot.stop(signal.SIGINT, timeout=15)
        except BaseException:
            print(bot.log())
            raise
        finally:
            await bot.kill()
        assert took < 5.0, f"SIGINT took {took:.1f} s to stop the bot"
        group_sends = [c for c in api.calls if c.method == "sendMessage" and c.params.get("chat_id") == GROUP]
        assert 1 <= len(group_sends) <= 20 and api.flood_errors == 0
        assert "t.me/workshop_test_bot" in api.messages_to(GROUP)[0].plain_text
