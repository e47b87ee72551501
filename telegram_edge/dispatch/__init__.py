"""The delivery engine's Telegram side, which bot.scheduling (the rules, free of Telegram) leaves
to the edge: PTB's JobQueue kept in step with the schedule table (runner), the messages of a
delivery (content), and sending them with Telegram's errors mapped for the broadcast engine
(sending); group replies paced at Telegram's per-group limit (group_replies). The per-recipient
records (bot.scheduling.ledger) and send slots (bot.scheduling.slots) are rules, kept in bot/.
What fires, when and for whom is decided by bot.services (scheduling, deliveries).
"""
