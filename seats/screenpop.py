"""Screen pop — pure: what the console shows when a call rings, masked for the viewer's role."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from hotline.auth import Role

# Who may see a caller's full number; a seat sees it masked (138****8000) as the privacy rules ask.
FULL_NUMBER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def mask_number(number: str | None) -> str:
    """138****8000 for a mobile, 0371****48 style for fixed lines; short numbers keep only their tail."""
    digits = re.sub(r"\D", "", number or "")
    digits = re.sub(r"^(?:0086|86)(?=1\d{10}$)", "", digits)  # +86 138… is the same mobile
    if not digits:
        return "未知号码"
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
    return "*" * (len(digits) - 2) + digits[-2:] if len(digits) > 2 else "**"


def shown_number(number: str | None, role: Role | str) -> str:
    """The number as this role may see it."""
    return (number or "未知号码") if Role(role) in FULL_NUMBER_ROLES else mask_number(number)


def for_role(seat_view: dict[str, Any], role: Role | str) -> dict[str, Any]:
    """A `seat.status` view as `role` may see it: the current call's number masked for seats."""
    call = seat_view.get("call")
    if not call or "caller_number" not in call:
        return seat_view
    return {**seat_view, "call": {**call, "caller_number": shown_number(call.get("caller_number"), role)}}


def ivr_path_label(path: str | list | tuple | None, directory, notes: dict[str, str] | None = None) -> str:
    """The caller's way through the IVR, in words.

    A list of flow node ids (as the routing engine reports it) is named from the flow's notes
    (`notes`: node id → note); digits such as `1-2` are named from the catalogue (法律咨询 › 劳动争议).
    """
    if isinstance(path, (list, tuple)):
        notes = notes or {}
        named = [_short(notes[n]) for n in path if notes.get(n)]
        return " › ".join(named or [str(n) for n in path]) or "—"
    if not path:
        return "—"
    parts = [p for p in re.split(r"[-,> ]+", path) if p]
    names = []
    skill = next((s for s in directory.skills if parts and s.ivr_digit == parts[0]), None)
    if skill:
        names.append(skill.name)
        cat = next((c for c in skill.categories if len(parts) > 1 and c.ivr_digit == parts[1]), None)
        if cat:
            names.append(cat.name)
    return " › ".join(names) + f" ({path})" if names else path


def _short(note: str) -> str:
    """`主菜单；数字与…` → `主菜单`: the note up to its first clause."""
    return re.split(r"[；（(，,]", note, maxsplit=1)[0].strip() or note


def build_pop(call: dict[str, Any], previous_calls: list[dict], tickets: list[dict], role: Role | str,
              directory, now: datetime, notes: dict[str, str] | None = None) -> dict[str, Any]:
    """The screen pop for one ringing call (`call` = the `call.ringing` payload)."""
    prefecture = call.get("prefecture_name") or directory.region_name(call.get("prefecture_code") or "") or "未知"
    skill = directory.skill(call.get("skill") or "")
    category = directory.category(call.get("category") or "")
    return {
        "linkedid": call.get("linkedid"),
        "caller_number": shown_number(call.get("caller_number"), role),
        "caller_name": call.get("caller_name") or "",
        "prefecture": prefecture,
        "queue": call.get("queue"),
        "skill": skill.name if skill else (call.get("skill") or ""),
        "category": category.name if category else "",
        "category_id": category.id if category else "",
        "ivr_path": ivr_path_label(call.get("ivr_path"), directory, notes),
        "waited_seconds": int(call.get("waited_seconds") or 0),
        "green": bool(call.get("green")),
        "handoff_ticket": call.get("handoff_ticket"),
        "previous_calls": [_previous(c, directory) for c in previous_calls],
        "tickets": tickets,
        "first_contact": _first_contact(previous_calls, tickets),
    }


def _previous(c: dict, directory) -> dict:
    seat = directory.seat(c.get("seat_extension") or "")
    return {**c, "handled_by": seat.name if seat else (c.get("seat_extension") or "未接通")}


def _first_contact(calls: list[dict], tickets: list[dict]) -> str | None:
    """首问负责: who took this citizen's most recent answered call or ticket."""
    for t in tickets:
        if t.get("owner"):
            return f"{t['owner']}（坐席{t['owner_seat']}）" if t.get("owner_seat") else t["owner"]
    for c in calls:
        if c.get("seat_extension"):
            return f"坐席{c['seat_extension']}"
    return None
