"""MixMonitor policy (pure): which files to record when a seat answers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from recordings.paths import check_linkedid, recording_names

# Characters MixMonitor's option parser or the AMI line would split on.
_UNSAFE = set("(),|\"'") | {chr(c) for c in range(32)} | {"\x7f"}


@dataclass(frozen=True)
class MonitorPlan:
    """The MixMonitor action for one answered call: mix in File, caller leg in r(), seat leg in t()."""

    linkedid: str
    channel: str
    file: str
    options: str
    relpaths: dict[str, str]


def _at(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def plan_monitor(connected: dict, recordings_dir: Path) -> MonitorPlan:
    """Plan MixMonitor for a `call.connected` payload; ValueError if the payload cannot be recorded safely."""
    linkedid = check_linkedid(str(connected.get("linkedid", "")))
    channel = str(connected.get("caller_channel") or "")
    if not channel or any(c in _UNSAFE for c in channel):
        raise ValueError(f"无法录音：主叫通道无效 (bad caller channel {channel!r})")
    names = recording_names(linkedid, _at(connected.get("at")))
    files = {leg: str(Path(recordings_dir) / n.relpath) for leg, n in names.items()}
    bad = [f for f in files.values() if any(c in _UNSAFE for c in f)]
    if bad:
        raise ValueError(f"录音目录含 MixMonitor 不接受的字符 (recordings_dir unusable in options): {bad[0]!r}")
    # MixMonitor on the caller channel: r() hears what the caller sends, t() what the seat sends back.
    return MonitorPlan(linkedid, channel, files["mix"], f"r({files['in']})t({files['out']})",
                       {leg: n.relpath for leg, n in names.items()})


def center_of_queue(queue: str) -> str | None:
    """`q-410100-consult` → `410100` (the center whose supervisors see the call)."""
    parts = (queue or "").split("-")
    return parts[1] if len(parts) >= 3 and parts[0] == "q" and parts[1].isdigit() and len(parts[1]) == 6 else None
