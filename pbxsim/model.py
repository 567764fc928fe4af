"""Plain data of the simulated PBX: channels, bridges, their snapshots and id allocation."""
from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass, field

# main/channel.c ast_state2str
STATE_DESC = {0: "Down", 1: "Rsrvd", 2: "OffHook", 3: "Dialing", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}
DOWN, RING, RINGING, UP = 0, 4, 5, 6

# main/causes.h / channel.c causes[] descriptions for the causes pbxsim produces
CAUSE_TEXT = {
    0: "Unknown", 1: "Unallocated (unassigned) number", 16: "Normal Clearing", 17: "User busy",
    18: "No user responding", 19: "User alerting, no answer", 21: "Call Rejected",
    26: "Answered elsewhere", 34: "Circuit/channel congestion", 127: "Interworking, unspecified",
}

UNKNOWN = "<unknown>"


@dataclass
class Channel:
    """One channel as Asterisk tracks it (the fields of a channel snapshot plus run-time state)."""

    name: str
    uniqueid: str
    linkedid: str
    created: float
    endpoint: str = ""
    state: int = DOWN
    cid_num: str = ""
    cid_name: str = ""
    conn_num: str = ""
    conn_name: str = ""
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    language: str = "en"
    accountcode: str = ""
    dnid: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    application: str = ""
    app_data: str = ""
    bridge: "Bridge | None" = None
    hungup: bool = False
    hangup_cause: int = 16
    party: object | None = None  # the scripted caller/seat behind this channel
    on_hangup: list = field(default_factory=list)

    def snapshot(self) -> tuple[str, ...]:
        """The 14 values of a channel snapshot block, in manager_channels.c order."""
        return (
            self.name, str(self.state), STATE_DESC[self.state],
            self.cid_num or UNKNOWN, self.cid_name or UNKNOWN,
            self.conn_num or UNKNOWN, self.conn_name or UNKNOWN,
            self.language, self.accountcode, self.context, self.exten, str(self.priority),
            self.uniqueid, self.linkedid,
        )

    @property
    def tech(self) -> str:
        """Channel technology (`PJSIP`, `Local`)."""
        return self.name.split("/", 1)[0]


@dataclass
class Bridge:
    """A basic two-party bridge."""

    uniqueid: str
    channels: list[Channel] = field(default_factory=list)
    btype: str = "basic"
    technology: str = "simple_bridge"

    def snapshot(self, count: int | None = None) -> tuple[str, ...]:
        """The 7 values of a bridge snapshot block (manager_bridges.c)."""
        n = len(self.channels) if count is None else count
        return (self.uniqueid, self.btype, self.technology, UNKNOWN, UNKNOWN, str(n), "none")


class IdAllocator:
    """Uniqueids `epoch.seq`, the global 8-hex-digit channel suffix, bridge UUIDs (seedable)."""

    def __init__(self, seed: int | None = None) -> None:
        self._uid = itertools.count()
        self._chan = itertools.count()
        self._local = itertools.count()  # core_unreal.c name_sequence: Local channels count apart
        self._rng = random.Random(seed)

    def uniqueid(self, now: float) -> str:
        """`<epoch seconds>.<global sequence>` as main/channel.c builds it."""
        return f"{int(now)}.{next(self._uid)}"

    def channel_suffix(self) -> str:
        """Global counter shared by every channel technology, 8 hex digits."""
        return f"{next(self._chan):08x}"

    def local_suffix(self) -> str:
        """Local channels use their own 8-hex-digit counter (main/core_unreal.c)."""
        return f"{next(self._local):08x}"

    def bridge_id(self) -> str:
        """A random UUID like ast_uuid_generate_str."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
