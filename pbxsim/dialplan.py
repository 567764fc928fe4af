"""The 12348 dialplan (docs/architecture.md, traces' extensions.conf) and its applications."""
from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from . import queue_calls
from .agi import AgiSession, deliver_hangup
from .expr import substitute as expand
from .model import UP, Channel

if TYPE_CHECKING:
    from .core import Simulator

Step = tuple  # (application, data) or (application, data, label)
PERSONAL_QUEUE = "seat-{ext}"  # 首问负责制: one queue per seat, the seat its only (static) member


def personal_queue(extension: str) -> str:
    """The personal queue of a seat (asterisk-config renders the same name)."""
    return PERSONAL_QUEUE.format(ext=extension)


def inbound_steps(fastagi: str | None, queue_timeout: int, seat_ring: int) -> list[Step]:
    """[hotline-inbound] s: language, IVR, then by HOTLINE_ACTION (asterisk-config's extensions.conf)."""
    agi = (fastagi or "").rstrip("/")
    # without a FastAGI server the caller's preset variables stand for the IVR (tests, load)
    ivr = [("AGI", f"{agi}/ivr")] if fastagi else [
        ("GotoIf", '$["${HOTLINE_ACTION}"!=""]?route'), ("Set", "HOTLINE_ACTION=queue")]
    # without after-queue a caller nobody answered is sent away, as the script does after its offers
    after = ("AGI", f"{agi}/after-queue") if fastagi else ("Set", "HOTLINE_ACTION=hangup")
    return [
        ("Set", "CHANNEL(language)=zh"), ("Set", "HOTLINE_ROUNDS=0"), ("Answer", ""), *ivr,
        ("Set", "HOTLINE_ROUNDS=$[${HOTLINE_ROUNDS}+1]", "route"),
        ("GotoIf", "$[${HOTLINE_ROUNDS}>3]?bye"),
        ("GotoIf", '$["${HOTLINE_ACTION}"="queue"]?queue'),
        ("Hangup", "", "bye"),
        ("Set", "QUEUE_PRIO=0${FILTER(0-9,${HOTLINE_PRIORITY})}", "queue"),
        ("GotoIf", '$["${FILTER(0-9,${HOTLINE_PREFERRED_SEAT})}"=""]?main'),
        ("Set", "HOTLINE_FIRST_SEAT=${FILTER(0-9,${HOTLINE_PREFERRED_SEAT})}"),
        ("Set", "HOTLINE_PREFERRED_SEAT="),  # one try per call: a later round queues normally
        ("Queue", f"{personal_queue('${HOTLINE_FIRST_SEAT}')},tc,,,{seat_ring}"),
        ("GotoIf", '$["${MEMBERINTERFACE}"!=""]?survey,s,1'),
        ("Queue", f"${{FILTER(-a-z0-9_.,${{HOTLINE_QUEUE}})}},tc,,,{queue_timeout}", "main"),
        ("GotoIf", '$["${MEMBERINTERFACE}"!=""]?survey,s,1'),
        after, ("Goto", "route"),
    ]


def trace_steps(fastagi: str | None, queue_timeout: int) -> dict[str, dict[str, list[Step]]]:
    """from-carrier and queue-overflow of the reference captures' extensions.conf (conformance tests)."""
    agi = (fastagi or "").rstrip("/")
    ivr = [("AGI", f"{agi}/ivr")] if fastagi else [("Set", "HOTLINE_ACTION=queue")]
    after = [("AGI", f"{agi}/after-queue")] if fastagi else [("NoOp", "after-queue")]
    return {
        "from-carrier": {
            "_X.": [("Answer", ""), *ivr, ("Queue", f"${{HOTLINE_QUEUE}},rt,,,{queue_timeout}"), *after, ("Hangup", "")],
        },
        "queue-overflow": {
            "_X.": [("Queue", f"q-${{EXTEN}}-${{HOTLINE_SKILL}},rt,,,{queue_timeout}"), *after, ("Hangup", "")],
        },
    }


def hotline_steps(fastagi: str | None, queue_timeout: int, seat_ring: int) -> dict[str, dict[str, list[Step]]]:
    """from-carrier, hotline-inbound and queue-overflow as asterisk-config renders them."""
    return {
        "from-carrier": {"_X.": [("Set", "__HOTLINE_DID=${EXTEN}"), ("Goto", "hotline-inbound,s,1")]},
        "hotline-inbound": {"s": inbound_steps(fastagi, queue_timeout, seat_ring)},
        "queue-overflow": {
            "_X.": [("Set", "HOTLINE_QUEUE=q-${EXTEN}-${FILTER(-a-z0-9_.,${HOTLINE_SKILL})}"),
                    ("Goto", "hotline-inbound,s,queue")],
        },
    }


