"""Runs a flow over one FastAGI connection: performs the machine's effects on the channel, records each step."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ivr import machine as M
from ivr.agi import AgiClosed, AgiRequest, AgiTimeout, AgiValueError, quote
from ivr.channel import AgiChannel, CallerHungUp
from ivr.facts import CallInfo, call_info, routing_state, call_facts
from ivr.flow import Flow
from ivr.handoff import DirectoryPlacer, Placement, Placer, RouteAsk, placer_for
from ivr.journal import CallIds, CallJournal

log = logging.getLogger(__name__)
HOTLINE_VAR = re.compile(r"^HOTLINE_[A-Z0-9_]{1,32}$|^QUEUE_PRIO$")


class FlowCall:
    """One caller in one script of the flow."""

    def __init__(self, kernel: Any, flow: Flow, channel: AgiChannel, info: CallInfo, journal: CallJournal,
                 placer: Placer, clock: Callable[[], datetime], node: str = "node1"):
        self.kernel, self.flow, self.channel, self.info = kernel, flow, channel, info
        self.journal, self.placer, self.clock = journal, placer, clock
        self.at = flow.entries.get(info.script, "?")
        self.node = node

    async def run(self, facts: dict[str, Any]) -> None:
        """Walk the flow until a terminal node, a hang-up or a protocol failure; always leaves a record."""
        cur = M.start(self.flow, self.info.script)
        if cur is None:
            log.error("IVR flow %s has no entry for script %r", self.flow.name, self.info.script)
            return
        await self.journal.step(M.Step("start", cur.node, detail={"caller": self.info.caller_number, "did": self.info.did}))
        try:
            if self.info.script in ("ivr", "callback-ivr"):
                await self.channel.answer()
            await self._walk(cur, facts)
        except (CallerHungUp, AgiClosed) as exc:
            log.info("IVR %s: caller gone at %s (%s)", self.info.channel, self._where(), exc)
            await self.journal.step(M.Step("hangup", self._where()))
        except AgiTimeout as exc:
            log.warning("IVR %s: %s; ending the call's script", self.info.channel, exc)
            await self.journal.step(M.Step("agi-timeout", self._where(), detail={"error": str(exc)[:200]}))
        except AgiValueError as exc:
            log.error("IVR %s: refused to send an unsafe value: %s", self.info.channel, exc)
            await self.journal.step(M.Step("refused", self._where(), detail={"error": str(exc)[:200]}))
        finally:
            await self.journal.flush()

    def _where(self) -> str:
        return self.at

    async def _walk(self, cur: M.Cursor, facts: dict[str, Any]) -> None:
        while True:
            cur, effect, steps = M.next_effect(self.flow, cur, facts)
            self.at = cur.node
            for s in steps:
                await self.journal.step(s)
            if isinstance(effect, M.TERMINAL_EFFECTS):
                target = await self._finish(cur, effect)
                if target is None:
                    return
                cur = M.goto(cur, target)
                continue
            cur, pending = M.take_pending(cur)
            outcome = pending if pending is not None and isinstance(effect, M.Ask) else await self._perform(effect)
            cur, step = M.apply(self.flow, cur, effect, outcome)
            await self.journal.step(step)

    async def _perform(self, effect: Any) -> Any:
        ch = self.channel
        if isinstance(effect, M.Play):
            for prompt in effect.prompts:
                key = await ch.stream(prompt, effect.escape)
                if key:
                    return M.Heard(key)
            return M.Heard(None)
        if isinstance(effect, M.Ask):
            digits, timed_out = await ch.get_data(effect.prompt, effect.timeout_ms, effect.max_digits)
            return M.Input(digits, timed_out)
        if isinstance(effect, M.SayDigits):
            return M.Heard(await ch.say_digits(effect.digits))
        if isinstance(effect, M.ReadVars):
            return M.Values({n: (await ch.get_var(n)) or "" for n in effect.names})
        raise TypeError(f"unknown effect {effect!r}")

    async def _finish(self, cur: M.Cursor, effect: Any) -> str | None:
        """Perform a terminal effect; a node id when the walk must go on (routing declined to queue)."""
        if isinstance(effect, M.Place):
            return await self._place(cur, effect)
        if isinstance(effect, M.RegisterCallback):
            await self.journal.callback(effect.number, effect.skill)
            await self._set({"HOTLINE_CALLBACK_NUMBER": effect.number, "HOTLINE_ACTION": "callback"})
            await self.journal.step(M.Step("callback", cur.node, effect.number, {"skill": effect.skill}))
            await self.channel.stream(effect.prompt, "")
        elif isinstance(effect, M.TakeMessage):
            await self._voicemail(cur, effect)
        elif isinstance(effect, M.Scored):
            await self.journal.survey(effect.score, effect.unsatisfied)
            self._survey_to_routing(effect.score)
            await self.journal.step(M.Step("survey", cur.node, str(effect.score or ""),
                                           {"score": effect.score, "unsatisfied": effect.unsatisfied}))
            await self._set({"HOTLINE_ACTION": "hangup"})
            if effect.thanks_prompt:
                await self.channel.stream(effect.thanks_prompt, "")
        else:
            await self._set({"HOTLINE_ACTION": "hangup"})
            await self.journal.step(M.Step("end", cur.node, detail={"reason": effect.reason}))
            if effect.prompt:
                await self.channel.stream(effect.prompt, "")
        return None

    def _survey_to_routing(self, score: int | None) -> None:
        """Put the score on routing's live call record too (its column), when routing runs."""
        routing = self.kernel.services.get("routing")
        if score is None or routing is None or not hasattr(routing, "set_survey"):
            return
        try:
            routing.set_survey(self.journal.ids.linkedid, score)
        except Exception:
            log.exception("IVR %s: routing.set_survey failed", self.journal.ids.linkedid)

    async def _set(self, variables: dict[str, str]) -> None:
        for name, value in variables.items():
            if not HOTLINE_VAR.match(name):
                log.warning("IVR %s: routing returned variable %r outside the dialplan contract, not set", self.info.channel, name)
                continue
            await self.channel.set_var(name, value)

    async def _place(self, cur: M.Cursor, effect: M.Place) -> str | None:
        """Ask routing; set the dialplan variables. Returns a node to continue at when routing did not queue."""
        path = tuple(s.node for s in self.journal.steps if s.kind in ("choice", "play", "digits", "score"))
        ask = RouteAsk(linkedid=self.journal.ids.linkedid, uniqueid=self.info.uniqueid, channel=self.info.channel,
                       caller_number=self.info.caller_number, caller_name=self.info.caller_name, did=self.info.did,
                       skill=effect.skill, category=effect.category, priority=effect.priority, duty=effect.duty,
                       ivr_path=path, handoff_ticket=None, now=self.clock(), green=effect.green,
                       green_reason=effect.green_reason, node=self.node)
        placement = await self._checked(await self.placer.place(ask), ask)
        if placement.action != "queue":
            target = self.flow.decisions.get(placement.action)
            await self.journal.step(M.Step("decision", cur.node, detail={"action": placement.action, "goto": target}))
            if target is not None:
                return target
        # HOTLINE_ACTION goes last: a call cut short never leaves "queue" without its queue.
        variables = {**{k: v for k, v in placement.variables.items() if k != "HOTLINE_ACTION"},
                     "HOTLINE_ACTION": placement.action}
        await self._set(variables)
        await self.journal.step(M.Step("route", cur.node, detail={
            "skill": effect.skill, "category": effect.category, "priority": effect.priority, "duty": effect.duty,
            "queue": variables.get("HOTLINE_QUEUE", ""), "action": placement.action, "source": placement.source}))
        if effect.prompt:
            await self.channel.stream(effect.prompt, "")
        return None

    async def _checked(self, placement: Placement, ask: RouteAsk) -> Placement:
        """Refuse a placement carrying a value that may not go on an AGI line; queue from the directory instead."""
        try:
            for name, value in placement.variables.items():
                quote(str(value))
            quote(placement.action)
        except AgiValueError as exc:
            log.error("IVR %s: routing returned an unsafe value (%s); queueing from the directory", self.info.channel, exc)
            return await DirectoryPlacer(self.kernel.directory).place(ask)
        return placement

    async def _voicemail(self, cur: M.Cursor, effect: M.TakeMessage) -> None:
        await self.channel.stream(effect.prompt, "")
        now = self.clock()
        folder = Path(self.kernel.settings.recordings_dir) / "voicemail" / now.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        path = str(folder / f"{self.journal.ids.linkedid}-{now.strftime('%H%M%S')}")
        rec = await self.channel.record(path, effect.max_seconds, effect.silence_seconds)
        if rec.ended_by == "error":
            log.error("IVR %s: RECORD FILE failed, no message stored", self.info.channel)
            await self.journal.step(M.Step("voicemail-failed", cur.node))
            await self._set({"HOTLINE_ACTION": "hangup"})
            return
        await self.journal.voicemail(path + ".wav", rec.endpos / 8000, rec.ended_by, effect.skill)
        await self.journal.step(M.Step("voicemail", cur.node, detail={"path": path + ".wav", "ended_by": rec.ended_by}))
        if rec.ended_by == "hangup":
            raise CallerHungUp("hung up after leaving a message")
        await self._set({"HOTLINE_ACTION": "voicemail"})
        await self.channel.stream(effect.thanks_prompt, "")


