"""Structured logs: one line per event, `key=value` pairs (logfmt), no message text at INFO.

A help channel's text is personal data; the logs say what happened to a message (its channel,
ts, event id, outcome), never what it said. `log_event` is the one way the live bot logs, so
every line can be grepped and parsed the same way.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

_FIELDS = "fields"


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log `event` with its fields as one line, e.g. `event=spooled channel=C0123 ts=17.1`."""
    if logger.isEnabledFor(level):
        logger.log(level, event, extra={_FIELDS: fields})


def _value(value: Any) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' "=\n\t'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class LogfmtFormatter(logging.Formatter):
    """`time=... level=... logger=... event=... k=v ...`: libraries' messages become `msg=...`."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        parts = [f"time={stamp}.{int(record.msecs):03d}Z", f"level={record.levelname.lower()}"]
        parts.append(f"logger={record.name}")
        fields = getattr(record, _FIELDS, None)
        if fields is None:
            parts.append(f"msg={_value(record.getMessage())}")
        else:
            parts.append(f"event={_value(record.msg)}")
            parts += [f"{k}={_value(v)}" for k, v in fields.items() if v is not None]
        if record.exc_info:
            parts.append(f"error={_value(self.formatException(record.exc_info))}")
        return " ".join(parts)


def configure(level: str = "INFO") -> None:
    """Send every logger's records to stderr as logfmt lines at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
