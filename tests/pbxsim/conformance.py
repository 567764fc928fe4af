"""Drive pbxsim through a reference-trace scenario and compare what it sends with the trace.

Inputs are taken from the trace: the observer's actions (`send` records, at their times), the
FastAGI server's commands (`to_asterisk` lines), and the SIP-side moves of the phones, timed by
the events they caused (a call arriving = the caller's Newchannel, a digit = DTMFEnd, an answer =
Newstate Up of that leg, a hang-up = its HangupRequest, a hold = Hold). Outputs (every AMI
message received, every FastAGI line sent) are compared after normalizing only ids, times and
addresses. Asterisk delivers events of different channels from different threads, so the order
is compared per stream: per channel, per device, per queue member, per bridge, per action.
"""
from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pbxsim import calls, transfer
from pbxsim.ami_server import AmiServer, AmiUser
from pbxsim.core import Simulator
from pbxsim.parties import CallerScript, _answer
from pbxsim.scheduler import Scheduler
from pbxsim.setup import trace_config

ENGINE = AmiUser("engine", "engine", {"system", "call", "agent", "user", "dtmf"},
                 {"system", "call", "agent", "originate", "reporting"})


def parse(data: str) -> list[tuple[str, str]]:
    """One AMI message → ordered pairs."""
    out = []
    for line in data.split("\r\n"):
        if ": " in line:
            k, v = line.split(": ", 1)
            out.append((k, v))
        elif line.endswith(":"):
            out.append((line[:-1], ""))
    return out


def load(path: Path) -> list[dict]:
    """Records of a .jsonl trace."""
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def epoch_origin(records: list[dict]) -> float:
    """The epoch of t=0, narrowed from every Uniqueid/LoginTime stamped in the trace."""
    lo, hi = -1e18, 1e18
    seen = set()
    for r in records:
        if r["dir"] != "recv":
            continue
        h = dict(parse(r["data"]))
        if h.get("Event") == "Newchannel" and h["Uniqueid"] not in seen:
            seen.add(h["Uniqueid"])
            e = int(h["Uniqueid"].split(".")[0])
            lo, hi = max(lo, e - r["t"] - 0.003), min(hi, e + 1 - r["t"])
        if "Timestamp" in h:
            ts = float(h["Timestamp"])
            lo, hi = max(lo, ts - r["t"] - 0.002), min(hi, ts - r["t"] + 0.002)
    if lo < -1e17:
        return 1795901442.5
    return (lo + hi) / 2 if hi > lo else lo


@dataclass
class Moves:
    """Party moves recovered from the trace, as (t, kind, channel, arg)."""

    items: list[tuple[float, str, str, str]] = field(default_factory=list)
    unregistered: set[str] = field(default_factory=set)


def party_moves(records: list[dict]) -> Moves:
    """What callers and phones did, timed by the events they caused."""
    moves = Moves()
    answered, named, outbound = set(), {}, set()
    for r in records:
        if r["dir"] != "recv":
            continue
        h = dict(parse(r["data"]))
        ev, ch = h.get("Event"), h.get("Channel", "")
        if ev == "Newchannel" and h["ChannelState"] == "0":
            outbound.add(ch)
        if ev == "Newchannel" and h["Context"] == "from-carrier" and h["ChannelState"] == "4":
            named[ch] = (h["CallerIDNum"], h["CallerIDName"], h["Exten"])
            moves.items.append((r["t"], "call", ch, json.dumps(named[ch], ensure_ascii=False)))
        elif ev == "DTMFEnd" and h.get("Direction") == "Received":
            moves.items.append((r["t"], "dtmf", ch, h["Digit"]))
        elif ev == "Newstate" and h["ChannelState"] == "6" and ch in outbound and ch not in answered:
            answered.add(ch)
            moves.items.append((r["t"], "answer", ch, ""))
        elif ev == "HangupRequest":
            moves.items.append((r["t"], "bye", ch, ""))
        elif ev == "Hold":
            moves.items.append((r["t"], "hold", ch, ""))
        elif ev == "OriginateResponse" and h["Reason"] == "0":
            moves.unregistered.add(h["Channel"].split("/", 1)[1])
    moves.items.sort(key=lambda m: m[0])
    return moves


