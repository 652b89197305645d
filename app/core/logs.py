"""Application logging: UTC timestamps, one line per record, control characters escaped."""

from __future__ import annotations

import logging
import time
from typing import overload

_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 0x1B: "\\x1b"}


@overload
def escape(value: str) -> str: ...
@overload
def escape(value: object) -> object: ...
def escape(value: object) -> object:
    """Neutralise a value for the log: newlines and escapes cannot forge a record."""
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    return value


class SafeFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)  # every log line in UTC

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        # The record's text is escaped; a traceback, appended after this, keeps its lines.
        return escape(super().formatMessage(record))


def init_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        SafeFormatter("%(asctime)sZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger("beeldbrug")
    if not any(isinstance(h.formatter, SafeFormatter) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(level)
