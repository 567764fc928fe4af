"""Queues and members as apps/app_queue.c keeps them (plain data + pure selection rules)."""
from __future__ import annotations

import configparser
import random
from dataclasses import dataclass, field
from pathlib import Path

STRATEGIES = ("ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear", "wrandom", "rrordered")

# include/asterisk/devicestate.h enum ast_device_state, as QueueMemberStatus `Status` numbers
DEVICE_CODES = {
    "UNKNOWN": 0, "NOT_INUSE": 1, "INUSE": 2, "BUSY": 3, "INVALID": 4, "UNAVAILABLE": 5,
    "RINGING": 6, "RINGINUSE": 7, "ONHOLD": 8,
}


@dataclass
class QueueConfig:
    """One queues.conf section."""

    name: str
    strategy: str = "ringall"
    timeout: int = 15
    retry: int = 5
    wrapuptime: int = 0
    joinempty: str | bool = "yes"
    leavewhenempty: str | bool = "no"
    ringinuse: bool = False
    maxlen: int = 0
    weight: int = 0
    servicelevel: int = 0
    musicclass: str = "default"
    announce_position: bool = False
    members: list[tuple[str, int, str, str]] = field(default_factory=list)  # static: iface, penalty, name, state iface


@dataclass
class Member:
    """A queue member (static or dynamic) and its counters."""

    interface: str
    name: str
    state_interface: str
    penalty: int = 0
    dynamic: bool = True
    paused: bool = False
    reason: str = ""
    calls: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    in_call: bool = False
    status: int = 1
    ringinuse: bool = False
    wrapuptime: int = 0
    wrapup_until: float = 0.0
    last_rung_seq: int = -1
    order: int = 0

    def headers(self, queue: str, name_key: str = "MemberName", iface_key: str = "Interface", list_form: bool = False) -> list[tuple[str, str]]:
        """Member fields as QueueMemberStatus/Added/… (or the QueueMember list item when list_form)."""
        out = [
            ("Queue", queue), (name_key, self.name), (iface_key, self.interface),
            ("StateInterface", self.state_interface), ("Membership", "dynamic" if self.dynamic else "static"),
            ("Penalty", str(self.penalty)), ("CallsTaken", str(self.calls)), ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)), ("LoginTime", str(self.login_time)),
            ("InCall", "1" if self.in_call else "0"), ("Status", str(self.status)),
            ("Paused", "1" if self.paused else "0"), ("PausedReason", self.reason),
        ]
        if not list_form:
            out.append(("Ringinuse", "1" if self.ringinuse else "0"))
        out.append(("Wrapuptime", str(self.wrapuptime)))
        return out


def str_case_hash(text: str) -> int:
    """include/asterisk/strings.h ast_str_case_hash (djb2 over lower-case bytes, masked positive)."""
    h = 5381
    for b in text.lower().encode("utf-8"):
        h = ((h * 33) ^ b) & 0xFFFFFFFF
    return h & 0x7FFFFFFF


def member_hash(interface: str) -> int:
    """app_queue.c member_hash_fn: first five characters from the '/' on, 6 bits each."""
    tail = interface[interface.find("/"):] if "/" in interface else interface
    out = 0
    for i, ch in enumerate(tail[:5]):
        c = ord(ch) & 0x7F
        c = 0 if c < 32 else (c - 64 if c > 96 else c - 32)
        out += c << (i * 6)
    return out


def queue_order(names: list[str]) -> list[str]:
    """Iteration order of app_queue's queue container (53 hash buckets, insertion order inside)."""
    return sorted(names, key=lambda n: str_case_hash(n) % 53)


def member_order(strategy: str, members: list[Member]) -> list[Member]:
    """Iteration order of a queue's members: one bucket for linear/rrordered, else 37 buckets."""
    if strategy in ("linear", "rrordered"):
        return sorted(members, key=lambda m: m.order)
    return sorted(members, key=lambda m: (member_hash(m.interface) % 37, m.order))


@dataclass
class Candidate:
    """A member that may be rung now, with its app_queue metric."""

    member: Member
    metric: int


def pick_members(strategy: str, members: list[Member], rrpos: int, rng: random.Random, busy: set[str], now: float) -> list[Member]:
    """Members to ring now, following app_queue.c calc_metric/ring_one (pure).

    `members` must be in container order; `busy` holds state interfaces that may not be rung
    (in use with ringinuse=no, ringing, unregistered); paused and wrapping-up members are skipped.
    Penalties: only the lowest penalty tier with someone free is used.
    """
    free = [m for m in members if not m.paused and m.wrapup_until <= now and m.state_interface not in busy]
    if not free:
        return []
    low = min(m.penalty for m in free)
    free = [m for m in free if m.penalty == low]
    if strategy == "ringall":
        return free
    ordered = members
    if strategy == "linear" or strategy == "rrordered":
        return [free[0]] if strategy == "linear" else [_rr(ordered, free, rrpos)]
    if strategy == "rrmemory":
        return [_rr(ordered, free, rrpos)]
    if strategy == "leastrecent":
        return [min(free, key=lambda m: (m.last_call, ordered.index(m)))]
    if strategy == "fewestcalls":
        return [min(free, key=lambda m: (m.calls, ordered.index(m)))]
    if strategy in ("random", "wrandom"):
        return [rng.choice(free)]
    raise ValueError(f"unknown strategy {strategy!r}")


