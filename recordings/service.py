"""Event handlers: start MixMonitor when a seat answers, ingest when the call ends."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import select

from recordings.ingest import ingest_call
from recordings.models import RecordedCall
from recordings.paths import UnsafePathError
from recordings.policy import center_of_queue, plan_monitor

log = logging.getLogger(__name__)


def _at(payload: dict) -> datetime:
    try:
        at = datetime.fromisoformat(str(payload.get("at")))
        return at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    except ValueError:
        return datetime.now(timezone.utc)


async def start_recording(kernel, ami, payload: dict) -> RecordedCall | None:
    """`call.connected` → record the call's owner and send MixMonitor (errors are kept on the row)."""
    from routing import actions
    from routing.results import AmiError

    try:
        plan = plan_monitor(payload, kernel.settings.recordings_dir)
    except (ValueError, UnsafePathError) as exc:
        log.error("not recording %s: %s", payload.get("linkedid"), exc)
        return None
    async with kernel.sessions() as s:
        call = await s.scalar(select(RecordedCall).where(RecordedCall.linkedid == plan.linkedid))
        if call is not None:  # a repeated event (engine restart, overflow re-answer): one recording per call
            return call
        call = RecordedCall(linkedid=plan.linkedid, seat_extension=payload.get("seat_extension"),
                            center_code=center_of_queue(str(payload.get("queue") or "")),
                            queue=str(payload.get("queue") or ""), caller_number=str(payload.get("caller_number") or ""),
                            caller_channel=plan.channel, answered_at=_at(payload))
        s.add(call)
        await s.commit()
        try:
            (kernel.settings.recordings_dir / plan.relpaths["mix"]).parent.mkdir(parents=True, exist_ok=True)
            await actions.mixmonitor(ami, channel=plan.channel, file=plan.file, options=plan.options)
        except (AmiError, OSError, ValueError) as exc:
            call.monitor_error = f"{exc.__class__.__name__}: {exc}"
            log.error("MixMonitor failed for %s: %s", plan.linkedid, exc)
        await s.commit()
        return call


async def end_recording(kernel, payload: dict) -> list:
    """`call.ended` → note the end and ingest the call's files; returns the ingest results."""
    linkedid = str(payload.get("linkedid", ""))
    async with kernel.sessions() as s:
        call = await s.scalar(select(RecordedCall).where(RecordedCall.linkedid == linkedid))
        if call is None:
            return []  # never recorded (unanswered) or recorded by another node: the scan has it
        call.ended_at = call.ended_at or _at(payload)
        await s.commit()
        results = await ingest_call(s, kernel.settings.recordings_dir, linkedid, call.answered_at)
    if results:
        kernel.bus.publish("recording.ingested", {
            "linkedid": linkedid, "recordings": [r.__dict__ for r in results],
            "at": datetime.now(timezone.utc).isoformat()})
    return results
