"""Where the IVR's record of a call goes: the `ivr_*` tables and the bus (`ivr.step`, `call.survey`, …).

A database or bus failure is logged and never breaks the caller's path: the call goes on.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ivr.machine import Step
from ivr.models import CallbackRequest, IvrStep, SurveyResult, VoiceMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallIds:
    """Who the call is."""

    linkedid: str
    uniqueid: str
    script: str
    caller_number: str = ""
    ami_node: str = ""


def step_payload(ids: CallIds, step: Step, at: datetime) -> dict[str, Any]:
    """The `ivr.step` bus payload for one step."""
    # `node` is the flow node (as the IVR contract says); the Asterisk node is `ami_node`.
    return {"linkedid": ids.linkedid, "uniqueid": ids.uniqueid, "script": ids.script, "step": step.kind,
            "node": step.node, "digits": step.digits, "at": at.isoformat(), "ami_node": ids.ami_node}


class CallJournal:
    """Records one script run's steps and results; `steps` keeps them in memory too.

    Steps go to the bus at once and to the database in one transaction per call (or every
    `batch` steps): one commit per step made the database the bottleneck of the IVR (see docs/ivr.md).
    """

    def __init__(self, kernel: Any, ids: CallIds, clock: Callable[[], datetime], batch: int = 20):
        self.kernel = kernel
        self.ids = ids
        self.clock = clock
        self.batch = batch
        self.steps: list[Step] = []
        self._rows: list[Any] = []

    async def _store(self, *rows: Any) -> None:
        try:
            async with self.kernel.sessions() as session:
                session.add_all(rows)
                await session.commit()
        except Exception:  # a lost row must never drop the call
            log.exception("IVR %s: cannot store %s", self.ids.linkedid, ", ".join(type(r).__name__ for r in rows))

    async def flush(self) -> None:
        """Write the steps not yet stored."""
        rows, self._rows = self._rows, []
        if rows:
            await self._store(*rows)

    def _publish(self, topic: str, payload: dict[str, Any]) -> None:
        try:
            self.kernel.bus.publish(topic, payload)
        except Exception:
            log.exception("IVR %s: cannot publish %s", self.ids.linkedid, topic)

    async def _with_steps(self, row: Any) -> None:
        rows, self._rows = self._rows, []
        await self._store(*rows, row)

    async def step(self, step: Step) -> None:
        """Record and publish one step (`ivr.step`)."""
        at = self.clock()
        self.steps.append(step)
        self._publish("ivr.step", step_payload(self.ids, step, at))
        self._rows.append(IvrStep(linkedid=self.ids.linkedid, uniqueid=self.ids.uniqueid, script=self.ids.script,
                                  seq=len(self.steps), kind=step.kind, node=step.node, digits=step.digits[:32],
                                  detail=step.detail, at=at))
        if len(self._rows) >= self.batch:
            await self.flush()

    async def survey(self, score: int | None, unsatisfied: bool) -> None:
        """Store the answer and publish `call.survey` {linkedid, score, unsatisfied}."""
        at = self.clock()
        await self._with_steps(SurveyResult(linkedid=self.ids.linkedid, uniqueid=self.ids.uniqueid,
                                       caller_number=self.ids.caller_number, score=score,
                                       unsatisfied=unsatisfied, at=at))
        self._publish("call.survey", {"linkedid": self.ids.linkedid, "uniqueid": self.ids.uniqueid,
                                      "caller_number": self.ids.caller_number, "score": score,
                                      "unsatisfied": unsatisfied, "at": at.isoformat()})

    async def callback(self, number: str, skill: str | None) -> None:
        """Store a callback request and publish `call.callback_requested`."""
        at = self.clock()
        await self._with_steps(CallbackRequest(linkedid=self.ids.linkedid, uniqueid=self.ids.uniqueid,
                                          caller_number=self.ids.caller_number, number=number, skill=skill, at=at))
        self._publish("call.callback_requested", {"linkedid": self.ids.linkedid, "number": number,
                                                  "caller_number": self.ids.caller_number, "skill": skill,
                                                  "at": at.isoformat()})

    async def voicemail(self, path: str, seconds: float, ended_by: str, skill: str | None) -> None:
        """Store a 留言 and publish `call.voicemail`."""
        at = self.clock()
        await self._with_steps(VoiceMessage(linkedid=self.ids.linkedid, uniqueid=self.ids.uniqueid,
                                       caller_number=self.ids.caller_number, path=path, seconds=seconds,
                                       ended_by=ended_by, skill=skill, at=at))
        self._publish("call.voicemail", {"linkedid": self.ids.linkedid, "path": path, "seconds": seconds,
                                         "caller_number": self.ids.caller_number, "skill": skill,
                                         "at": at.isoformat()})
