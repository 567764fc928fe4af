"""Structured logging: plain text by default, JSON lines with HOTLINE_LOG_JSON=true."""
from __future__ import annotations

import logging
import sys

from hotline.settings import Settings


def setup_logging(settings: Settings) -> None:
    root = logging.getLogger()
    if getattr(root, "_hotline_configured", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    root._hotline_configured = True  # type: ignore[attr-defined]
