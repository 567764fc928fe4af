"""Session and queue actions (manager.c, app_queue.c)."""
from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from . import events as ev
from .ami_actions import error, is_int, list_item, parse_bool, send_list, sleep_real, success
from .ami_server import ALL_CLASSES, classes
from .queues import queue_order
from .wire import Headers, get

if TYPE_CHECKING:
    from .ami_server import AmiSession


async def login(s: "AmiSession", h: Headers) -> None:
    """Login: plain Secret or AuthType MD5 + Key; FullyBooted follows when events are on."""
    user = s.server.check_login(s, h)
    if user is None:
        await sleep_real(s.server.auth_delay)
        error(s, h, "Authentication failed")
        s.close()
        return
    s.user = user
    _set_events(s, get(h, "Events", "on"))
    success(s, h, "Authentication accepted")
    sim = s.server.sim
    if s.events_on and user.reads("system"):
        s.send(ev.fully_booted(sim.uptime(), sim.uptime()))


def _set_events(s: "AmiSession", value: str) -> str:
    v = value.strip().lower()
    if v in ("on", "yes", "true", "1", "all"):
        s.events_on, s.event_mask = True, None
        return "On"
    if v in ("off", "no", "false", "0", ""):
        s.events_on, s.event_mask = False, None
        return "Off"
    mask = classes(v) & ALL_CLASSES
    s.events_on, s.event_mask = bool(mask), mask or None
    return "On" if mask else "Off"


async def challenge(s: "AmiSession", h: Headers) -> None:
    """Challenge (AuthType MD5)."""
    if get(h, "AuthType").lower() != "md5":
        error(s, h, "Must specify AuthType")
        return
    s.challenge = s.challenge or s.server.new_challenge()
    success(s, h, None, ("Challenge", s.challenge))


async def logoff(s: "AmiSession", h: Headers) -> None:
    """Logoff: Goodbye then close."""
    from .ami_actions import response

    s.send(response(h, "Goodbye", ("Message", "Thanks for all the fish.")))
    s.close()


async def ping(s: "AmiSession", h: Headers) -> None:
    """Ping: Pong with the wall-clock timestamp (manager.c action_ping)."""
    success(s, h, None, ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))


async def events(s: "AmiSession", h: Headers) -> None:
    """Events: EventMask on/off/classes → `Events: On|Off` (no Message)."""
    state = _set_events(s, get(h, "EventMask"))
    success(s, h, None, ("Events", state))


async def filter_(s: "AmiSession", h: Headers) -> None:
    """Filter: Operation Add, Filter <regex> or !<regex> (manager.c action_filter)."""
    op, flt = get(h, "Operation", "Add"), get(h, "Filter")
    if op.lower() != "add":
        error(s, h, "Unknown operation")
        return
    neg = flt.startswith("!")
    try:
        rx = re.compile(flt[1:] if neg else flt)
    except re.error:
        error(s, h, "Filter Not Added")
        return
    s.filters.append((neg, rx))
    success(s, h, "Filter Added Successfully")


async def listcommands(s: "AmiSession", h: Headers) -> None:
    """ListCommands: every action and its privilege."""
    from .ami_actions import PRIVILEGES

    body = [(name, ",".join(sorted(p)) if p else "<none>") for name, p in sorted(PRIVILEGES.items())]
    success(s, h, None, *body)


# -- queues --------------------------------------------------------------------------------
async def queue_add(s: "AmiSession", h: Headers) -> None:
    """QueueAdd (Queue, Interface, Penalty, Paused, Reason, MemberName, StateInterface)."""
    queue, iface = get(h, "Queue"), get(h, "Interface")
    if not queue or not iface:
        error(s, h, "'Queue' and 'Interface' not set.")
        return
    penalty = get(h, "Penalty", "0") or "0"
    if not is_int(penalty) or int(penalty) < 0:
        penalty = "0"
    err = s.server.sim.queues.add_member(queue, iface, get(h, "MemberName"), get(h, "StateInterface"),
                                         int(penalty), parse_bool(get(h, "Paused")), get(h, "Reason"))
    if err:
        error(s, h, err)
    else:
        success(s, h, "Added interface to queue")


async def queue_remove(s: "AmiSession", h: Headers) -> None:
    """QueueRemove (Queue, Interface)."""
    queue, iface = get(h, "Queue"), get(h, "Interface")
    if not queue or not iface:
        error(s, h, "Need 'Queue' and 'Interface' parameters.")
        return
    err = s.server.sim.queues.remove_member(queue, iface)
    if err:
        error(s, h, err)
    else:
        success(s, h, "Removed interface from queue")


async def queue_pause(s: "AmiSession", h: Headers) -> None:
    """QueuePause (Interface, Paused, Queue optional, Reason)."""
    iface, paused = get(h, "Interface"), get(h, "Paused")
    if not iface or not paused:
        error(s, h, "Need 'Interface' and 'Paused' parameters.")
        return
    on = parse_bool(paused)
    if not s.server.sim.queues.pause(get(h, "Queue"), iface, on, get(h, "Reason")):
        error(s, h, "Interface not found")
        return
    success(s, h, "Interface paused successfully" if on else "Interface unpaused successfully")


