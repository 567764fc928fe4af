"""Routing benchmarks for the bench harness (`bench/measures.py`): ratios against baselines in the same run.

- `bench_ami_ingest`: events per CPU second of the full pipeline (byte framing → state → decisions, as the engine runs
  it) against a minimal `readuntil(b"\\r\\n\\r\\n")` + split parser and panoramisk's bare dispatch, on
  the same recorded stream (the reference traces, repeated) cut into the same TCP-sized reads.
- `bench_routing_latency`: decision-to-action latency (a freed seat's event → the Redirect written on
  the AMI socket) with 500 seats and 2,000 calls live, against one AMI Ping round-trip on the same link.
"""
from __future__ import annotations

import asyncio
import gc
import json
import random
import time
from pathlib import Path


TRACES = Path(__file__).resolve().parent.parent.parent / "shared" / "asterisk-traces"


def recorded_stream(repeat: int) -> bytes:
    """The recv side of every reference trace (banner first once), repeated `repeat` times."""
    parts = []
    for path in sorted(TRACES.glob("*.ami.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            rec = json.loads(line)
            if rec["dir"] == "recv" and not rec["data"].startswith("Asterisk Call Manager/"):
                parts.append(rec["data"].encode("utf-8"))
    body = b"".join(parts)
    # every repetition gets its own Uniqueids/Linkedids/LoginTimes (as fresh calls would), so a
    # header-line cache sees the miss rate of real traffic, not one replayed call
    copies = (body.replace(b"17959", f"{10000 + r:05d}".encode()) for r in range(repeat))
    return b"Asterisk Call Manager/11.0.0\r\n" + b"".join(copies)


def chunks(stream: bytes, seed: int, size: int = 4096) -> list[bytes]:
    """TCP-like reads of random length around `size` (they split UTF-8 characters too)."""
    rnd = random.Random(seed)
    out, i = [], 0
    while i < len(stream):
        n = rnd.randint(size // 2, size * 2)
        out.append(stream[i:i + n])
        i += n
    return out


# ---- contenders ------------------------------------------------------------------------
async def minimal_parser(reads: list[bytes]) -> int:
    """Baseline: StreamReader.readuntil + decode + split into a dict; counts events."""
    reader = asyncio.StreamReader(limit=2 ** 22)
    for r in reads:
        reader.feed_data(r)
    reader.feed_eof()
    await reader.readuntil(b"\r\n")  # banner
    events = 0
    while True:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return events
        msg = dict(line.split(": ", 1) for line in raw[:-4].decode("utf-8").split("\r\n") if ": " in line)
        if "Event" in msg:
            events += 1


def panoramisk_dispatch(reads: list[bytes]) -> int:
    """panoramisk 1.4's own protocol and Manager.dispatch with one catch-all callback."""
    from panoramisk.ami_protocol import AMIProtocol
    from panoramisk.manager import Manager

    count = [0]
    manager = Manager(loop=asyncio.new_event_loop())
    manager.callbacks.clear()  # drop its FullyBooted hook (it schedules a task per boot)
    manager.patterns.clear()
    manager.register_event("*", lambda _m, _e: count.__setitem__(0, count[0] + 1))
    proto = AMIProtocol()
    proto.connection_made(_NullTransport())
    proto.factory, proto.encoding = manager, "utf-8"
    for r in reads:
        proto.data_received(r)
    manager.loop.close()
    return count[0]


def make_service(directory):
    """A RoutingService as the engine runs it, acting on a FakeAmi (decisions run, actions recorded)."""
    from hotline.bus import EventBus
    from routing.service import RoutingService
    from routing.testing import FakeAmi

    service = RoutingService(directory, EventBus())
    service.links["node1"] = FakeAmi()
    return service


def full_pipeline(reads: list[bytes], service, parse_all: bool = False) -> int:
    """Our FramingProtocol → RoutingService.on_event (state.apply, bus, overflow/return decisions)."""
    from routing.adapter import FramingProtocol
    from routing.service import ROUTING_EVENTS

    count = [0]

    class Factory:
        raw_sink = None
        wanted = None if parse_all else ROUTING_EVENTS

        @staticmethod
        def on_event(event):
            count[0] += 1
            service.on_event("node1", event, 0.0)

    proto = FramingProtocol()
    proto.connection_made(_NullTransport())
    proto.factory = Factory
    for r in reads:
        proto.data_received(r)
    return count[0]


class _NullTransport:
    def write(self, data):
        pass

    def close(self):
        pass


def _interleaved(fns: list, rounds: int) -> list[tuple[float, int]]:
    """Best CPU time of each contender, round-robin: all are single-threaded and CPU-bound, and CPU time
    does not count the time other processes on a shared machine take from us."""
    best = [(float("inf"), 0)] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            gc.collect()
            t0 = time.process_time()
            n = fn()
            best[i] = (min(best[i][0], time.process_time() - t0), n)
    return best


def bench_ami_ingest(quick: bool = False, seed: int = 12348, repeat: int | None = None,
                     rounds: int | None = None) -> dict:
    """Full pipeline events/s vs the minimal parser (target ≥ 0.65×) and panoramisk's dispatch."""
    from hotline.directory import load_directory
    from hotline.settings import Settings

    directory = load_directory(Settings(_env_file=None).directory_file)
    reads = chunks(recorded_stream(repeat or (20 if quick else 200)), seed)
    rounds = rounds or (5 if quick else 7)

    async def _noop():
        return None

    def run_minimal():
        return asyncio.run(minimal_parser(reads))

    def run_full():
        async def go():
            return full_pipeline(reads, make_service(directory))
        return asyncio.run(go())

    def run_full_all():
        async def go():
            return full_pipeline(reads, make_service(directory), parse_all=True)
        return asyncio.run(go())

    # round-robin, best of each: a busy machine slows every contender alike
    (t_min, n_min), (t_pk, n_pk), (t_full, n_full), (t_all, n_all) = _interleaved(
        [run_minimal, lambda: panoramisk_dispatch(reads), run_full, run_full_all], rounds)
    # every contender reads the same stream: rates are stream events per CPU second
    rate = {"minimal": n_min / t_min, "panoramisk": n_min / t_pk, "full": n_min / t_full, "all": n_min / t_all}
    return {"value": round(rate["full"]), "baseline": "minimal readuntil+split parser",
            "baseline_value": round(rate["minimal"]), "ratio": round(rate["full"] / rate["minimal"], 3),
            "target": "ratio >= 0.65",
            "details": {"events_to_state": n_full, "events_parsed_all": n_all,
                        "full_parse_all_events_per_s": round(rate["all"]),
                        "full_parse_all_ratio": round(rate["all"] / rate["minimal"], 3), "events_minimal": n_min, "events_panoramisk": n_pk,
                        "panoramisk_events_per_s": round(rate["panoramisk"]),
                        "panoramisk_ratio": round(rate["panoramisk"] / rate["minimal"], 3),
                        "bytes": sum(map(len, reads)), "reads": len(reads)}}


def bench_routing_latency(quick: bool = False, seed: int = 12348) -> dict:
    """Event-to-action p50/p99 on pbxsim at 500 seats / 2,000 calls vs one Ping round-trip, same link, same run."""
    from routing.latency import measure_latency

    if quick:
        return asyncio.run(measure_latency(seats=100, calls=400, window=8.0, seed=seed, talk_seconds=3.0))
    return asyncio.run(measure_latency(seats=500, calls=2000, window=30.0, seed=seed))


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(bench_ami_ingest(quick=False), indent=1))
