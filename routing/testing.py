"""FakeAmi: the test double behind the same `send()` interface as `AmiLink`.

It records every action (as the checked dict that would go on the wire), answers from a per-action
script (default `Response: Success`), and lets a test emit events to subscribers exactly as a link does.
"""
from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, Union

from routing.results import AmiError, AmiResult
from routing.safety import check_action

Reply = Union[dict, AmiResult, AmiError, Callable[[dict], Any]]
Listener = Callable[[dict], Any]


class FakeAmi:
    """A scripted AMI link: `sent` records actions, `script()` sets replies, `emit()` pushes events."""

    def __init__(self, name: str = "node1") -> None:
        self.name = name
        self.sent: list[dict] = []
        self.connected = True
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._defaults: dict[str, Reply] = {}
        self._listeners: list[tuple[Listener, frozenset[str] | None]] = []
        self._ids = itertools.count(1)

    # ---- scripting ----------------------------------------------------------------------
    def script(self, action: str, *replies: Reply, always: bool = False) -> None:
        """Queue replies for an action name (case-insensitive); `always` makes the last one sticky."""
        key = action.lower()
        if always and replies:
            self._defaults[key] = replies[-1]
            replies = replies[:-1]
        self._scripts[key].extend(replies)

    def actions(self, name: str) -> list[dict]:
        """The recorded actions with that Action name."""
        return [a for a in self.sent if str(a.get("Action", "")).lower() == name.lower()]

    # ---- AmiSender ----------------------------------------------------------------------
    async def send(self, action: dict[str, object]) -> AmiResult:
        """Record the checked action and answer from the script."""
        return await self.submit(action)

    def submit(self, action: dict[str, object]) -> asyncio.Future:
        """Record the action at once (as AmiLink writes it at once); the future holds the reply."""
        checked = check_action(action)
        checked.setdefault("ActionID", f"fake-{next(self._ids)}")
        self.sent.append(checked)
        from routing.ami import sent_event

        announce = sent_event(checked, str(checked["ActionID"]))
        if announce is not None:
            self.emit(announce)
        return asyncio.ensure_future(self._reply(checked))

    async def _reply(self, checked: dict) -> AmiResult:
        key = str(checked["Action"]).lower()
        reply: Reply = (self._scripts[key].popleft() if self._scripts.get(key)
                        else self._defaults.get(key, {"Response": "Success"}))
        if callable(reply) and not isinstance(reply, (dict, AmiResult)):
            reply = reply(checked)
            if asyncio.iscoroutine(reply):
                reply = await reply
        if isinstance(reply, AmiError):
            raise reply
        result = reply if isinstance(reply, AmiResult) else AmiResult(dict(reply))
        result.response.setdefault("ActionID", str(checked["ActionID"]))
        if result.response.get("Response") in ("Error", "Failure"):
            raise AmiError(result.response.get("Message", "error"), result.response)
        return result

    # ---- events -------------------------------------------------------------------------
    def listen(self, fn: Listener, events: set[str] | frozenset[str] | None = None) -> Callable[[], None]:
        """Subscribe to events (all, or the names in `events`); returns an unsubscribe function."""
        entry = (fn, None if events is None else frozenset(events) | {"LinkResync", "LinkDown"})
        self._listeners.append(entry)
        return lambda: self._listeners.remove(entry) if entry in self._listeners else None

    def emit(self, event: dict) -> None:
        """Deliver one event to every listener that wants it, in order."""
        for fn, names in list(self._listeners):
            if names is None or event.get("Event") in names:
                fn(dict(event))


# ---- synthetic call lifecycles in Asterisk 22's event order (derived from the reference traces) ----
def _chan(uid: str, channel: str, number: str, name: str, linkedid: str, **extra) -> dict:
    return {"Channel": channel, "CallerIDNum": number, "CallerIDName": name, "Uniqueid": uid, "Linkedid": linkedid,
            "Context": extra.pop("Context", "from-carrier"), "Exten": extra.pop("Exten", "12348"),
            "ChannelStateDesc": extra.pop("ChannelStateDesc", "Up"), **extra}


