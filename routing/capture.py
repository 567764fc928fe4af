"""Raw AMI capture log (rotating JSON lines) and the reader shared by replay.

Format, one object per line, the same as the reference traces plus the node:
`{"t": <epoch seconds>, "node": "node1", "dir": "recv"|"send", "data": "<exact message text>"}`.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class CaptureLog:
    """Append every raw AMI message of one node to `<dir>/ami-<node>.jsonl`, rotated by size."""

    def __init__(self, directory: Path, node: str, *, max_bytes: int = 50 * 1024 * 1024, backups: int = 10,
                 clock=time.time) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"ami-{node}.jsonl"
        self.node = node
        self.clock = clock
        self._logger = logging.getLogger(f"hotline.ami.capture.{node}.{id(self)}")
        self._logger.propagate = False
        self._logger.setLevel(logging.INFO)
        self._handler = logging.handlers.RotatingFileHandler(self.path, maxBytes=max_bytes, backupCount=backups,
                                                             encoding="utf-8")
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        self._logger.addHandler(self._handler)

    def write(self, direction: str, data: str) -> None:
        """One raw message (direction `recv` or `send`)."""
        self._logger.info(json.dumps({"t": round(self.clock(), 6), "node": self.node, "dir": direction,
                                      "data": data}, ensure_ascii=False))

    def recv(self, data: str) -> None:
        self.write("recv", data)

    def close(self) -> None:
        self._handler.close()
        self._logger.removeHandler(self._handler)


@dataclass(slots=True)
class CapturedMessage:
    """One line of a trace or capture log."""

    t: float
    node: str
    direction: str
    data: str


def read_capture(path: Path, default_node: str = "node1") -> Iterator[CapturedMessage]:
    """Read a trace (`NAME.ami.jsonl`) or capture log; a bad line raises ValueError naming the line."""
    with open(path, encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                yield CapturedMessage(float(rec["t"]), str(rec.get("node", default_node)), str(rec["dir"]),
                                      str(rec["data"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{no}: not a capture record ({exc})") from exc