def build_dialplan(fastagi: str | None, queue_timeout: int, handoff: str = "12345",
                   callback_dial: str = "PJSIP/caller/${EXTEN}", seat_ring: int = 20,
                   flavour: str = "hotline") -> dict[str, dict[str, list[Step]]]:
    """Contexts → extension pattern → priorities: asterisk-config's extensions.conf ("hotline") or
    the one the reference captures were made with ("traces")."""
    agi = (fastagi or "").rstrip("/")
    entry = trace_steps(fastagi, queue_timeout) if flavour == "traces" else hotline_steps(fastagi, queue_timeout,
                                                                                           seat_ring)
    return {
        **entry,
        "callback": {"_X.": [("Dial", f"{callback_dial},30"), ("Hangup", "")]},
        handoff and "handoff-12345": {handoff: [("Answer", ""), ("Playback", "hotline/handoff-12345"), ("Wait", "60"), ("Hangup", "")]},
        "seat-transfer": {"_X.": [("Dial", f"PJSIP/seat${{EXTEN}},{seat_ring}"), ("Hangup", "")]},
        "chanspy": {mode: [("Answer", ""), ("ChanSpy", f"${{SPY_TARGET}},q{opt}E"), ("Hangup", "")]
                    for mode, opt in (("listen", ""), ("whisper", "w"), ("barge", "B"))},
        "survey": {"s": [("AGI", f"{agi}/survey") if fastagi else ("NoOp", "survey"), ("Hangup", "")]},
        "from-seats": {"_X.": [("Hangup", "")]},
    }


def match(pattern: str, exten: str) -> bool:
    """Asterisk extension pattern match (_X, _Z, _N, _., _!, [..])."""
    if not pattern.startswith("_"):
        return pattern == exten
    rx = ""
    body = pattern[1:]
    i = 0
    while i < len(body):
        c = body[i]
        if c == "X":
            rx += "[0-9]"
        elif c == "Z":
            rx += "[1-9]"
        elif c == "N":
            rx += "[2-9]"
        elif c == ".":
            rx += ".+"
        elif c == "!":
            rx += ".*"
        elif c == "[":
            j = body.index("]", i)
            rx += body[i:j + 1]
            i = j
        else:
            rx += re.escape(c)
        i += 1
    return re.fullmatch(rx, exten) is not None


def substitute(sim: "Simulator", chan: Channel, text: str) -> str:
    """${VAR}, ${EXTEN}, functions and $[...] expressions (pbxsim.expr)."""
    def value(name: str) -> str:
        if name == "EXTEN":
            return chan.exten
        if name == "CALLERID(num)":
            return chan.cid_num
        if name == "CHANNEL(language)":
            return chan.language
        if name == "CHANNEL(linkedid)":
            return chan.linkedid
        return chan.variables.get(name, sim.globals.get(name, ""))
    return expand(text, value)


def _steps(sim: "Simulator", context: str, exten: str) -> list[Step] | None:
    ctx = sim.dialplan.get(context, {})
    steps = ctx.get(exten)
    if steps is None:
        for pattern, cand in ctx.items():
            if match(pattern, exten):
                return cand
    return steps


def lookup(sim: "Simulator", chan: Channel) -> Step | None:
    """The application at the channel's context/exten/priority."""
    steps = _steps(sim, chan.context, chan.exten)
    if steps is None or not 1 <= chan.priority <= len(steps):
        return None
    return steps[chan.priority - 1]


def goto(sim: "Simulator", chan: Channel, target: str) -> bool:
    """Goto([[context,]exten,]priority|label) (main/pbx.c ast_parseable_goto); False if it leads nowhere."""
    parts = [p.strip() for p in target.split(",")]
    context, exten = chan.context, chan.exten
    if len(parts) == 3:
        context, exten = parts[0], parts[1]
    elif len(parts) == 2:
        exten = parts[0]
    where = parts[-1]
    steps = _steps(sim, context, exten)
    if steps is None:
        return False
    if where.isdigit():
        prio = int(where)
    else:
        prio = next((i for i, st in enumerate(steps, 1) if len(st) > 2 and st[2] == where), 0)
    if not 1 <= prio <= len(steps):
        return False
    chan.context, chan.exten, chan.priority = context, exten, prio
    chan.__dict__["_redirected"] = True
    return True


async def run_pbx(sim: "Simulator", chan: Channel) -> None:
    """The channel's PBX thread: run priorities until hang-up (main/pbx.c __ast_pbx_run)."""
    while not chan.hungup:
        chan.__dict__["_redirected"] = False
        step = lookup(sim, chan)
        if step is None or chan.variables.get("__SOFTHANGUP") == "1":
            break
        app, raw = step[0], step[1]
        chan.application, chan.app_data = app, substitute(sim, chan, raw)
        result = await APPS[app](sim, chan, chan.app_data)
        if chan.hungup:
            return
        if chan.__dict__.get("_redirected"):
            continue
        if result == "hangup" or chan.variables.get("__SOFTHANGUP") == "1":
            break
        chan.priority += 1
    finish(sim, chan)


def finish(sim: "Simulator", chan: Channel, cause: int | None = None) -> None:
    """The PBX thread ends: SoftHangupRequest, Hangup, device state."""
    if chan.hungup:
        return
    sim.soft_hangup(chan, 16)
    sim.destroy(chan, chan.hangup_cause if cause is None else cause)
    sim.refresh_endpoint(chan.endpoint)


