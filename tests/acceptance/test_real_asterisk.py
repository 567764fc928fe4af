"""A citizen's call on a real Asterisk: carrier trunk → IVR (FastAGI) → queue → a pyVoIP seat answers;
then the engine's call record, the MixMonitor files and a ticket for the call are checked."""
from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from hotline.directory import load_directory
from integrations.sip.caller import CallScript, SipCaller, SipTarget, voiced_seconds
from integrations.sip.pyvoip_adapter import HotlinePhone
from pyVoIP.VoIP import CallState

from .checks import call_record, check_answered, recording_files, ticket_for_call

pytestmark = pytest.mark.slow


def _tone_u8(seconds: float) -> bytes:
    """A 600 Hz tone as pyVoIP audio (unsigned 8-bit, 8 kHz): what the seat 'says'."""
    return bytes(128 + int(60 * math.sin(2 * math.pi * 600 * i / 8000)) for i in range(int(8000 * seconds)))


class AnsweringSeat:
    """A registered pyVoIP seat that answers every call, talks, and reports when it answered."""

    def __init__(self, acc) -> None:
        self.answered = threading.Event()
        self.phone = HotlinePhone(acc.sip_host, acc.sip_port, f"seat{acc.seat_extension}", acc.seat_password,
                                  my_ip=acc.seat_ip, register=True, call_callback=self._on_call)

    def _on_call(self, call) -> None:
        call.answer()
        self.answered.set()
        call.write_audio(_tone_u8(30))
        deadline = time.monotonic() + 60
        while call.state == CallState.ANSWERED and time.monotonic() < deadline:
            time.sleep(0.05)

    def start(self) -> "AnsweringSeat":
        self.phone.start()
        return self

    def stop(self) -> None:
        self.phone.stop()


def _script(directory, hang_up: threading.Event) -> CallScript:
    """Dial 12348 and ask for a person: 0 in the main menu in business hours, 1 (duty lawyer) after.
    The digit is repeated in case the first one fell into the greeting."""
    digit = "0" if directory.is_open(datetime.now(timezone.utc)) else "1"
    first = float(os.environ.get("HOTLINE_ACCEPTANCE_MENU_AT", "12"))
    return CallScript(number="12348", schedule=((first, digit), (first + 8, digit), (first + 16, digit)),
                      listen_seconds=90, answer_timeout=10, hangup_when=hang_up)


async def _call_through_a_queue(acc, directory, link):
    """Place the call; when it joins a queue, add the pyVoIP seat there; talk; hang up.
    Returns (caller's CallResult, queue, linkedid)."""
    from routing.actions import queue_add, queue_remove

    joined: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_event(event: dict) -> None:
        if event.get("CallerIDNum") == acc.caller_number and not joined.done():
            joined.set_result(event)

    unlisten = link.listen(on_event, {"QueueCallerJoin"})
    seat = await asyncio.to_thread(AnsweringSeat(acc).start)
    hang_up = threading.Event()
    caller = SipCaller(SipTarget(acc.sip_host, acc.sip_port, username=acc.caller_number, my_ip=acc.caller_ip))
    call = asyncio.create_task(caller.arun(_script(directory, hang_up)))
    queue, interface = None, f"PJSIP/seat{acc.seat_extension}"
    try:
        event = await asyncio.wait_for(joined, 60)
        queue = event["Queue"]
        await queue_add(link, queue=queue, interface=interface, member_name=f"验收{acc.seat_extension}")
        assert await asyncio.to_thread(seat.answered.wait, 30), "the seat was never rung"
        await asyncio.sleep(6)  # talk
        hang_up.set()
        return await asyncio.wait_for(call, 30), queue, event["Linkedid"]
    finally:
        if queue:
            await queue_remove(link, queue=queue, interface=interface)
        unlisten()
        await asyncio.to_thread(seat.stop)
        if not call.done():
            call.cancel()


async def test_citizen_call_reaches_a_seat_and_leaves_record_recordings_and_ticket(acceptance):
    from routing.ami import AmiLink

    acc = acceptance
    directory = load_directory(acc.settings.directory_file)
    link = AmiLink(name="acceptance", host=acc.ami_host, port=acc.ami_port, username=acc.ami_user,
                   secret=acc.ami_secret)
    await link.start()
    try:
        await link.wait_ready(15)
        result, queue, linkedid = await _call_through_a_queue(acc, directory, link)
    finally:
        await link.stop()
    assert result.answered and not result.remote_hangup
    assert voiced_seconds(result.audio) > 3  # the IVR greeting, then the seat's voice through the bridge

    engine = create_async_engine(acc.settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        rec = await call_record(sessions, linkedid)
        check_answered(rec, seat=acc.seat_extension, queue=queue, caller=acc.caller_number, min_talk=4)
        await recording_files(Path(acc.settings.recordings_dir), rec)
        await ticket_for_call(sessions, directory, rec, acc.seat_extension)
    finally:
        await engine.dispose()
