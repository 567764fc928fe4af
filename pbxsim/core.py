"""The simulated PBX: channels, device states, bridges and the event stream (no sockets here)."""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from typing import Callable

from . import events as ev
from .model import DOWN, RING, RINGING, UP, Bridge, Channel, IdAllocator
from .queues import QueueConfig
from .scheduler import Scheduler
from .wire import Headers

log = logging.getLogger(__name__)

Listener = Callable[[Headers], None]


@dataclass
class Endpoint:
    """A PJSIP endpoint: registration (contact) and its caller id."""

    name: str
    cid_num: str = ""
    cid_name: str = ""
    registered: bool = True
    context: str = "from-seats"
    behaviour: object | None = None  # parties.SeatScript


@dataclass
class PbxConfig:
    """What the simulated Asterisk is configured with (dialplan knobs, queues, endpoints)."""

    fastagi_url: str | None = "agi://127.0.0.1:4573"
    queue_timeout: int = 60
    queues: list[QueueConfig] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    prompt_seconds: dict[str, float] = field(default_factory=dict)
    recordings_dir: str = "var/recordings"
    version: str = "22.11.0-rc1"
    handoff_number: str = "12345"
    callback_dial: str = "PJSIP/caller/${EXTEN}"  # asterisk-config renders the carrier dial string
    seat_ring: int = 20  # SEAT_RING: a seat's ring time (personal queue, seat-to-seat transfer)
    dialplan: str = "hotline"  # "hotline": asterisk-config's extensions.conf; "traces": the captures' one
    seed: int = 0