class CallScript:
    """Builds the events of one call: `ivr_hangup`, `abandoned`, `answered`, `overflowed` … (lists of dicts)."""

    def __init__(self, n: int, number: str = "13803710000", name: str = "张三", did: str = "12348") -> None:
        self.uid = f"1795900000.{n * 10}"
        self.channel = f"PJSIP/caller-{n:08x}"
        self.number, self.name, self.did = number, name, did
        self.n = n

    def caller(self, event: str, **extra) -> dict:
        return {"Event": event, **_chan(self.uid, self.channel, self.number, self.name, self.uid, Exten=self.did),
                **extra}

    def seat_leg(self, event: str, seat: str, k: int = 1, **extra) -> dict:
        uid = f"1795900000.{self.n * 10 + k}"
        return {"Event": event, **_chan(uid, f"PJSIP/seat{seat}-{self.n * 10 + k:08x}", seat, f"坐席{seat}",
                                        self.uid, Context="from-seats", Exten="s"), **extra}

    def start(self) -> list[dict]:
        return [self.caller("Newchannel", ChannelStateDesc="Ring"), self.caller("Newstate")]

    def end_caller(self) -> list[dict]:
        return [self.caller("HangupRequest"), self.caller("Hangup", Cause="16")]

    def join(self, queue: str, position: int = 1) -> dict:
        return self.caller("QueueCallerJoin", Queue=queue, Position=str(position), Count=str(position))

    def ring(self, queue: str, seat: str, k: int = 1) -> list[dict]:
        return [self.seat_leg("Newchannel", seat, k, ChannelStateDesc="Down"),
                self.caller("AgentCalled", Queue=queue, Interface=f"PJSIP/seat{seat}", MemberName=f"坐席{seat}",
                            DestChannel=f"PJSIP/seat{seat}-{self.n * 10 + k:08x}")]

    def ivr_hangup(self) -> list[dict]:
        return self.start() + self.end_caller()

    def abandoned(self, queue: str, seat: str | None = None) -> list[dict]:
        out = self.start() + [self.join(queue)]
        if seat:
            out += self.ring(queue, seat)
        out += [self.caller("QueueCallerAbandon", Queue=queue, Position="1", OriginalPosition="1", HoldTime="5"),
                self.caller("QueueCallerLeave", Queue=queue, Position="1", Count="0")]
        if seat:
            out.append(self.seat_leg("Hangup", seat, Cause="0"))
        return out + self.end_caller()

    def connect(self, queue: str, seat: str, k: int = 1) -> list[dict]:
        iface, bridge = f"PJSIP/seat{seat}", f"bridge-{self.n}-{k}"
        dest = f"PJSIP/seat{seat}-{self.n * 10 + k:08x}"
        return [self.caller("QueueCallerLeave", Queue=queue, Position="1", Count="0"),
                self.caller("AgentConnect", Queue=queue, Interface=iface, MemberName=f"坐席{seat}", HoldTime="3",
                            RingTime="1", DestChannel=dest),
                self.seat_leg("BridgeEnter", seat, k, BridgeUniqueid=bridge),
                self.caller("BridgeEnter", BridgeUniqueid=bridge)]

    def finish_talk(self, queue: str, seat: str, k: int = 1, by: str = "caller") -> list[dict]:
        iface = f"PJSIP/seat{seat}"
        first = self.caller("HangupRequest") if by == "caller" else self.seat_leg("HangupRequest", seat, k)
        return [first, self.caller("AgentComplete", Queue=queue, Interface=iface, MemberName=f"坐席{seat}",
                                   HoldTime="3", TalkTime="10", Reason=by if by == "caller" else "agent"),
                self.caller("BridgeLeave"), self.seat_leg("BridgeLeave", seat, k),
                self.caller("Hangup", Cause="16"), self.seat_leg("Hangup", seat, k, Cause="16")]

    def answered(self, queue: str, seat: str, by: str = "caller") -> list[dict]:
        return (self.start() + [self.join(queue)] + self.ring(queue, seat) + self.connect(queue, seat)
                + self.finish_talk(queue, seat, by=by))

    def overflowed(self, first: str, second: str, seat: str) -> list[dict]:
        return (self.start() + [self.join(first),
                                self.caller("QueueCallerAbandon", Queue=first, Position="1", OriginalPosition="1",
                                            HoldTime="8"),
                                self.caller("QueueCallerLeave", Queue=first, Position="1", Count="0"),
                                self.join(second)]
                + self.ring(second, seat) + self.connect(second, seat) + self.finish_talk(second, seat))


def member_event(queue: str, seat: str, *, status: int = 1, paused: bool = False, in_call: bool = False,
                 event: str = "QueueMemberStatus", reason: str = "") -> dict:
    """A QueueMember* event for seat<ext> in `queue`."""
    return {"Event": event, "Queue": queue, "MemberName": f"坐席{seat}", "Interface": f"PJSIP/seat{seat}",
            "StateInterface": f"PJSIP/seat{seat}", "Membership": "dynamic", "Penalty": "0", "CallsTaken": "0",
            "LastCall": "0", "InCall": "1" if in_call else "0", "Status": str(status), "Paused": "1" if paused else "0",
            "PausedReason": reason}
