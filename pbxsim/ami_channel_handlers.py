"""Channel actions: CoreShowChannels, Status, Redirect, Originate, Hangup, Setvar/Getvar,
MixMonitor/StopMixMonitor, BlindTransfer, Atxfer (main/manager.c, manager_channels.c,
app_mixmonitor.c, main/bridge.c)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import calls
from . import events as ev
from .ami_actions import error, is_int, list_item, parse_bool, send_list, success
from .wire import Headers, get, get_all

if TYPE_CHECKING:
    from .ami_server import AmiSession
    from .model import Channel


def _named_channel(s: "AmiSession", h: Headers, missing: str = "No channel specified",
                   unknown: str = "No such channel") -> "Channel | None":
    """The live channel the Channel header names; else answer `missing`/`unknown` and return None."""
    name = get(h, "Channel")
    if not name:
        error(s, h, missing)
        return None
    chan = s.server.sim.find_channel(name)
    if chan is None:
        error(s, h, unknown)
    return chan


def _variable_store(s: "AmiSession", h: Headers) -> tuple[str, dict[str, str]] | None:
    """Setvar/Getvar: the Variable header and the optional Channel's variables (else the globals);
    None once the error is answered."""
    sim = s.server.sim
    var, name = get(h, "Variable"), get(h, "Channel")
    if not var:
        error(s, h, "No variable specified")
        return None
    chan = sim.find_channel(name) if name else None
    if name and chan is None:
        error(s, h, "No such channel")
        return None
    return var, (chan.variables if chan else sim.globals)


def _duration(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


async def core_show_channels(s: "AmiSession", h: Headers) -> None:
    """CoreShowChannels: one CoreShowChannel per channel (ActionID first), then Complete."""
    sim = s.server.sim
    items = []
    for c in sim.listed_channels():
        items.append(list_item(h, "CoreShowChannel", [
            *ev.chan_block(c.snapshot()), ("Application", c.application), ("ApplicationData", c.app_data),
            ("Duration", _duration(int(sim.now - c.created))),  # manager.c: elapsed ms / 1000
            ("BridgeId", c.bridge.uniqueid if c.bridge else "")], aid_first=True))
    send_list(s, h, "Channels will follow", items, "CoreShowChannelsComplete")


async def status(s: "AmiSession", h: Headers) -> None:
    """Status (all channels or one, with Variables)."""
    sim = s.server.sim
    name = get(h, "Channel")
    chans = sim.listed_channels()
    if name:
        chan = sim.find_channel(name)
        if chan is None:
            error(s, h, "No such channel")
            return
        chans = [chan]
    wanted = [v.strip() for v in get(h, "Variables").split(",") if v.strip()]
    items = []
    waiting = {e.chan.name for q in sim.queues.queues.values() for e in q.entries}
    for c in chans:
        # a caller waiting with Queue option r hears generated ringing: signed linear, translated
        # to the channel's ulaw (traces: status-midcall)
        wfmt, wtrans = ("slin", "(slin@8000)->(ulaw@8000)") if c.name in waiting else ("ulaw", "")
        body = [("Privilege", "Call"), *ev.chan_block(c.snapshot()), ("Type", c.tech), ("DNID", c.dnid),
                ("EffectiveConnectedLineNum", c.conn_num or "<unknown>"),
                ("EffectiveConnectedLineName", c.conn_name or "<unknown>"), ("TimeToHangup", "0"),
                ("BridgeID", c.bridge.uniqueid if c.bridge else ""), ("Application", c.application),
                ("Data", c.app_data), ("Nativeformats", "(ulaw)"), ("Readformat", "ulaw"), ("Readtrans", ""),
                ("Writeformat", wfmt), ("Writetrans", wtrans), ("Callgroup", "0"), ("Pickupgroup", "0"),
                ("Seconds", str(int(sim.now - c.created)))]  # manager.c: ast_tvdiff_sec
        body += [("Variable", f"{v}={c.variables.get(v, '')}") for v in wanted]
        items.append(list_item(h, "Status", body))
    send_list(s, h, "Channel status will follow", items, "StatusComplete", extra=[("Items", str(len(items)))])


async def redirect(s: "AmiSession", h: Headers) -> None:
    """Redirect (Channel, ExtraChannel, Context, Exten, Priority)."""
    sim = s.server.sim
    name, ctx, exten, prio = get(h, "Channel"), get(h, "Context"), get(h, "Exten"), get(h, "Priority")
    if not name:
        error(s, h, "Channel not specified")
        return
    if not prio or not is_int(prio):
        error(s, h, "Invalid priority")
        return
    chan = sim.find_channel(name)
    if chan is None:
        error(s, h, f"Channel does not exist: {name}")
        return
    extra_name = get(h, "ExtraChannel")
    extra = sim.find_channel(extra_name) if extra_name else None
    if extra_name and extra is None:
        error(s, h, f"ExtraChannel does not exist: {extra_name}")
        return
    if ctx not in sim.dialplan:
        error(s, h, "Redirect failed")
        return
    success(s, h, "Redirect successful" if extra is None else "Dual Redirect successful")
    both = extra is not None and sim.peer(chan) is extra
    if extra is not None:  # set the extra leg's destination first: it must not be hung up
        extra.context, extra.exten = get(h, "ExtraContext") or ctx, get(h, "ExtraExten") or exten
        extra.priority = int(get(h, "ExtraPriority") or prio)
    calls.redirect(sim, chan, ctx, exten, int(prio), keep_peer=both)
    if extra is not None and not both:
        calls.redirect(sim, extra, extra.context, extra.exten, extra.priority)


async def originate(s: "AmiSession", h: Headers) -> None:
    """Originate (async into Context/Exten/Priority); OriginateResponse follows."""
    from .dial import OriginateRequest, originate as do_originate

    sim = s.server.sim
    chan, ctx, exten, prio = get(h, "Channel"), get(h, "Context"), get(h, "Exten"), get(h, "Priority") or "1"
    if not chan or "/" not in chan:
        error(s, h, "Channel not specified" if not chan else "Invalid channel")
        return
    app = get(h, "Application")
    if not app and not exten:
        error(s, h, "Exten not specified")
        return
    if not is_int(prio):
        error(s, h, "Invalid priority")
        return
    timeout_ms = get(h, "Timeout") or "30000"
    if not is_int(timeout_ms) or int(timeout_ms) <= 0:
        error(s, h, "Invalid timeout")
        return
    cid = _parse_callerid(get(h, "CallerID"))
    variables = {}
    for raw in get_all(h, "Variable"):
        for pair in raw.split(","):
            k, _, v = pair.partition("=")
            if k:
                variables[k.strip()] = v
    if not parse_bool(get(h, "Async")):
        error(s, h, "pbxsim supports Async: true Originate only")
        return
    success(s, h, "Originate successfully queued")
    do_originate(sim, OriginateRequest(get(h, "ActionID"), chan, ctx, exten, int(prio), cid,
                                       int(timeout_ms) / 1000, variables, app, get(h, "Data")))


def _parse_callerid(text: str) -> tuple[str, str] | None:
    """`"Name" <num>` / `Name <num>` / `num` (ast_callerid_parse)."""
    if not text:
        return None
    m = re.fullmatch(r'\s*"?([^"<]*?)"?\s*<([^>]*)>\s*', text)
    if m:
        return m.group(2), m.group(1)
    return text.strip(), ""


async def hangup(s: "AmiSession", h: Headers) -> None:
    """Hangup: exact name, or /regex/ with ChannelHungup items (manager.c ast_manager_hangup_helper).

    An invalid Cause is ignored (the channel is still hung up), as manager.c does.
    """
    sim = s.server.sim
    name, cause_raw = get(h, "Channel"), get(h, "Cause")
    if not name:
        error(s, h, "No channel specified")
        return
    cause = int(cause_raw) if is_int(cause_raw) and 0 < int(cause_raw) <= 127 else 16
    if not name.startswith("/"):
        chan = sim.find_channel(name)
        if chan is None:
            error(s, h, "No such channel")
            return
        success(s, h, "Channel Hungup")
        calls.hangup(sim, chan, cause)
        return
    if len(name) < 2 or not name.endswith("/"):
        error(s, h, "Regex format invalid, Channel param should be /regex/")
        return
    try:
        rx = re.compile(name[1:-1])
    except re.error:
        error(s, h, f"Regex compile failed on: {name}")
        return
    targets = [c for c in sim.listed_channels() if rx.search(c.name)]
    items = [list_item(h, "ChannelHungup", [("Channel", c.name)]) for c in targets]
    send_list(s, h, "Channels hung up will follow", items, "ChannelsHungupListComplete")
    for c in targets:
        calls.hangup(sim, c, cause)


async def setvar(s: "AmiSession", h: Headers) -> None:
    """Setvar (Channel optional, Variable, Value)."""
    target = _variable_store(s, h)
    if target is None:
        return
    var, store = target
    store[var] = get(h, "Value")
    success(s, h, "Variable Set")


async def getvar(s: "AmiSession", h: Headers) -> None:
    """Getvar (Channel optional, Variable)."""
    target = _variable_store(s, h)
    if target is None:
        return
    var, store = target
    success(s, h, None, ("Variable", var), ("Value", store.get(var, "")))


async def mixmonitor(s: "AmiSession", h: Headers) -> None:
    """MixMonitor (Channel, File, Options with r()/t()): bare Success, MixMonitorStart."""
    from .recorder import start_recording

    chan = _named_channel(s, h)
    if chan is None:
        return
    if not get(h, "File"):
        error(s, h, "No file specified")  # pbxsim requires a file; Asterisk would invent one
        return
    success(s, h)
    start_recording(s.server.sim, chan, get(h, "File"), get(h, "Options"))


async def stop_mixmonitor(s: "AmiSession", h: Headers) -> None:
    """StopMixMonitor (Channel): bare Success, MixMonitorStop."""
    from .recorder import stop_recording

    chan = _named_channel(s, h, missing="No such channel")  # no name is answered as an unknown channel
    if chan is None:
        return
    if not stop_recording(s.server.sim, chan):
        error(s, h, "Could not stop MixMonitor")
        return
    success(s, h)


async def blind_transfer(s: "AmiSession", h: Headers) -> None:
    """BlindTransfer (Channel, Context, Exten): the channel's peer goes to Context/Exten."""
    from .transfer import blind_transfer as do_transfer

    ctx, exten = get(h, "Context"), get(h, "Exten")
    chan = _named_channel(s, h)
    if chan is None:
        return
    if not exten:
        error(s, h, "No extension specified")
        return
    if chan.bridge is None:
        error(s, h, "Transfer failed")
        return
    success(s, h, "Transfer succeeded")
    do_transfer(s.server.sim, chan, ctx or chan.context, exten)


async def atxfer(s: "AmiSession", h: Headers) -> None:
    """Atxfer: queue the features.conf atxfer code + digits as DTMF (manager.c action_atxfer)."""
    sim = s.server.sim
    name, exten = get(h, "Channel"), get(h, "Exten")
    if not name:
        error(s, h, "No channel specified")
        return
    if not exten:
        error(s, h, "No extension specified")
        return
    chan = sim.find_channel(name)
    if chan is None:
        error(s, h, "Channel specified does not exist")
        return
    context = get(h, "Context")
    if context:
        chan.variables["TRANSFER_CONTEXT"] = context  # manager.c: pbx_builtin_setvar_helper
    success(s, h, "Atxfer successfully queued")
    from .atxfer import start

    start(sim, chan, exten, chan.variables.get("TRANSFER_CONTEXT") or chan.context)


async def cancel_atxfer(s: "AmiSession", h: Headers) -> None:
    """CancelAtxfer: queue the atxferabort code; a consulting transferer returns to the caller."""
    chan = _named_channel(s, h, unknown="Channel specified does not exist")
    if chan is None:
        return
    success(s, h, "CancelAtxfer successfully queued")
    from .atxfer import cancel

    cancel(s.server.sim, chan)
