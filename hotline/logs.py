"""Structured logging: plain text by default, one JSON object per line with HOTLINE_LOG_JSON=true."""
from __future__ import annotations

import logging
import sys
from typing import TextIO

from hotline.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def make_handler(json_lines: bool, stream: TextIO | None = None) -> logging.Handler:
    """A stderr handler writing text or JSON lines (``extra={...}`` fields become JSON keys)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if json_lines:
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger",
                                                                        "asctime": "time"},
                                           json_ensure_ascii=False))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler._hotline = True  # type: ignore[attr-defined]
    return handler


def setup_logging(settings: Settings, stream: TextIO | None = None, force: bool = False) -> None:
    """Install the root handler once per process (again with `force`, replacing ours only)."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_hotline", False)]
    if ours and not force:
        return
    for h in ours:
        root.removeHandler(h)
    root.addHandler(make_handler(settings.log_json, stream))
    root.setLevel(settings.log_level)