class Simulator:
    """An Asterisk 22 as the rest of the system sees it, driven by a Scheduler."""

    def __init__(self, config: PbxConfig, sched: Scheduler) -> None:
        from .queue_engine import QueueEngine

        self.config = config
        self.sched = sched
        self.ids = IdAllocator(config.seed)
        self.rng = random.Random(config.seed)
        self.boot_time = int(sched.now) - 1
        self.channels: dict[str, Channel] = {}
        self.by_endpoint: dict[str, dict[str, Channel]] = {}  # endpoint → its live channels
        # per-endpoint channel-state counts and held legs: device state in O(1) on busy trunks
        self._ep_states: dict[str, dict[int, int]] = {}
        self._ep_held: dict[str, set[str]] = {}
        self.endpoints: dict[str, Endpoint] = {e.name: e for e in config.endpoints}
        self.devstate: dict[str, str] = {}
        self.listeners: list[Listener] = []
        self.queues = QueueEngine(self)
        self.tasks: set[asyncio.Task] = set()
        self.event_count = 0
        self.recorders: dict[str, object] = {}
        self._held: list[Headers] | None = None
        self.globals: dict[str, str] = {}
        self.ami_address: tuple[str, int] | None = None  # set by whoever starts the AMI server
        from .dialplan import build_dialplan

        self.dialplan = build_dialplan(config.fastagi_url, config.queue_timeout, config.handoff_number,
                                      config.callback_dial, config.seat_ring, config.dialplan)
        for q in config.queues:
            self.queues.add_queue(q)

    # -- event stream ------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Current simulated epoch time."""
        return self.sched.now

    def emit(self, headers: Headers) -> None:
        """Publish one event to every listener (AMI sessions)."""
        if self._held is not None:
            self._held.append(headers)
            return
        self.event_count += 1
        for fn in list(self.listeners):
            fn(headers)

    def hold_events(self) -> None:
        """Buffer events raised while an action runs (its response goes out first)."""
        self._held = []

    def release_events(self) -> None:
        """Publish the buffered events in order."""
        held, self._held = self._held or [], None
        for h in held:
            self.emit(h)

    def set_device(self, device: str, state: str) -> None:
        """Cache a device state; DeviceStateChange only when it changes (main/devicestate.c)."""
        if self.devstate.get(device) == state:
            return
        self.devstate[device] = state
        self.emit(ev.device_state(device, state))
        self.queues.device_changed(device, state)

    def endpoint_state(self, device: str) -> str:
        """Aggregate device state of `PJSIP/<endpoint>` from its channels (chan_pjsip devicestate)."""
        name = device.split("/", 1)[1] if "/" in device else device
        ep = self.endpoints.get(name)
        counts = self._ep_states.get(name)
        if counts and sum(counts.values()):
            if self._ep_held.get(name):
                return "ONHOLD"
            if counts.get(UP) or not counts.get(RINGING):
                return "INUSE"
            return "RINGING"
        if ep is None or not ep.registered:
            return "UNAVAILABLE"
        return "NOT_INUSE"

    def refresh_endpoint(self, endpoint: str) -> None:
        """Recompute and publish the device state of a PJSIP endpoint (Local channels have none)."""
        if endpoint not in self.endpoints:
            return
        self.set_device(f"PJSIP/{endpoint}", self.endpoint_state(f"PJSIP/{endpoint}"))

    def spawn(self, coro) -> asyncio.Task:
        """Run a channel's dialplan (or another process) as a task owned by the simulator."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("pbxsim process failed", exc_info=task.exception())

    # -- channels ----------------------------------------------------------------------
    def new_channel(self, endpoint: str, *, state: int = DOWN, context: str, exten: str = "s",
                    cid_num: str = "", cid_name: str = "", linkedid: str | None = None,
                    name: str | None = None) -> Channel:
        """Allocate a channel (`PJSIP/<endpoint>-<8 hex>` unless named) and emit Newchannel."""
        uid = self.ids.uniqueid(self.now)
        chan = Channel(name=name or f"PJSIP/{endpoint}-{self.ids.channel_suffix()}", uniqueid=uid,
                       linkedid=linkedid or uid, created=self.now, endpoint=endpoint, state=state,
                       cid_num=cid_num, cid_name=cid_name, context=context, exten=exten)
        ep = self.endpoints.get(endpoint)
        if ep is not None and ep.behaviour is not None:
            chan.party = ep.behaviour  # the seat phone's script speaks on this leg
        self.channels[chan.name] = chan
        self.by_endpoint.setdefault(endpoint, {})[chan.name] = chan
        self._count(chan, +1)
        self.emit(ev.channel_event("Newchannel", chan))
        return chan

    def _count(self, chan: Channel, delta: int) -> None:
        counts = self._ep_states.setdefault(chan.endpoint, {})
        counts[chan.state] = counts.get(chan.state, 0) + delta

    def set_hold(self, chan: Channel, held: bool) -> None:
        """Mark a leg as held (music on hold) for its endpoint's device state."""
        held_set = self._ep_held.setdefault(chan.endpoint, set())
        (held_set.add if held else held_set.discard)(chan.name)

    def is_held(self, chan: Channel) -> bool:
        """Whether the leg is on hold."""
        return chan.name in self._ep_held.get(chan.endpoint, ())

    def set_state(self, chan: Channel, state: int) -> None:
        """Change a channel's state and emit Newstate."""
        self._count(chan, -1)
        chan.state = state
        self._count(chan, +1)
        self.emit(ev.channel_event("Newstate", chan))

    def set_connected(self, chan: Channel, num: str, name: str) -> None:
        """Update connected line and emit NewConnectedLine."""
        chan.conn_num, chan.conn_name = num, name
        self.emit(ev.channel_event("NewConnectedLine", chan))

    def listed_channels(self) -> list[Channel]:
        """Channels in the order Asterisk lists them: 1567 name-hash buckets
        (main/stasis_channels.c channel_cache_by_name, AST_NUM_CHANNEL_BUCKETS), creation order inside."""
        from .queues import str_case_hash

        return sorted(self.channels.values(), key=lambda c: str_case_hash(c.name) % 1567)

    def find_channel(self, name: str) -> Channel | None:
        """A live channel by exact name."""
        chan = self.channels.get(name)
        return chan if chan is not None and not chan.hungup else None

    def destroy(self, chan: Channel, cause: int, tech_cause: int | None = None) -> None:
        """Emit Hangup and forget the channel (main/channel.c ast_hangup)."""
        if chan.hungup:
            return
        chan.hungup = True
        chan.hangup_cause = cause
        self.emit(ev.hangup(chan, cause, tech_cause))
        self.channels.pop(chan.name, None)
        self.by_endpoint.get(chan.endpoint, {}).pop(chan.name, None)
        self._count(chan, -1)
        self._ep_held.get(chan.endpoint, set()).discard(chan.name)
        for fn in chan.on_hangup:
            fn(chan)
        rec = self.recorders.pop(chan.name, None)
        if rec is not None:
            rec.finish(self.now)  # type: ignore[attr-defined]

    def hangup_request(self, chan: Channel, cause: int | None = None) -> None:
        """HangupRequest as chan_pjsip queues it when the far end hangs up (BYE).

        Traces: no Cause while AGI/Queue runs on the channel, Cause 16 in Dial()/Wait().
        """
        if cause is None and chan.application not in ("AGI", "Queue", "AppQueue"):
            cause = 16
        extra = () if cause is None else (("Cause", str(cause)),)
        self.emit(ev.channel_event("HangupRequest", chan, *extra))

    def soft_hangup(self, chan: Channel, cause: int = 16) -> None:
        """SoftHangupRequest (main/channel.c ast_softhangup)."""
        self.emit(ev.channel_event("SoftHangupRequest", chan, ("Cause", str(cause))))

    # -- bridges -----------------------------------------------------------------------
    def bridge(self, first: Channel, second: Channel) -> Bridge:
        """Create a basic bridge and put both channels in it (BridgeCreate, BridgeEnter ×2)."""
        br = Bridge(uniqueid=self.ids.bridge_id())
        self.emit(ev.bridge_event("BridgeCreate", br))
        for chan in (first, second):
            br.channels.append(chan)
            chan.bridge = br
            self.emit(ev.bridge_event("BridgeEnter", br, chan))
        return br

    def leave_bridge(self, chan: Channel) -> None:
        """Take a channel out of its bridge (BridgeLeave); destroy the bridge when empty."""
        br = chan.bridge
        if br is None:
            return
        br.channels.remove(chan)
        chan.bridge = None
        self.emit(ev.bridge_event("BridgeLeave", br, chan))

    def destroy_bridge(self, br: Bridge) -> None:
        """BridgeDestroy."""
        self.emit(ev.bridge_event("BridgeDestroy", br, count=0))

    def peer(self, chan: Channel) -> Channel | None:
        """The other channel of a two-party bridge."""
        if chan.bridge is None:
            return None
        others = [c for c in chan.bridge.channels if c is not chan]
        return others[0] if others else None

    # -- registrations ---------------------------------------------------------------------
    def register(self, endpoint: str, registered: bool, uri: str | None = None) -> None:
        """A phone registers or unregisters (res_pjsip: ContactStatus NonQualified / Removed,
        main/stasis_endpoints.c contactstatus_to_ami), then the device state follows."""
        ep = self.endpoints[endpoint]
        if ep.registered == registered:
            return
        ep.registered = registered
        self.emit(ev.event("ContactStatus", [
            ("URI", uri or f"sip:{endpoint}@127.0.0.1:5062"), ("ContactStatus", "NonQualified" if registered else "Removed"),
            ("AOR", endpoint), ("EndpointName", endpoint), ("RoundtripUsec", "0")]))
        self.refresh_endpoint(endpoint)

    # -- status --------------------------------------------------------------------------
    def uptime(self) -> int:
        """Seconds since the simulated Asterisk started."""
        return int(self.now) - self.boot_time
