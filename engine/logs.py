"""How the service's log lines are written: plain text by default, one JSON object per line with
``ONETHING_LOG_FORMAT=json`` (python-json-logger): ``time`` (UTC, ISO 8601), ``level``, ``logger``,
``message``, and when known ``request_id``, ``business_key``, ``user``, ``route`` (``engine.log_context``),
and an exception's traceback as ``exc_info``.

What keeps personal values out (R8.2) is the same for both: our own lines never carry one, SpiffWorkflow's
task data is taken off its records (``engine.log_privacy``), SQLAlchemy logs neither parameters nor rows.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

from .log_context import ContextFilter

FORMAT_VARIABLE = "ONETHING_LOG_FORMAT"
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(JsonFormatter):
    """One JSON object per record; non-ASCII text as it is (Chinese messages stay readable)."""

    def __init__(self) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # logging's name
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def log_format() -> str:
    """``plain`` or ``json`` (``ONETHING_LOG_FORMAT``); anything else is refused with what is accepted."""
    kind = (os.environ.get(FORMAT_VARIABLE) or "plain").strip().lower()
    if kind not in ("plain", "json"):
        raise ValueError(f"{FORMAT_VARIABLE} must be plain or json, not {kind!r}")
    return kind


def formatter(kind: str) -> logging.Formatter:
    return JsonLines() if kind == "json" else logging.Formatter(PLAIN)


def handler(kind: str, stream=None) -> logging.Handler:
    """A handler writing ``kind`` lines to ``stream`` (standard error by default), with the context fields."""
    made = logging.StreamHandler(stream)
    made.setFormatter(formatter(kind))
    made.addFilter(ContextFilter())
    return made
