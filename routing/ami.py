"""AmiLink: the only place that opens AMI connections (one link per Asterisk node).

panoramisk (through `routing.adapter`) keeps the socket, the login and the action bookkeeping. The
link adds: checked actions with ActionID and timeout, a keepalive Ping that notices a dead peer,
reconnect with backoff, a resync (QueueStatus + CoreShowChannels) after every login delivered to
listeners as one `LinkResync` event, `LinkDown` when the link drops, and the optional capture log.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from routing.adapter import BackoffManager, ListAwareAction
from routing.capture import CaptureLog
from routing.results import AmiError, AmiResult
from routing.safety import check_action

log = logging.getLogger(__name__)
Listener = Callable[[dict], Any]

__all__ = ["AmiLink", "AmiResult", "AmiError"]


ANNOUNCED = {"originate": "OriginateSent", "redirect": "RedirectSent"}


def sent_event(action: dict, action_id: str) -> dict | None:
    """Whoever sends an Originate or Redirect, listeners (the state) learn of it before its events arrive."""
    name = ANNOUNCED.get(str(action.get("Action", "")).lower())
    return None if name is None else {**action, "Event": name, "ActionID": action_id}


def _plain(message) -> dict:
    return {k: v for k, v in message.items() if k != "content"}


class AmiLink:
    """One Asterisk node: `send(action) -> AmiResult`, `listen(fn)` for events in wire order."""

    def __init__(self, *, name: str, host: str, port: int, username: str, secret: str,
                 ping_interval: float = 5.0, action_timeout: float = 10.0, capture_dir: Path | None = None,
                 backoff: tuple[float, float] = (0.1, 5.0)) -> None:
        self.name = name
        self.host, self.port = host, port
        self.ping_interval = ping_interval
        self.action_timeout = action_timeout
        self.capture = CaptureLog(capture_dir, name) if capture_dir else None
        self._credentials = (username, secret)
        self._backoff = backoff
        self._listeners: list[Listener] = []
        self._wants: dict[int, frozenset[str] | None] = {}
        self._manager: BackoffManager | None = None
        self._tasks: set[asyncio.Task] = set()
        self._ready = asyncio.Event()
        self._buffer: list[dict] | None = None  # live events held while a resync is in flight
        self.wanted: frozenset[str] | None = None
        self.resyncs = 0
        self.disconnects = 0
        self.last_ping_rtt: float | None = None

    @classmethod
    def from_settings(cls, node, settings) -> "AmiLink":
        """Build a link from a `hotline.settings.AmiNode` and the global settings."""
        return cls(name=node.name, host=node.host, port=node.port, username=node.username,
                   secret=node.secret.get_secret_value(), ping_interval=settings.ami_ping_interval,
                   action_timeout=settings.ami_action_timeout, capture_dir=settings.ami_capture_dir)

    # ---- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Start connecting (returns at once; `wait_ready()` waits for login + resync)."""
        username, secret = self._credentials
        self._manager = BackoffManager(
            host=self.host, port=self.port, username=username, secret=secret, events="on",
            loop=asyncio.get_running_loop(), on_event=self._on_event,
            raw_sink=self.capture.recv if self.capture else None, backoff=self._backoff,
            on_login=self._on_login, on_disconnect=self._on_disconnect)
        self._manager.wanted = self.wanted
        self._manager.connect()
        self._spawn(self._keepalive(), "ami-keepalive")

    async def stop(self) -> None:
        """Log off politely if connected, close, stop reconnecting."""
        if self._manager is None:
            return
        if self.connected:
            with contextlib.suppress(AmiError, asyncio.TimeoutError, ConnectionError):
                await asyncio.wait_for(self.send({"Action": "Logoff"}), 1.0)
        self._manager.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.capture:
            self.capture.close()

    @property
    def connected(self) -> bool:
        return bool(self._manager and self._manager.authenticated and self._manager.protocol
                    and not self._manager.protocol.closed)

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until logged in and resynced."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    def drop(self) -> None:
        """Close the current socket (tests and chaos runs); the link reconnects by itself."""
        if self._manager and self._manager.protocol and not self._manager.protocol.closed:
            self._manager.protocol.transport.close()

    # ---- events -------------------------------------------------------------------------
    def listen(self, fn: Listener, events: set[str] | frozenset[str] | None = None) -> Callable[[], None]:
        """Subscribe to events (dicts, wire order, plus LinkResync/LinkDown); `events` limits which
        names this listener needs (events nobody needs are not parsed). Returns unsubscribe."""
        self._listeners.append(fn)
        self._wants[id(fn)] = None if events is None else frozenset(events) | {"LinkResync", "LinkDown"}
        self._update_wanted()

        def unsubscribe() -> None:
            if fn in self._listeners:
                self._listeners.remove(fn)
                self._wants.pop(id(fn), None)
                self._update_wanted()
        return unsubscribe

    def _update_wanted(self) -> None:
        sets = list(self._wants.values())
        self.wanted = None if not sets or any(s is None for s in sets) else frozenset().union(*sets)
        if self._manager is not None:
            self._manager.wanted = self.wanted

    def _on_event(self, event: dict) -> None:
        if self._buffer is not None:
            self._buffer.append(event)
            return
        try:
            for fn in self._listeners:
                fn(event)
        except Exception:  # a listener's bug must not stop the link
            log.exception("AMI listener failed on %s", event.get("Event"))

    def _deliver(self, event: dict) -> None:
        for fn in list(self._listeners):
            try:
                fn(event)
            except Exception:  # a listener's bug must not stop the link
                log.exception("AMI listener failed on %s", event.get("Event"))

    # ---- actions ------------------------------------------------------------------------
    async def send(self, action: dict[str, object], timeout: float | None = None) -> AmiResult:
        """Send a checked action; wait for its response (and EventList); AmiError on error/timeout."""
        return await self.submit(action, timeout)

    def submit(self, action: dict[str, object], timeout: float | None = None) -> asyncio.Future:
        """Write the checked action now (before returning); the future resolves like `send`."""
        checked = check_action(action)
        manager = self._manager
        if manager is None or manager.protocol is None or manager.protocol.closed:
            future = asyncio.get_running_loop().create_future()
            future.set_exception(AmiError(f"{self.name}: AMI not connected"))
            return future
        pk_action = ListAwareAction(checked, list(checked))
        if self.capture:
            self.capture.write("send", str(pk_action))
        announce = sent_event(checked, pk_action.actionid)
        if announce is not None:
            self._deliver(announce)
        reply = manager.protocol.send(pk_action)
        return asyncio.ensure_future(self._result(manager, pk_action, reply, str(checked["Action"]), timeout))

    async def _result(self, manager, pk_action, reply, name: str, timeout: float | None) -> AmiResult:
        try:
            got = await asyncio.wait_for(reply, timeout or self.action_timeout)
        except asyncio.TimeoutError as exc:
            manager.protocol.responses.pop(pk_action.id, None)
            raise AmiError(f"{self.name}: {name} timed out") from exc
        except ConnectionError as exc:
            raise AmiError(f"{self.name}: {exc}") from exc
        items = got if isinstance(got, list) else [got]
        response = _plain(items[0])
        if response.get("Response") in ("Error", "Failure"):
            raise AmiError(response.get("Message", "error"), response)
        events = [_plain(m) for m in items[1:] if str(m.get("EventList", "")).lower() != "complete"]
        return AmiResult(response, events)

    # ---- login, resync, keepalive --------------------------------------------------------
    def _spawn(self, coro, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"{name}-{self.name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_login(self, _manager) -> None:
        self._buffer = []
        self._spawn(self._resync(), "ami-resync")

    def _on_disconnect(self, _manager, _exc) -> None:
        self.disconnects += 1
        self._ready.clear()
        self._buffer = None
        self._deliver({"Event": "LinkDown", "Node": self.name})

    async def _resync(self) -> None:
        try:
            queues = await self.send({"Action": "QueueStatus"})
            channels = await self.send({"Action": "CoreShowChannels"})
        except AmiError as exc:
            log.warning("%s: resync failed (%s); reconnecting", self.name, exc)
            self._buffer = None
            self.drop()
            return
        held, self._buffer = self._buffer or [], None
        self.resyncs += 1
        self._deliver({"Event": "LinkResync", "Node": self.name, "QueueStatus": queues.events,
                       "Channels": channels.events})
        for event in held:
            self._deliver(event)
        self._ready.set()

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            if not self.connected:
                continue
            started = time.perf_counter()
            try:
                await self.send({"Action": "Ping"}, timeout=min(self.action_timeout, self.ping_interval * 2))
                self.last_ping_rtt = time.perf_counter() - started
            except AmiError:
                log.warning("%s: keepalive Ping unanswered; reconnecting", self.name)
                self.drop()

    async def ping_rtt(self) -> float:
        """One Ping round-trip in seconds (the yardstick for decision-to-action latency)."""
        started = time.perf_counter()
        await self.send({"Action": "Ping"})
        return time.perf_counter() - started
