"""The one place where panoramisk's gaps are fixed (each fix has a test in tests/routing/test_adapter.py).

panoramisk keeps the connection, login and action bookkeeping. Fixed here:
1. `AMIProtocol.data_received` decodes each TCP read on its own (a UTF-8 character split across two
   reads is dropped) and builds a `Message` for every event: replaced by byte framing
   (`routing.parser.AmiFramer`) with events handed straight to one callback, in order; events no
   listener asked for are framed (and captured) but not parsed.
2. `Action.multi` treats `Added interface to queue` as the start of a list, so a QueueAdd future never
   resolves; completion is decided from `EventList: start` / `…Complete` only.
3. `Action.__str__` sorts headers and does not check values: actions are checked and encoded by
   `routing.safety.encode_action` in the caller's order.
4. `Manager` reconnects after a fixed delay and its Ping never notices a dead peer: reconnection uses
   exponential backoff with jitter (`backoff_delay`), and keepalive lives in `routing.ami.AmiLink`.
5. `AMIProtocol.close` queues unanswered actions and re-sends them after the next login (a stale
   Redirect or Originate long after the fact): they fail at once with ConnectionError instead.
6. `Manager.connection_made` attaches itself to the protocol only when the connect future's callback
   runs; with uvloop the banner is often read before that (the link died on every connect): bytes read
   before the manager is attached are held and framed once it is.
"""
from __future__ import annotations

import logging
import random

from panoramisk import actions as pk_actions
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager
from panoramisk.message import Message

from routing.parser import AmiFramer
from routing.safety import encode_action

log = logging.getLogger(__name__)


class ListAwareAction(pk_actions.Action):
    """An action whose completion follows `EventList` only (fix 2) and whose wire form is checked (fix 3)."""

    def __init__(self, headers: dict, order: list[str]) -> None:
        super().__init__(headers)
        self._order = order

    @property
    def multi(self) -> bool:
        first = self.responses[0]
        return str(first.get("EventList", "")).lower() == "start"

    @property
    def completed(self) -> bool:
        last = self.responses[-1]
        if not self.multi:
            return True
        return len(self.responses) > 1 and str(last.get("EventList", "")).lower() == "complete"

    def __str__(self) -> str:
        headers = {k: self[k] for k in self._order if k in self}
        headers["ActionID"] = self.actionid
        return encode_action(headers).decode("utf-8")


class FramingProtocol(AMIProtocol):
    """Byte framing (fix 1): events go to `factory.on_event(dict)` in wire order, responses to their action."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.framer = AmiFramer()
        self.encoding = "utf-8"
        self.early: list[bytes] = []

    def flush_early(self) -> None:
        """Frame the bytes read before the manager attached itself (fix 6)."""
        held, self.early = b"".join(self.early), []
        if held:
            self.data_received(held)

    def data_received(self, data: bytes) -> None:
        factory = self.factory
        if factory is None:  # fix 6: read before Manager.connection_made ran
            self.early.append(data)
            return
        framer = self.framer
        if framer.raw_sink is None:
            framer.raw_sink = factory.raw_sink
        messages = framer.feed(data, factory.wanted)
        if self.version is None and framer.version is not None:
            self.version = framer.version
        responses = self.responses
        on_event = factory.on_event
        for msg in messages:
            action_id = msg.get("ActionID")
            if action_id is not None and action_id in responses:
                self.handle_message(Message(msg))
            elif "Event" in msg:
                on_event(msg)
            elif "Response" in msg:
                log.debug("response for no pending action dropped: %r", msg.get("ActionID"))

    def send(self, data, as_list=False):
        if not isinstance(data, pk_actions.Action):  # panoramisk's own Login is a plain dict
            data = ListAwareAction(dict(data), list(data))
        self.responses[data.id] = data
        self.transport.write(str(data).encode("utf-8"))
        return data.future


    def connection_lost(self, exc) -> None:
        # fix 5: panoramisk re-sends unanswered actions after reconnecting (a stale Redirect or
        # Originate minutes later); here they fail at once and the caller decides
        for action in list(self.responses.values()):
            if not action.future.done():
                action.future.set_exception(ConnectionError("AMI connection lost"))
        self.responses.clear()
        super().connection_lost(exc)


def backoff_delay(attempt: int, base: float = 0.1, cap: float = 5.0, rnd: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: attempt 0 → up to `base`, doubling to `cap`."""
    top = min(cap, base * (2 ** min(attempt, 30)))
    return (rnd or random).uniform(top / 2, top)


class BackoffManager(Manager):
    """panoramisk's Manager with backoff reconnects (fix 4) and our event/raw callbacks."""

    def __init__(self, *, on_event, raw_sink=None, backoff=(0.1, 5.0), **config) -> None:
        config.setdefault("protocol_factory", FramingProtocol)
        config.setdefault("encoding", "utf-8")
        # panoramisk's own pinger only writes Pings; ours checks the answer (AmiLink keepalive)
        config.setdefault("ping_delay", 10**9)
        config.setdefault("ping_interval", 10**9)
        super().__init__(**config)
        self.on_event = on_event
        self.raw_sink = raw_sink
        self.wanted: frozenset[str] | None = None  # event names someone listens to (None = all)
        self.backoff = backoff
        self.attempt = 0
        self.stopped = False
        self._retry = None

    def connection_made(self, f) -> None:
        if self.stopped:
            if not f.cancelled() and f.exception() is None:
                f.result()[0].close()
            return
        if f.cancelled() or f.exception() is not None:
            self._schedule_reconnect()
            return
        self.attempt = 0
        super().connection_made(f)
        self.protocol.flush_early()

    def connection_lost(self, exc) -> None:
        self._connected = False
        self.authenticated = False
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        self.loop.call_soon(self.on_disconnect, self, exc)
        self._schedule_reconnect()

    def _schedule_reconnect(self) -> None:
        if self.stopped:
            return
        delay = backoff_delay(self.attempt, *self.backoff)
        self.attempt += 1
        self._retry = self.loop.call_later(delay, self.connect)

    def ping(self) -> None:  # panoramisk's blind pinger is replaced by AmiLink's keepalive
        return None

    def close(self) -> None:
        self.stopped = True
        if self._retry is not None:
            self._retry.cancel()
        super().close()
