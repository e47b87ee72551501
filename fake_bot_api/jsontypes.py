"""The two shapes everything in the fake passes around: Telegram JSON objects and the decoded
parameters of a Bot API request."""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]
Params = dict[str, Any]
