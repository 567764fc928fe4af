"""Rebuild call records from a captured AMI log (reference traces or the engine's capture log).

What the engine sent matters too: an `Originate` becomes the `OriginateSent` pseudo-event (so a
callback that fails is recorded as such), a `Redirect` becomes `RedirectSent`, and the list events
answering a QueueStatus/CoreShowChannels become one `LinkResync`, exactly as the live link delivers.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from routing.capture import CapturedMessage
from routing.parser import parse_message
from routing.state import State, apply

_RESYNC = {"queuestatus": "QueueStatus", "coreshowchannels": "Channels"}
_LIST_END = {"QueueStatusComplete", "CoreShowChannelsComplete"}


@dataclass
class Replayer:
    """Feeds captured messages through `routing.state.apply`, collecting finished records."""

    state: State = field(default_factory=State)
    records: list[dict] = field(default_factory=list)
    domain_events: list[tuple[str, dict]] = field(default_factory=list)
    _lists: dict[str, tuple[str, str]] = field(default_factory=dict)  # ActionID → (node, key)
    _pending: dict[str, dict] = field(default_factory=dict)  # node → partial LinkResync
    offset: float | None = None  # added to `t`: 0 for capture logs (epoch), found from Uniqueids for traces

    def feed(self, msg: CapturedMessage) -> None:
        """One captured message."""
        text = msg.data
        if text.startswith("Asterisk Call Manager/"):
            return
        parsed = parse_message(text.rstrip("\r\n"))
        if self.offset is None:
            self.offset = self._offset(msg.t, parsed)
        msg = CapturedMessage(msg.t + (self.offset or 0.0), msg.node, msg.direction, msg.data)
        if msg.direction == "send":
            self._sent(msg, parsed)
            return
        action_id = parsed.get("ActionID")
        if action_id in self._lists and "Event" in parsed:
            self._list_item(msg, parsed)
        elif "Event" in parsed:
            self._apply(parsed, msg.t, msg.node)

    @staticmethod
    def _offset(t: float, parsed: dict) -> float | None:
        """Reference traces count seconds from the capture start; Asterisk's Uniqueid is epoch-based."""
        if t > 1e9:
            return 0.0
        uid = parsed.get("Uniqueid", "")
        head = uid.split(".", 1)[0] if isinstance(uid, str) else ""
        return float(int(head)) - round(t) if head.isdigit() else None

    def _sent(self, msg: CapturedMessage, action: dict) -> None:
        name = str(action.get("Action", "")).lower()
        if name == "originate":
            self._apply({"Event": "OriginateSent", **action}, msg.t, msg.node)
        elif name == "redirect":
            self._apply({"Event": "RedirectSent", **action}, msg.t, msg.node)
        elif name in _RESYNC and "ActionID" in action:
            self._lists[action["ActionID"]] = (msg.node, _RESYNC[name])

    def _list_item(self, msg: CapturedMessage, item: dict) -> None:
        node, key = self._lists[item["ActionID"]]
        pending = self._pending.setdefault(node, {"Event": "LinkResync", "Node": node, "QueueStatus": [],
                                                  "Channels": [], "_have": set()})
        if item["Event"] in _LIST_END:
            pending["_have"].add(key)
            del self._lists[item["ActionID"]]
            if pending["_have"] == {"QueueStatus", "Channels"}:
                del self._pending[node]
                pending.pop("_have")
                self._apply(pending, msg.t, node)
            return
        pending[key].append(item)

    def _apply(self, event: dict, at: float, node: str) -> None:
        _, out = apply(self.state, event, at, node)
        for topic, payload in out:
            self.domain_events.append((topic, payload))
            if topic == "call.record":
                self.records.append(payload)

    def live_calls(self) -> list[str]:
        """Linkedids still in progress when the log ends."""
        return [c for ns in self.state.nodes.values() for c in ns.calls]


def replay(messages: Iterable[CapturedMessage]) -> Replayer:
    """Replay a whole log; the result holds `records` and the live calls left."""
    r = Replayer()
    for msg in messages:
        r.feed(msg)
    return r
