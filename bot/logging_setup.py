"""Logging that never prints the bot token and keeps libraries quiet.

httpx logs every request URL, and Bot API URLs contain the token; its logger is raised to
WARNING, and a filter on the root handlers masks the token anywhere else it might appear
(exception messages from the HTTP stack quote URLs too).

At the default level (INFO) only our own packages speak at INFO; libraries speak from WARNING
up (fontTools alone writes a dozen INFO lines for every PDF it subsets). LOG_LEVEL=DEBUG opens
everything except httpx, whose request lines carry the token.
"""

from __future__ import annotations

import logging
import re

_TOKEN_IN_TEXT = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,}")
OWN_PACKAGES = ("bot", "handlers", "storage")
ALWAYS_QUIET = ("httpx", "httpcore")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN_IN_TEXT.sub("<token>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = _TOKEN_IN_TEXT.sub("<token>", text)
            record.exc_info = None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    wanted = logging.getLevelName(level.upper())
    wanted = wanted if isinstance(wanted, int) else logging.INFO
    root.setLevel(wanted if wanted <= logging.DEBUG else max(wanted, logging.WARNING))
    for name in OWN_PACKAGES:
        logging.getLogger(name).setLevel(wanted)
    for noisy in ALWAYS_QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
