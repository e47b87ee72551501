"""Domain use cases. Each public coroutine is one unit of work on the database and returns
plain data; none of them knows about Telegram, so the CLI, the scheduler and tests call the
same code the handlers do."""
