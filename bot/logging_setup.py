"""Logging that never prints the bot token and keeps libraries quiet.

httpx logs every request URL, and Bot API URLs contain the token; its logger is raised to
WARNING, and a filter on the root handlers masks the token anywhere else it might appear
(exception messages from the HTTP stack quote URLs, and an error page from a proxy may quote
the request URL in its body). `redact` is the same masking for text printed to the console.

At the default level (INFO) only our own packages speak at INFO; libraries speak from WARNING
up (fontTools alone writes a dozen INFO lines for every PDF it subsets). LOG_LEVEL=DEBUG opens
everything except httpx, whose request lines carry the token.
"""

from __future__ import annotations

import logging
import re

# A Telegram token ("123456789:AA..."), also URL-encoded (":" as "%3A"), as proxies echo it.
_TOKEN_IN_TEXT = re.compile(r"\d{3,20}(?::|%3[Aa])[A-Za-z0-9_-]{20,}")
MASK = "<token>"
# PTB logs a non-JSON answer's whole body with a traceback; the body may quote the URL.
_INVALID_JSON = "Can not load invalid JSON data"


def redact(text: str, *secrets: str) -> str:
    """`text` with every token-shaped string, and each of `secrets` verbatim, masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return _TOKEN_IN_TEXT.sub(MASK, text)


OWN_PACKAGES = ("bot", "handlers", "storage")
ALWAYS_QUIET = ("httpx", "httpcore")


class RedactTokens(logging.Filter):
    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram.request") and isinstance(record.msg, str) and record.msg.startswith(_INVALID_JSON):
            # One line instead of the body and a traceback: an HTML error page is no use in a log.
            record.msg, record.args = "The Bot API answered with a page that is not JSON (a proxy or a wrong TELEGRAM_API_BASE_URL?)", None
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"  # the caller reports the failure
            return True
        message = record.getMessage()
        redacted = redact(message, *self.secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = redact(text, *self.secrets)
            record.exc_info = None
        return True


def configure_logging(level: str = "INFO", *secrets: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens(*secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    wanted = logging.getLevelName(level.upper())
    wanted = wanted if isinstance(wanted, int) else logging.INFO
    root.setLevel(wanted if wanted <= logging.DEBUG else max(wanted, logging.WARNING))
    for name in OWN_PACKAGES:
        logging.getLogger(name).setLevel(wanted)
    for noisy in ALWAYS_QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
