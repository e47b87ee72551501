"""The Telegram edge: application wiring, the update processor, polling, the Bot API client and
the delivery engine's sending side. Everything here may speak Telegram; `bot/` never does."""