async def app_answer(sim: "Simulator", chan: Channel, data: str) -> str:
    """Answer()."""
    if chan.state != UP:
        sim.set_state(chan, UP)
        sim.refresh_endpoint(chan.endpoint)
    return "ok"


async def app_agi(sim: "Simulator", chan: Channel, data: str) -> str:
    """AGI(agi://host:port/script,args): a FastAGI session."""
    url, *args = data.split(",")
    status = await AgiSession(sim, chan, url, args).run()
    chan.variables["AGISTATUS"] = status
    return "hangup" if status == "HANGUP" or chan.variables.get("__SOFTHANGUP") == "1" else "ok"


async def app_queue(sim: "Simulator", chan: Channel, data: str) -> str:
    """Queue(name,options,,,timeout) with QUEUE_PRIO."""
    parts = data.split(",")
    name = parts[0]
    timeout = float(parts[4]) if len(parts) > 4 and parts[4] else None
    prio_raw = chan.variables.get("QUEUE_PRIO") or chan.variables.get("HOTLINE_PRIORITY") or "0"
    prio = int(prio_raw) if prio_raw.lstrip("-").isdigit() else 0
    fut = queue_calls.join(sim.queues, chan, name, timeout, prio)
    status = await fut
    chan.variables["QUEUESTATUS"] = status if status != "ANSWERED" else chan.variables.get("QUEUESTATUS", "")
    if status == "ANSWERED":
        done = chan.__dict__.setdefault("_bridge_done", asyncio.get_running_loop().create_future())
        await done
        if chan.__dict__.pop("_transferred", False):
            return "ok"
        return "hangup"
    if status == "HANGUP":
        return "hangup"
    return "ok"


async def app_wait(sim: "Simulator", chan: Channel, data: str) -> str:
    """Wait(seconds) / Playback(file): time passes unless the caller hangs up."""
    secs = float(data) if data.replace(".", "", 1).isdigit() else sim.config.prompt_seconds.get(data, 0.0)
    await interruptible(sim, chan, secs)
    return "ok"


async def interruptible(sim: "Simulator", chan: Channel, secs: float) -> None:
    """Sleep in simulated time; returns early on hang-up or Redirect."""
    fut = asyncio.get_running_loop().create_future()
    chan.__dict__["_interrupt"] = fut
    timer = sim.sched.call_later(secs, lambda: fut.done() or fut.set_result(None))
    try:
        await fut
    finally:
        timer.cancel()


async def app_noop(sim: "Simulator", chan: Channel, data: str) -> str:
    """NoOp."""
    return "ok"


async def app_set(sim: "Simulator", chan: Channel, data: str) -> str:
    """Set(VAR=value): `__`/`_` inheritance prefixes dropped on read, CHANNEL(language) sets the language."""
    key, sep, value = data.partition("=")
    if not sep:
        return "ok"
    if key == "CHANNEL(language)":
        chan.language = value
    elif value == "":
        chan.variables.pop(key.lstrip("_"), None)
    else:
        chan.variables[key.lstrip("_")] = value
    return "ok"


async def app_goto(sim: "Simulator", chan: Channel, data: str) -> str:
    """Goto(): a target that does not exist ends the call (pbx.c: the PBX finds no extension)."""
    return "ok" if goto(sim, chan, data) else "hangup"


async def app_gotoif(sim: "Simulator", chan: Channel, data: str) -> str:
    """GotoIf(cond?[iftrue][:iffalse]): a true condition is anything but empty or 0."""
    cond, _, targets = data.partition("?")
    iftrue, _, iffalse = targets.partition(":")
    target = iftrue if cond.strip() not in ("", "0") else iffalse
    if not target:
        return "ok"
    return "ok" if goto(sim, chan, target) else "hangup"


async def app_hangup(sim: "Simulator", chan: Channel, data: str) -> str:
    """Hangup()."""
    return "hangup"


async def app_chanspy(sim: "Simulator", chan: Channel, data: str) -> str:
    """ChanSpy(target,options): see pbxsim.spy."""
    from .spy import app_chanspy as spy

    return await spy(sim, chan, data)


async def app_dial(sim: "Simulator", chan: Channel, data: str) -> str:
    """Dial(tech/resource,timeout): ring one endpoint and bridge on answer."""
    from .dial import dial

    return await dial(sim, chan, data)


APPS = {
    "Answer": app_answer, "AGI": app_agi, "Queue": app_queue, "Wait": app_wait, "Playback": app_wait,
    "NoOp": app_noop, "Set": app_set, "Goto": app_goto, "GotoIf": app_gotoif, "Hangup": app_hangup, "Dial": app_dial, "ChanSpy": app_chanspy,
}


def interrupt(chan: Channel) -> None:
    """Wake whatever the channel's application waits for (hang-up or Redirect)."""
    fut = chan.__dict__.get("_interrupt")
    if fut is not None and not fut.done():
        fut.set_result(None)
    deliver_hangup(chan)
