"""AMI actions: Login/Logoff/Ping/Events/Filter and the call-center actions the issue lists.

Messages and list semantics follow main/manager.c, apps/app_queue.c (manager_add_queue_member,
manager_remove_queue_member, manager_pause_queue_member, manager_queue_member_penalty,
manager_queues_status, manager_queues_summary), main/manager_channels.c and
apps/app_mixmonitor.c. Privileges: ../asterisk-traces/ami-privileges.txt.
"""
from __future__ import annotations

import asyncio
import random
import re
from typing import TYPE_CHECKING, Awaitable, Callable

from . import events as ev
from .wire import Headers, WireError, check_value, get

if TYPE_CHECKING:
    from .ami_server import AmiSession

Handler = Callable[["AmiSession", Headers], Awaitable[None]]

# write classes needed per action (ami-privileges.txt); None = any logged-in user
PRIVILEGES: dict[str, set[str] | None] = {
    "login": None, "challenge": None, "logoff": None, "ping": None, "events": None, "filter": {"system", "reporting"},
    "queueadd": {"agent"}, "queueremove": {"agent"}, "queuepause": {"agent"}, "queuepenalty": {"agent"},
    "queuestatus": None, "queuesummary": None, "coreshowchannels": {"system", "reporting"},
    "status": {"system", "call", "reporting"}, "redirect": {"call"}, "originate": {"originate"},
    "hangup": {"system", "call"}, "setvar": {"call"}, "getvar": {"call", "reporting"},
    "mixmonitor": {"system"}, "stopmixmonitor": {"system", "call"}, "blindtransfer": {"call"},
    "atxfer": {"call"}, "listcommands": None, "pjsipnotify": {"system"},
    "cancelatxfer": {"call"},
}


def response(headers: Headers, kind: str, *extra: tuple[str, str]) -> Headers:
    """`Response: <kind>` + ActionID (if the action had one) + extra headers."""
    out: Headers = [("Response", kind)]
    aid = get(headers, "ActionID")
    if aid and _clean(aid):  # an ActionID with control characters is never echoed (it was refused)
        out.append(("ActionID", aid))
    out.extend(extra)
    return out


def _clean(value: str) -> bool:
    try:
        check_value(value)
    except WireError:
        return False
    return True


def success(s: "AmiSession", h: Headers, message: str | None = None, *extra: tuple[str, str]) -> None:
    """Send `Response: Success` (with Message when given)."""
    body = ([("Message", message)] if message is not None else []) + list(extra)
    s.send(response(h, "Success", *body))


def error(s: "AmiSession", h: Headers, message: str) -> None:
    """Send `Response: Error` with Asterisk's message."""
    s.send(response(h, "Error", ("Message", message)))


def list_item(h: Headers, name: str, body: Headers, aid_first: bool = False) -> Headers:
    """An EventList item: no Privilege line; ActionID last (or first for CoreShowChannel)."""
    aid = get(h, "ActionID")
    tail = [("ActionID", aid)] if aid else []
    return [("Event", name), *(tail if aid_first else []), *body, *([] if aid_first else tail)]


def send_list(s: "AmiSession", h: Headers, start_msg: str, items: list[Headers], done: str,
              extra: Headers = ()) -> None:
    """EventList start → items → `<done>` with EventList: Complete and ListItems."""
    s.send(response(h, "Success", ("EventList", "start"), ("Message", start_msg)))
    for item in items:
        s.send(item)
    aid = get(h, "ActionID")
    s.send([("Event", done), *([("ActionID", aid)] if aid else []), ("EventList", "Complete"),
            ("ListItems", str(len(items))), *extra])


async def dispatch(s: "AmiSession", h: Headers) -> None:
    """Route one action (manager.c process_message)."""
    from .ami_handlers import HANDLERS

    action = get(h, "Action")
    try:
        for _, v in h:
            check_value(v)
    except WireError:
        error(s, h, "Invalid characters in request")
        return
    if not action:
        error(s, h, "Missing action in request")
        return
    key = action.lower()
    if s.user is None and key not in ("login", "challenge", "logoff"):
        error(s, h, "Permission denied")
        return
    handler = HANDLERS.get(key)
    if handler is None:
        error(s, h, f"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands.")
        return
    need = PRIVILEGES.get(key)
    if need is not None and s.user is not None and "all" not in s.user.write and not (need & s.user.write):
        error(s, h, "Permission denied")
        return
    sim = s.server.sim
    sim.sched.touch()
    sim.hold_events()
    try:
        await handler(s, h)
    except Exception:  # a broken action answers an error; the PBX keeps running
        import logging

        logging.getLogger(__name__).exception("AMI action %s failed", action)
        error(s, h, f"Internal error processing {action}")
    finally:
        sim.release_events()


def new_challenge() -> str:
    """A decimal challenge like manager.c (random number)."""
    return str(random.randint(10**8, 10**9 - 1))


def parse_bool(value: str) -> bool:
    """ast_true: yes/true/y/t/1/on."""
    return value.strip().lower() in ("yes", "true", "y", "t", "1", "on")


def is_int(value: str) -> bool:
    """Whole number (optionally negative)."""
    return re.fullmatch(r"-?\d+", value.strip() or "x") is not None


async def sleep_real(seconds: float) -> None:
    """Wall-clock delay (failed logins are slowed down even in virtual time)."""
    await asyncio.sleep(seconds)
