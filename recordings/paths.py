"""Recording file names (`YYYY/MM/DD/<linkedid>-{mix,in,out}.wav`) and safe resolution inside the store."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

LEGS = ("mix", "in", "out")
SPEAKERS = {"in": "来电人", "out": "坐席"}
# Asterisk linkedids are "<epoch>.<seq>" (optionally "<system>-<epoch>.<seq>"): nothing else is accepted.
_LINKEDID = re.compile(r"^[A-Za-z0-9_-]{0,32}?[0-9]{1,12}\.[0-9]{1,9}$")
_NAME = re.compile(r"^(?P<linkedid>.+)-(?P<leg>mix|in|out)\.wav$")


class UnsafePathError(ValueError):
    """A path that would leave the recordings directory, or a name we did not make."""


@dataclass(frozen=True)
class RecordingName:
    """The parts of a recording's relative path."""

    linkedid: str
    leg: str
    day: str  # YYYY/MM/DD

    @property
    def relpath(self) -> str:
        return f"{self.day}/{self.linkedid}-{self.leg}.wav"


def check_linkedid(linkedid: str) -> str:
    """Return `linkedid` if it is a well-formed Asterisk linkedid, else raise UnsafePathError."""
    if not isinstance(linkedid, str) or not _LINKEDID.match(linkedid):
        raise UnsafePathError(f"非法的通话编号 (invalid linkedid): {linkedid!r}")
    return linkedid


def recording_names(linkedid: str, when: datetime) -> dict[str, RecordingName]:
    """The three files (mix, in, out) of a call answered at `when` (UTC date folders)."""
    check_linkedid(linkedid)
    day = when.astimezone(timezone.utc).strftime("%Y/%m/%d")
    return {leg: RecordingName(linkedid, leg, day) for leg in LEGS}


def parse_relpath(relpath: str) -> RecordingName:
    """Parse `YYYY/MM/DD/<linkedid>-<leg>.wav`; anything else is refused."""
    parts = PurePosixPath(relpath).parts
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        raise UnsafePathError(f"不是录音文件路径 (not a recording path): {relpath!r}")
    m = _NAME.match(parts[3])
    if not m:
        raise UnsafePathError(f"不是录音文件名 (not a recording file name): {relpath!r}")
    return RecordingName(check_linkedid(m["linkedid"]), m["leg"], "/".join(parts[:3]))


def resolve_inside(root: Path, relpath: str | Path) -> Path:
    """Absolute path of `relpath` under `root`; refuses anything resolving outside (.., symlinks, absolute)."""
    base = Path(root).resolve()
    text = str(relpath)
    if any(ord(c) < 32 for c in text):
        raise UnsafePathError(f"路径含控制字符 (control character in path): {text!r}")
    target = (base / text).resolve()
    if target != base and base not in target.parents:
        raise UnsafePathError(f"路径不在录音目录内 (outside the recordings directory): {text!r}")
    return target


def relative_to_root(root: Path, path: Path) -> str:
    """`path` (which must be inside `root`) as a POSIX path relative to `root`."""
    resolved = resolve_inside(root, path)
    return resolved.relative_to(Path(root).resolve()).as_posix()
