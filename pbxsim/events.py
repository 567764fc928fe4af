"""AMI event builders: names, header names, header order and value formats of Asterisk 22.

Header order follows the `<managerEvent>` documentation (../asterisk-reference/ami-events.json,
cross-checked in tests) and the reference traces; snapshot blocks follow
main/manager_channels.c (`ast_manager_build_channel_state_string_prefix`) and
main/manager_bridges.c (`ast_manager_build_bridge_state_string_prefix`).
"""
from __future__ import annotations

from .model import CAUSE_TEXT, Bridge, Channel
from .wire import Headers

CHANNEL_KEYS = (
    "Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
    "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid",
)
BRIDGE_KEYS = (
    "BridgeUniqueid", "BridgeType", "BridgeTechnology", "BridgeCreator", "BridgeName",
    "BridgeNumChannels", "BridgeVideoSourceMode",
)

# read class of each event pbxsim emits (manager.c EVENT_FLAG_* → "class,all" in Privilege)
EVENT_CLASS = {
    "FullyBooted": "system", "Newchannel": "call", "Newstate": "call", "NewCallerid": "call",
    "NewConnectedLine": "call", "DialBegin": "call", "DialState": "call", "DialEnd": "call",
    "BridgeCreate": "call", "BridgeEnter": "call", "BridgeLeave": "call", "BridgeDestroy": "call",
    "Hold": "call", "Unhold": "call", "MusicOnHoldStart": "call", "MusicOnHoldStop": "call",
    "DTMFBegin": "dtmf", "DTMFEnd": "dtmf", "HangupRequest": "call", "SoftHangupRequest": "call",
    "Hangup": "call", "QueueCallerJoin": "agent", "QueueCallerLeave": "agent",
    "QueueCallerAbandon": "agent", "AgentCalled": "agent", "AgentConnect": "agent",
    "AgentComplete": "agent", "AgentRingNoAnswer": "agent", "AgentDump": "agent",
    "QueueMemberStatus": "agent", "QueueMemberAdded": "agent", "QueueMemberRemoved": "agent",
    "QueueMemberPause": "agent", "QueueMemberPenalty": "agent", "MixMonitorStart": "call",
    "MixMonitorStop": "call", "DeviceStateChange": "call", "ContactStatus": "system",
    "OriginateResponse": "call", "BlindTransfer": "call", "AttendedTransfer": "call",
    "VarSet": "dialplan", "Newexten": "dialplan", "LocalBridge": "call", "ChanSpyStart": "call", "ChanSpyStop": "call",
}


def chan_block(snap: tuple[str, ...], prefix: str = "") -> Headers:
    """A channel snapshot block, optionally prefixed (`Dest`, `Transferer`, …)."""
    return [(prefix + k, v) for k, v in zip(CHANNEL_KEYS, snap)]


def bridge_block(snap: tuple[str, ...], prefix: str = "") -> Headers:
    """A bridge snapshot block."""
    return [(prefix + k, v) for k, v in zip(BRIDGE_KEYS, snap)]


def event(name: str, body: Headers) -> Headers:
    """Prefix `Event` and `Privilege: <class>,all`."""
    return [("Event", name), ("Privilege", f"{EVENT_CLASS[name]},all"), *body]


def channel_event(name: str, chan: Channel | tuple[str, ...], *extra: tuple[str, str]) -> Headers:
    """An event whose body is one channel snapshot then extra headers."""
    snap = chan.snapshot() if isinstance(chan, Channel) else chan
    return event(name, [*chan_block(snap), *extra])


def dial_event(name: str, caller: tuple[str, ...] | None, dest: tuple[str, ...], *extra: tuple[str, str]) -> Headers:
    """DialBegin/DialState/DialEnd/Agent*: caller block (absent for originated legs) + Dest block."""
    body = chan_block(caller) if caller is not None else []
    return event(name, [*body, *chan_block(dest, "Dest"), *extra])


def hangup(chan: Channel, cause: int, tech_cause: int | None = None) -> Headers:
    """Hangup with Cause, Cause-txt and (when the channel driver gave one) TechCause
    (main/manager_channels.c channel_state_change)."""
    extra = [("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown"))]
    if tech_cause:
        extra.append(("TechCause", str(tech_cause)))
    return channel_event("Hangup", chan, *extra)


def bridge_event(name: str, bridge: Bridge, chan: Channel | None = None, count: int | None = None) -> Headers:
    """BridgeCreate/Destroy (bridge only) or BridgeEnter/Leave (bridge then channel)."""
    body = bridge_block(bridge.snapshot(count))
    if chan is not None:
        body += chan_block(chan.snapshot())
    return event(name, body)


def device_state(device: str, state: str) -> Headers:
    """DeviceStateChange (main/devicestate.c)."""
    return event("DeviceStateChange", [("Device", device), ("State", state)])


def fully_booted(uptime: int, last_reload: int) -> Headers:
    """FullyBooted, sent to a client right after login (manager.c)."""
    return event("FullyBooted", [("Uptime", str(uptime)), ("LastReload", str(last_reload)), ("Status", "Fully Booted")])