class AgiReplay:
    """A FastAGI server answering each session with the trace's commands for that session."""

    def __init__(self, records: list[dict]) -> None:
        self.scripts: dict[int, list[str]] = {}
        self.expected: dict[int, list[str]] = {}
        for r in records:
            if r["dir"] == "to_asterisk":
                self.scripts.setdefault(r["conn"], []).append(r["data"])
            else:
                self.expected.setdefault(r["conn"], []).append(r["data"])
        self.got: dict[int, list[str]] = {}
        self.count = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one session: read the environment, send each command, read every reply line."""
        self.count += 1
        conn = self.count
        got = self.got.setdefault(conn, [])
        while True:
            line = (await reader.readline()).decode()
            if not line:
                return
            got.append(line)
            if line == "\n":
                break
        for cmd in self.scripts.get(conn, []):
            writer.write(cmd.encode())
            await writer.drain()
            while True:
                line = (await reader.readline()).decode()
                if not line:
                    writer.close()
                    return
                got.append(line)
                if line != "HANGUP\n":
                    break
        writer.close()


def norm_agi(lines: list[str]) -> list[str]:
    """Normalize unique ids, thread ids and addresses in AGI lines."""
    out = []
    for ln in lines:
        ln = re.sub(r"^agi_uniqueid: \d+\.(\d+)", r"agi_uniqueid: U.\1", ln)
        ln = re.sub(r"^agi_threadid: \d+", "agi_threadid: T", ln)
        ln = re.sub(r"agi://[^/]+/", "agi://H/", ln)
        out.append(ln)
    return out


def keys_of(msg: list[tuple[str, str]]) -> list[tuple]:
    """The streams a message belongs to (see module docstring)."""
    h = dict(msg)
    keys: list[tuple] = []
    if "Response" in h or "ActionID" in h and h.get("Event") != "OriginateResponse":
        keys.append(("action",))
    for k in ("Channel", "DestChannel", "TransfererChannel", "TransfereeChannel"):
        if k in h and "ActionID" not in h:
            if h.get("Event") == "DialState" and k == "DestChannel" and "Channel" in h:
                continue  # raised by the dialing thread: ordered with the dialing channel only
            if h.get("Event", "").startswith("Dial") and "Channel" not in h:
                keys.append(("originate-dial", h[k]))  # the originate thread's own sequence
                continue
            keys.append(("chan", h[k]))
    if "Device" in h:
        keys.append(("dev", h["Device"]))
    if h.get("Event", "").startswith("QueueMember") and "ActionID" not in h:
        keys.append(("member", h["Queue"], h["Interface"]))
    if h.get("Event", "").startswith("QueueCaller"):
        keys.append(("queue", h["Queue"]))
    if "BridgeUniqueid" in h:
        keys.append(("bridge", h["BridgeUniqueid"]))
    if h.get("Event") == "OriginateResponse":
        keys.append(("originate", h.get("ActionID", "")))
    return keys or [("other",)]


class Normalizer:
    """Replace ids/timestamps that must differ between two runs."""

    def __init__(self) -> None:
        self.bridges: dict[str, str] = {}

    def __call__(self, msg: list[tuple[str, str]]) -> list[tuple[str, str]]:
        out = []
        for k, v in msg:
            if k.endswith("Uniqueid") and k.startswith(("Bridge", "Transferer", "Transferee", "Dest", "Uniq")) and k != "BridgeUniqueid" or k.endswith("Linkedid"):
                v = re.sub(r"^\d+\.", "U.", v)
            elif k in ("BridgeUniqueid", "BridgeId", "BridgeID") and v:
                v = self.bridges.setdefault(v, f"B{len(self.bridges) + 1}")
            elif k in ("Timestamp", "Challenge"):
                v = "*"
            elif k in ("LoginTime", "LastCall", "LastPause") and v != "0":
                v = "T"
            elif k in ("DestChannelState", "DestChannelStateDesc") and (
                    dict(msg).get("Event") == "DialState"
                    or dict(msg).get("Event") == "DialBegin" and "Channel" not in dict(msg)):
                v = "RACE"  # the 180 Ringing and the callee's Newstate race (both orders in the traces)
            elif k == "InCall" and dict(msg).get("Event") == "QueueMemberStatus" and dict(msg).get("Status") == "2":
                v = "RACE"  # device state vs AgentConnect (both values in the traces)
            out.append((k, v))
        return out


def streams(messages: list[list[tuple[str, str]]]) -> dict[tuple, list[list[tuple[str, str]]]]:
    """Group normalized messages by stream, keeping order."""
    norm = Normalizer()
    out: dict[tuple, list] = {}
    for m in messages:
        n = norm(m)
        for key in keys_of(m):
            if key[0] == "bridge":
                key = ("bridge", dict(n)["BridgeUniqueid"])
            out.setdefault(key, []).append(n)
    return out


async def run_scenario(trace_dir: Path, name: str, session_file: str | None = None) -> tuple[list, list, AgiReplay]:
    """Replay one scenario through pbxsim; returns (expected messages, got messages, agi replay)."""
    ami_records = load(trace_dir / (session_file or f"{name}.ami.jsonl"))
    agi_path = trace_dir / f"{name}.agi.jsonl"
    agi = AgiReplay(load(agi_path) if agi_path.exists() else [])
    agi_server = await asyncio.start_server(agi.handle, "127.0.0.1", 0)
    agi_port = agi_server.sockets[0].getsockname()[1]
    t0 = epoch_origin(ami_records)
    moves = party_moves(ami_records)
    registered = {"seat1001", "seat1002", "seat1003", "sup9001"} - moves.unregistered
    cfg = trace_config(f"agi://127.0.0.1:{agi_port}", registered=registered)
    cfg.handoff_number = "12345"
    sched = Scheduler(start=t0 - 0.001)
    sim = Simulator(cfg, sched)
    sim.boot_time = int(t0) - 1
    server = AmiServer(sim, [ENGINE], auth_delay=0.0)
    recorded = [dict(parse(r["data"])).get("Challenge") for r in ami_records if "Challenge: " in r["data"]]
    if recorded:
        server.new_challenge = lambda: recorded[0]
    port = await server.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    got: list[str] = []
    buf = [b""]

    async def pump() -> None:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            buf[0] += chunk

    task = asyncio.create_task(pump())
    for t, kind, chan, arg in moves.items:
        sched.call_at(t0 + t, _move, sim, kind, chan, arg)
    for r in ami_records:
        if r["dir"] == "send":
            await sched.run_until(t0 + r["t"])
            writer.write(r["data"].encode())
            await writer.drain()
            for _ in range(20):
                await asyncio.sleep(0.002)
            await sched.settle()
    await sched.run_until(t0 + ami_records[-1]["t"] + 1)
    await asyncio.sleep(0.05)
    writer.close()
    task.cancel()
    await server.stop()
    agi_server.close()
    text = buf[0].decode("utf-8")
    banner, _, rest = text.partition("\r\n")
    got = [banner + "\r\n"] + [m + "\r\n\r\n" for m in rest.split("\r\n\r\n") if m]
    expected = [r["data"] for r in ami_records if r["dir"] == "recv"]
    return expected, got, agi


def _move(sim: Simulator, kind: str, name: str, arg: str) -> None:
    chan = sim.channels.get(name)
    if kind == "call":
        num, cname, did = json.loads(arg)
        calls.inbound(sim, num, cname, did, party=CallerScript(num, cname, did))
        return
    if chan is None:
        return
    if kind == "dtmf":
        calls.dtmf(sim, chan, arg)
    elif kind == "answer":
        _answer(sim, chan, None)
    elif kind == "bye":
        calls.remote_hangup(sim, chan)
    elif kind == "hold":
        transfer.hold(sim, chan)


def compare(expected: list[str], got: list[str]) -> list[str]:
    """Differences between two message lists, stream by stream (empty = identical)."""
    exp = streams([parse(m) for m in expected])
    out = streams([parse(m) for m in got])
    problems = []
    for key in sorted(set(exp) | set(out), key=str):
        a, b = exp.get(key, []), out.get(key, [])
        if a != b:
            for i, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    diff = [f"{k}: {v!r} != {w!r}" for (k, v), (_, w) in zip(x, y) if (k, v) != (_, w)]
                    if len(x) != len(y):
                        diff.append(f"headers {[k for k, _ in x]} != {[k for k, _ in y]}")
                    problems.append(f"{key} #{i} {dict(x).get('Event') or dict(x).get('Response')}: {'; '.join(diff[:6])}")
                    break
            else:
                problems.append(f"{key}: {len(a)} expected vs {len(b)} got; extra: "
                                f"{[dict(m).get('Event') for m in (a[len(b):] or b[len(a):])]}")
    return problems