def _rr(ordered: list[Member], free: list[Member], rrpos: int) -> Member:
    """Round robin with memory: the first free member at or after position rrpos."""
    n = len(ordered)
    for k in range(n):
        m = ordered[(rrpos + k) % n]
        if m in free:
            return m
    return free[0]


def empty_conditions(value: str | bool, joinempty: bool) -> frozenset[str]:
    """app_queue.c parse_empty_options: which member states count as 'nobody there'."""
    if isinstance(value, bool):
        value = "yes" if value else "no"
    out: set[str] = set()
    for opt in (o.strip().lower() for o in value.split(",")):
        if opt in ("paused", "penalty", "inuse", "ringing", "invalid", "wrapup", "unavailable", "unknown"):
            out.add(opt)
        elif opt == "loose":
            out = {"penalty", "invalid"}
        elif opt == "strict":
            out = {"penalty", "invalid", "paused", "unavailable"}
        elif (opt in _FALSE and joinempty) or (opt in _TRUE and not joinempty):
            out = {"penalty", "invalid", "paused"}
        elif (opt in _FALSE and not joinempty) or (opt in _TRUE and joinempty):
            out = set()
    return frozenset(out)


_TRUE = {"yes", "true", "y", "t", "1", "on"}
_FALSE = {"no", "false", "n", "f", "0", "off"}
_STATE_CONDITION = {4: "invalid", 5: "unavailable", 2: "inuse", 6: "ringing", 0: "unknown"}


def anyone_there(members: list[Member], conditions: frozenset[str], now: float, queue_wrapup: int) -> bool:
    """app_queue.c get_member_status: is some member not excluded by `conditions`?"""
    for m in members:
        if _STATE_CONDITION.get(m.status) in conditions:
            continue
        if m.paused and "paused" in conditions:
            continue
        wrap = m.wrapuptime or queue_wrapup
        if "wrapup" in conditions and m.last_call and wrap and now - wrap < m.last_call:
            continue
        return True
    return False


def load_queues_conf(path: Path | str) -> list[QueueConfig]:
    """Parse a queues.conf (sections, key = value, `member => iface,penalty,name,state`)."""
    text = Path(path).read_text(encoding="utf-8").replace("=>", "=")
    parser = configparser.ConfigParser(strict=False, interpolation=None, inline_comment_prefixes=(";",),
                                       comment_prefixes=(";", "#"))
    parser.optionxform = str  # type: ignore[assignment]
    members: dict[str, list[str]] = {}
    for section, line in _member_lines(text):
        members.setdefault(section, []).append(line)
    parser.read_string("\n".join(ln for ln in text.splitlines() if not ln.strip().startswith("member")))
    out = []
    for name in parser.sections():
        if name == "general":
            continue
        sec = parser[name]
        cfg = QueueConfig(
            name=name, strategy=sec.get("strategy", "ringall"), timeout=sec.getint("timeout", 15),
            retry=sec.getint("retry", 5), wrapuptime=sec.getint("wrapuptime", 0),
            joinempty=sec.get("joinempty", "yes"), leavewhenempty=sec.get("leavewhenempty", "no"),
            ringinuse=_yes(sec.get("ringinuse", "yes")), maxlen=sec.getint("maxlen", 0),
            weight=sec.getint("weight", 0), servicelevel=sec.getint("servicelevel", 0),
            musicclass=sec.get("musicclass", "default"),
            announce_position=_yes(sec.get("announce-position", "no")),
        )
        for line in members.get(name, []):
            parts = [p.strip() for p in line.split(",")]
            iface = parts[0]
            cfg.members.append((iface, int(parts[1] or 0) if len(parts) > 1 else 0,
                                parts[2] if len(parts) > 2 else iface, parts[3] if len(parts) > 3 else iface))
        out.append(cfg)
    return out


def _member_lines(text: str) -> list[tuple[str, str]]:
    section, out = "", []
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line.startswith("member"):
            out.append((section, line.split("=", 1)[1].strip()))
    return out


def _yes(value: str) -> bool:
    return value.strip().lower() in ("yes", "true", "1", "on", "strict", "loose")
