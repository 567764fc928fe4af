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
        self._listeners: list[Listener] = []
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
        checked = check_action(action)
        checked.setdefault("ActionID", f"fake-{next(self._ids)}")
        self.sent.append(checked)
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
    def listen(self, fn: Listener) -> Callable[[], None]:
        """Subscribe to events (called with the event dict); returns an unsubscribe function."""
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    def emit(self, event: dict) -> None:
        """Deliver one event to every listener, in order."""
        for fn in list(self._listeners):
            fn(dict(event))