def ami_node_of(settings: Any, peer: Any) -> str:
    """The AMI node name of the Asterisk that opened this FastAGI connection (matched by host; else the first)."""
    nodes = list(getattr(settings, "ami_nodes", None) or [])
    if not nodes:
        return "node1"
    host = peer[0] if isinstance(peer, (tuple, list)) and peer else None
    return next((n.name for n in nodes if n.host == host), nodes[0].name)


async def serve_call(kernel: Any, flow: Flow, request: AgiRequest, clock: Callable[[], datetime],
                     placer: Placer | None = None, durations: dict[str, float] | None = None) -> list[M.Step]:
    """A FastAGI route: one run of `flow` for this request; returns the recorded steps."""
    info = call_info(request.headers)
    channel = AgiChannel(request, durations=durations)
    linkedid = info.uniqueid
    if info.script == "callback-ivr":
        # An originated leg belongs to the call that asked for it; an inbound caller's linkedid is its uniqueid.
        try:
            linkedid = (await channel.get_var("CHANNEL(linkedid)")) or info.uniqueid
        except (CallerHungUp, AgiClosed):
            pass
    ami_node = ami_node_of(kernel.settings, request.writer.get_extra_info("peername"))
    journal = CallJournal(kernel, CallIds(linkedid or "unknown", info.uniqueid or "unknown", info.script,
                                          info.caller_number, ami_node), clock)
    facts = call_facts(kernel.directory, info, clock(), routing_state(kernel.services.get("routing")))
    walk = FlowCall(kernel, flow, channel, info, journal, placer or placer_for(kernel), clock, node=ami_node)
    await walk.run(facts)
    return journal.steps
