"""Building a PbxConfig: the reference-trace setup, or the 12348 directory (one queue per center × skill)."""
from __future__ import annotations

from pathlib import Path

from .core import Endpoint, PbxConfig
from .dialplan import personal_queue
from .parties import SeatScript
from .queues import QueueConfig, load_queues_conf

DATA = Path(__file__).resolve().parent / "data"
SEAT_RING = 15  # asterisk-config's ring_seconds default: SEAT_RING and each queue's per-ring timeout
# prompt lengths of the reference setup (espeak-ng renders, 8 kHz): welcome = 47923 samples
TRACE_PROMPTS = {"hotline/welcome": 47923 / 8000, "hotline/menu": 6.82, "hotline/handoff-12345": 7.37,
                 "beep": 0.25, "pbx-transfer": 1.0, "beeperr": 0.5, "pbx-invalid": 1.0}


def trace_config(fastagi_url: str | None, seats: dict[str, SeatScript] | None = None,
                 registered: set[str] | None = None) -> PbxConfig:
    """The configuration the reference traces were captured with (config/ in asterisk-traces)."""
    seats = seats or {}
    names = {"seat1001": ("1001", "坐席1001"), "seat1002": ("1002", "坐席1002"), "seat1003": ("1003", "坐席1003"),
             "sup9001": ("9001", "班长9001")}
    endpoints = [Endpoint("caller", registered=False, context="from-carrier")]
    for ep, (num, name) in names.items():
        reg = registered is None or ep in registered
        endpoints.append(Endpoint(ep, num, name, registered=reg, behaviour=seats.get(ep, SeatScript(answer_after=None))))
    return PbxConfig(fastagi_url=fastagi_url, queue_timeout=60, queues=load_queues_conf(DATA / "trace-queues.conf"),
                     endpoints=endpoints, prompt_seconds=dict(TRACE_PROMPTS),
                     callback_dial="PJSIP/caller/sip:${EXTEN}@127.0.0.1:5090", dialplan="traces")


def directory_config(directory, fastagi_url: str | None, recordings_dir: str, prompts: dict[str, float],
                     seat_script: SeatScript | None = None) -> PbxConfig:
    """Queues `q-<center>-<skill>` for every center × skill, seats as registered endpoints."""
    queues = []
    for name in directory.queue_names():
        members = [(s.interface, s.penalty(name.rsplit("-", 1)[1]), s.name, s.interface)
                   for s in directory.queue_members(name)]
        del members  # members join at run time with QueueAdd (the seats package logs operators in)
        queues.append(QueueConfig(name=name, strategy="rrmemory", timeout=15, retry=2, wrapuptime=5,
                                  joinempty="yes", ringinuse=False))
    queues += [personal_queue_config(seat.extension, seat.endpoint, seat.name, SEAT_RING) for seat in directory.seats]
    endpoints = [Endpoint("caller", registered=False, context="from-carrier")]
    for seat in directory.seats:
        endpoints.append(Endpoint(seat.endpoint, seat.extension, seat.name,
                                  behaviour=seat_script or SeatScript(answer_after=3.0, talk_time=None)))
    for sup in getattr(directory, "supervisor_phones", []):
        endpoints.append(Endpoint(f"sup{sup.extension}", sup.extension, sup.name,
                                  behaviour=SeatScript(answer_after=1.0)))
    return PbxConfig(fastagi_url=fastagi_url, queues=queues, endpoints=endpoints, prompt_seconds=prompts,
                     recordings_dir=recordings_dir, seat_ring=SEAT_RING)


def personal_queue_config(extension: str, endpoint: str, name: str, ring_seconds: int = 20) -> QueueConfig:
    """首问负责制: the seat's personal queue, as asterisk-config's queues.conf renders it.

    Its one static member is the seat; a caller is let in only while the seat can take the call
    (joinempty/leavewhenempty: paused, in use, ringing, unavailable, wrap-up …), so a busy seat sends
    the caller straight on to the skill queue.
    """
    strict = "paused,penalty,inuse,ringing,unavailable,invalid,unknown,wrapup"
    return QueueConfig(name=personal_queue(extension), strategy="ringall", timeout=ring_seconds, retry=1,
                       wrapuptime=5, joinempty=strict, leavewhenempty=strict, ringinuse=False,
                       members=[(f"PJSIP/{endpoint}", 0, name, f"PJSIP/{endpoint}")])
