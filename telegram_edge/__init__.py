"""The Telegram edge: application wiring, the update processor, polling, the Bot API client and
the delivery engine's sending side. Everything here may speak Telegram; `bot/` never does."""

import sys

# PTB imports httpx, and httpx imports its command-line client when click and pygments are
# installed (about 1.5 MB for a tool this bot never runs; it uses aiohttp as its HTTP client).
# Marked missing, the import fails quietly and httpx's own fallback takes its place.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
