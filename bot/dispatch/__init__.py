"""The scheduler's adapters, which bot.scheduling (the rules, free of Telegram and the database)
leaves to the application layer: PTB's JobQueue kept in step with the schedule table (runner),
the per-recipient delivery records in the database (ledger), the messages of a delivery
(content), and sending them with Telegram's errors mapped for the broadcast engine (sending).
What fires, when and for whom is decided by bot.services (scheduling, deliveries).
"""
