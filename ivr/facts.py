"""Facts the flow's conditions read: business hours, the caller, queue load. Pure functions of plain data."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hotline.directory import Directory
from ivr.machine import CALLBACK_NUMBER


@dataclass(frozen=True)
class CallInfo:
    """The caller as the AGI environment describes them."""

    script: str
    channel: str
    uniqueid: str
    caller_number: str
    caller_name: str
    did: str
    context: str
    extension: str
    args: tuple[str, ...] = ()


def _clean(value: str | None, limit: int = 80) -> str:
    """Environment values are display data: unknown → empty, control characters dropped."""
    value = (value or "").strip()
    if value.lower() in ("unknown", "anonymous", "<unknown>"):
        return ""
    return re.sub(r"[\x00-\x1f\x7f]", "", value)[:limit]


def call_info(headers: dict[str, str]) -> CallInfo:
    """CallInfo from the `agi_*` environment."""
    script = headers.get("agi_network_script", "").split("?", 1)[0]
    did = _clean(headers.get("agi_dnid")) or _clean(headers.get("agi_extension"))
    args = tuple(_clean(v, 200) for k, v in sorted(headers.items()) if k.startswith("agi_arg_"))
    return CallInfo(script=script, channel=_clean(headers.get("agi_channel"), 120),
                    uniqueid=_clean(headers.get("agi_uniqueid"), 64), caller_number=_clean(headers.get("agi_callerid"), 32),
                    caller_name=_clean(headers.get("agi_calleridname"), 64), did=did,
                    context=_clean(headers.get("agi_context")), extension=_clean(headers.get("agi_extension")), args=args)


def caller_facts(info: CallInfo) -> dict[str, Any]:
    """`caller.*` facts: number, name, DID, mobile, callback_ok, anonymous."""
    number = info.caller_number
    return {"number": number, "name": info.caller_name, "did": info.did, "anonymous": not number,
            "mobile": bool(re.fullmatch(r"1[3-9]\d{9}", number)),
            "callback_ok": bool(CALLBACK_NUMBER.match(number))}


def hours_facts(directory: Directory, now: datetime) -> dict[str, Any]:
    """`hours.*` facts from the directory calendar (holidays, 调休)."""
    local = now.astimezone(ZoneInfo(directory.hours.timezone))
    return {"open": directory.is_open(now), "working_day": directory.is_business_day(local.date()),
            "service_day": directory.is_service_day(local.date()),
            "hour": local.hour, "weekday": local.isoweekday()}


def queue_facts(state: Any) -> dict[str, dict[str, int]]:
    """Per skill: callers waiting and members free, summed over centers and nodes of routing's state."""
    out: dict[str, dict[str, int]] = {}
    for node in (getattr(state, "nodes", None) or {}).values():
        for name, queue in (getattr(node, "queues", None) or {}).items():
            parts = name.split("-", 2)
            if len(parts) != 3:
                continue
            agg = out.setdefault(parts[2], {"waiting": 0, "available": 0})
            agg["waiting"] += len(getattr(queue, "callers", []) or [])
            agg["available"] += sum(1 for m in (getattr(queue, "members", None) or {}).values()
                                    if not m.paused and not m.in_call and m.status == 1)
    return out


def routing_state(service: Any) -> Any:
    """The routing service's live state, whichever way it exposes it (None when it is not running)."""
    return getattr(service, "state", None) if service is not None else None


def call_facts(directory: Directory, info: CallInfo, now: datetime, routing: Any = None) -> dict[str, Any]:
    """Every fact a flow may test at the start of a script."""
    return {"hours": hours_facts(directory, now), "caller": caller_facts(info),
            "queue": queue_facts(routing) if routing is not None else {},
            "directory": {"skills": [s.id for s in directory.skills]},
            "script": {"name": info.script, "args": list(info.args)}}
