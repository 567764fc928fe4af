"""Synthetic monitoring: dial the hotline every N minutes; raise an alarm when the IVR does not
answer or does not greet (silence detection on the recorded audio).

`judge(result, rules, now)` is pure; `probe_once` and `probe_loop` do the calling and publishing.
Bus topics: `alarm.raised` / `alarm.cleared` with `{kind: "ivr.probe", key, severity, message, at, reason,
target, ...}` (the same keys as the other alarms, so the same key clears what it raised).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from datetime import datetime, timezone
from typing import Any, Callable

from integrations.sip.caller import CallResult, CallScript, SipCaller, SipTarget, voiced_seconds

log = logging.getLogger(__name__)
ALARM_KIND = "ivr.probe"


@dataclass(frozen=True)
class ProbeRules:
    """When a probe call counts as healthy."""

    max_setup_seconds: float = 10.0
    min_voiced_seconds: float = 1.0
    threshold_dbfs: float = -40.0


@dataclass(frozen=True)
class ProbeOutcome:
    """One probe's verdict (plain data, published with the alarm)."""

    ok: bool
    reason: str                  # ok | not-placed | no-answer | rejected | slow-answer | no-greeting
    message: str
    target: str
    at: str
    failure: int | None = None
    setup_seconds: float | None = None
    voiced_seconds: float = 0.0


def judge(result: CallResult, rules: ProbeRules, target: str, now: datetime) -> ProbeOutcome:
    """Decide whether the hotline answered and greeted."""
    at = now.astimezone(timezone.utc).isoformat()
    if not result.answered and result.error:
        return ProbeOutcome(False, "not-placed", f"探测呼叫无法发起: {result.error}", target, at)
    if not result.answered:
        reason = "rejected" if result.failure else "no-answer"
        text = (f"12348 热线拒接探测呼叫 (SIP {result.failure})" if result.failure
                else "12348 热线未应答探测呼叫 (no answer)")
        return ProbeOutcome(False, reason, text, target, at, failure=result.failure)
    voiced = voiced_seconds(result.audio, rules.threshold_dbfs)
    common = dict(target=target, at=at, setup_seconds=result.setup_seconds, voiced_seconds=voiced)
    if result.setup_seconds is not None and result.setup_seconds > rules.max_setup_seconds:
        return ProbeOutcome(False, "slow-answer", f"12348 热线应答过慢 ({result.setup_seconds:.1f} s)", **common)
    if voiced < rules.min_voiced_seconds:
        return ProbeOutcome(False, "no-greeting", f"12348 热线已接通但无欢迎语 (有声 {voiced:.1f} s)", **common)
    return ProbeOutcome(True, "ok", "12348 热线探测正常", **common)


def alarm_payload(outcome: ProbeOutcome) -> dict[str, Any]:
    """The `alarm.raised` / `alarm.cleared` payload (kind/key/severity/message/at like the other alarms)."""
    return {"kind": ALARM_KIND, "key": f"{ALARM_KIND}:{outcome.target}", "source": "sip-probe",
            "severity": "critical" if not outcome.ok else "info", **asdict(outcome)}


Publish = Callable[[str, dict[str, Any]], None]


async def probe_once(caller: SipCaller, script: CallScript, rules: ProbeRules, publish: Publish | None,
                     now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                     save_to: Path | None = None) -> ProbeOutcome:
    """Place one probe call; on failure publish `alarm.raised` and log an error."""
    target = f"sip:{script.number}@{caller.target.host}:{caller.target.port}"
    try:
        result = await caller.arun(script)
    except OSError as exc:
        result = CallResult(answered=False, error=str(exc))
    if save_to is not None:
        result.save_wav(save_to)
    outcome = judge(result, rules, target, now())
    if not outcome.ok:
        log.error("12348 probe alarm: %s (%s)", outcome.message, outcome.reason)
        if publish is not None:
            publish("alarm.raised", alarm_payload(outcome))
    else:
        log.info("12348 probe ok: answered in %.2f s, %.1f s of greeting", outcome.setup_seconds or 0,
                 outcome.voiced_seconds)
    return outcome


async def probe_loop(caller: SipCaller, script: CallScript, rules: ProbeRules, publish: Publish | None,
                     interval_seconds: float, stop: asyncio.Event | None = None,
                     on_outcome: Callable[[ProbeOutcome], None] | None = None) -> None:
    """Probe every `interval_seconds`; raise once per failure streak, clear when healthy again."""
    stop = stop or asyncio.Event()
    failing = False
    while not stop.is_set():
        outcome = await probe_once(caller, script, rules, publish if not failing else None)
        if on_outcome is not None:
            on_outcome(outcome)
        if outcome.ok and failing and publish is not None:
            publish("alarm.cleared", alarm_payload(outcome))
        failing = not outcome.ok
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except asyncio.TimeoutError:
            pass


def target_from(spec: str, **kw: Any) -> SipTarget:
    """`host[:port]` → SipTarget."""
    host, _, port = spec.rpartition(":") if spec.count(":") == 1 else (spec, "", "")
    return SipTarget(host=host or spec, port=int(port) if port else 5060, **kw)