async def queue_penalty(s: "AmiSession", h: Headers) -> None:
    """QueuePenalty (Interface, Penalty, Queue)."""
    iface, pen = get(h, "Interface"), get(h, "Penalty")
    if not iface or not pen:
        error(s, h, "Need 'Interface' and 'Penalty' parameters.")
        return
    if not is_int(pen) or int(pen) < 0 or not s.server.sim.queues.penalty(get(h, "Queue"), iface, int(pen)):
        error(s, h, "Invalid interface, queuename or penalty")
        return
    success(s, h, "Interface penalty set successfully")


async def queue_status(s: "AmiSession", h: Headers) -> None:
    """QueueStatus: QueueParams, QueueMember*, QueueEntry* per queue, QueueStatusComplete."""
    eng, sim = s.server.sim.queues, s.server.sim
    want, member_filter = get(h, "Queue"), get(h, "Member")
    items = []
    for name in queue_order(list(eng.queues)):
        q = eng.queues[name]
        if want and name != want:
            continue
        sl = q.cfg.servicelevel
        items.append(list_item(h, "QueueParams", [
            ("Queue", name), ("Max", str(q.cfg.maxlen)), ("Strategy", q.cfg.strategy), ("Calls", str(len(q.entries))),
            ("Holdtime", str(q.holdtime)), ("TalkTime", str(q.talktime)), ("Completed", str(q.completed)),
            ("Abandoned", str(q.abandoned)), ("ServiceLevel", str(sl)), ("ServicelevelPerf", "0.0"),
            ("ServicelevelPerf2", "0.0"), ("Weight", str(q.cfg.weight))]))
        for m in q.ordered():
            if member_filter and member_filter not in (m.name, m.interface):
                continue
            items.append(list_item(h, "QueueMember", m.headers(name, "Name", "Location", list_form=True)))
        for pos, e in enumerate(q.entries, 1):
            c = e.chan
            items.append(list_item(h, "QueueEntry", [
                ("Queue", name), ("Position", str(pos)), ("Channel", c.name), ("Uniqueid", c.uniqueid),
                ("CallerIDNum", c.cid_num or "unknown"), ("CallerIDName", c.cid_name or "unknown"),
                ("ConnectedLineNum", c.conn_num or "unknown"), ("ConnectedLineName", c.conn_name or "unknown"),
                ("Wait", str(int(sim.now) - int(e.joined))), ("Priority", str(e.prio))]))
    send_list(s, h, "Queue status will follow", items, "QueueStatusComplete")


async def queue_summary(s: "AmiSession", h: Headers) -> None:
    """QueueSummary: LoggedIn/Available/Callers/HoldTime/TalkTime/LongestHoldTime per queue."""
    eng, sim = s.server.sim.queues, s.server.sim
    want = get(h, "Queue")
    items = []
    for name in queue_order(list(eng.queues)):
        q = eng.queues[name]
        if want and name != want:
            continue
        logged = sum(1 for m in q.members if m.status not in (4, 5))
        # app_queue.c manager_queues_summary: member_status_available && !paused (no wrap-up check)
        avail = sum(1 for m in q.members if m.status in (0, 1) and not m.paused)
        longest = max((int(sim.now) - int(e.joined) for e in q.entries), default=0)
        items.append(list_item(h, "QueueSummary", [
            ("Queue", name), ("LoggedIn", str(logged)), ("Available", str(avail)), ("Callers", str(len(q.entries))),
            ("HoldTime", str(q.holdtime)), ("TalkTime", str(q.talktime)), ("LongestHoldTime", str(longest))]))
    send_list(s, h, "Queue summary will follow", items, "QueueSummaryComplete")


def _handlers() -> dict:
    from . import ami_channel_handlers as ch
    from .notify import pjsip_notify

    return {
        "login": login, "challenge": challenge, "logoff": logoff, "ping": ping, "events": events,
        "filter": filter_, "listcommands": listcommands, "queueadd": queue_add, "queueremove": queue_remove,
        "queuepause": queue_pause, "queuepenalty": queue_penalty, "queuestatus": queue_status,
        "queuesummary": queue_summary, "coreshowchannels": ch.core_show_channels, "status": ch.status,
        "redirect": ch.redirect, "originate": ch.originate, "hangup": ch.hangup, "setvar": ch.setvar,
        "getvar": ch.getvar, "mixmonitor": ch.mixmonitor, "stopmixmonitor": ch.stop_mixmonitor,
        "blindtransfer": ch.blind_transfer, "atxfer": ch.atxfer,
        "pjsipnotify": pjsip_notify, "cancelatxfer": ch.cancel_atxfer,
    }


HANDLERS = _handlers()
