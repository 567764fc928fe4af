"""Thin AMI actions: each a free function taking the link first; every value is checked in `send`.

Names follow Asterisk 22's manager actions (see /work/shared/asterisk-reference/ami-actions.json).
"""
from __future__ import annotations

from collections.abc import Mapping

from routing.results import AmiResult, AmiSender
from routing.safety import AmiValueError, ami_value, ami_variable


def _opt(action: dict[str, object], key: str, value: object) -> None:
    if value is not None:
        action[key] = value


async def queue_add(ami: AmiSender, *, queue: str, interface: str, member_name: str | None = None,
                    penalty: int = 0, paused: bool = False, reason: str | None = None,
                    state_interface: str | None = None) -> AmiResult:
    """QueueAdd a dynamic member (optionally paused with a reason, e.g. 培训)."""
    action: dict[str, object] = {"Action": "QueueAdd", "Queue": queue, "Interface": interface,
                                 "Penalty": int(penalty), "Paused": bool(paused)}
    _opt(action, "MemberName", member_name)
    _opt(action, "StateInterface", state_interface)
    if paused:
        _opt(action, "Reason", reason)
    return await ami.send(action)


async def queue_remove(ami: AmiSender, *, queue: str, interface: str) -> AmiResult:
    """QueueRemove a dynamic member."""
    return await ami.send({"Action": "QueueRemove", "Queue": queue, "Interface": interface})


async def queue_pause(ami: AmiSender, *, interface: str, paused: bool, queue: str | None = None,
                      reason: str | None = None) -> AmiResult:
    """QueuePause/unpause a member in one queue or (queue=None) in all its queues."""
    action: dict[str, object] = {"Action": "QueuePause", "Interface": interface, "Paused": bool(paused)}
    _opt(action, "Queue", queue)
    _opt(action, "Reason", reason)
    return await ami.send(action)


async def queue_penalty(ami: AmiSender, *, interface: str, penalty: int, queue: str | None = None) -> AmiResult:
    """QueuePenalty: change a member's penalty (in one queue or all)."""
    if int(penalty) < 0:
        raise AmiValueError(f"penalty must be >= 0, got {penalty}")
    action: dict[str, object] = {"Action": "QueuePenalty", "Interface": interface, "Penalty": int(penalty)}
    _opt(action, "Queue", queue)
    return await ami.send(action)


def redirect_action(*, channel: str, context: str, exten: str, priority: int = 1,
                    extra_channel: str | None = None, extra_context: str | None = None,
                    extra_exten: str | None = None, extra_priority: int | None = None) -> dict[str, object]:
    """The Redirect action as a dict (for `link.submit`, which writes it at once)."""
    action: dict[str, object] = {"Action": "Redirect", "Channel": channel, "Context": context,
                                 "Exten": exten, "Priority": int(priority)}
    _opt(action, "ExtraChannel", extra_channel)
    _opt(action, "ExtraContext", extra_context)
    _opt(action, "ExtraExten", extra_exten)
    _opt(action, "ExtraPriority", None if extra_priority is None else int(extra_priority))
    return action


async def redirect(ami: AmiSender, *, channel: str, context: str, exten: str, priority: int = 1,
                   extra_channel: str | None = None, extra_context: str | None = None,
                   extra_exten: str | None = None, extra_priority: int | None = None) -> AmiResult:
    """Redirect a channel (and optionally a second one) to a dialplan location."""
    return await ami.send(redirect_action(channel=channel, context=context, exten=exten, priority=priority,
                                          extra_channel=extra_channel, extra_context=extra_context,
                                          extra_exten=extra_exten, extra_priority=extra_priority))


async def setvar(ami: AmiSender, *, channel: str, variable: str, value: str) -> AmiResult:
    """Setvar on a channel."""
    ami_variable(variable, value)
    return await ami.send({"Action": "Setvar", "Channel": channel, "Variable": variable, "Value": value})


async def getvar(ami: AmiSender, *, channel: str, variable: str) -> str | None:
    """Getvar: the value, or None when Asterisk reports it unset."""
    ami_variable(variable, "")
    result = await ami.send({"Action": "Getvar", "Channel": channel, "Variable": variable})
    value = result.response.get("Value")
    return None if value in (None, "(null)") else value


async def originate(ami: AmiSender, *, channel: str, context: str | None = None, exten: str | None = None,
                    priority: int = 1, application: str | None = None, data: str | None = None,
                    caller_id: str | None = None, timeout_ms: int = 30000,
                    variables: Mapping[str, object] | None = None, account: str | None = None,
                    action_id: str | None = None) -> AmiResult:
    """Async Originate; the outcome arrives later as `OriginateResponse` with the same ActionID."""
    if (application is None) == (exten is None):
        raise AmiValueError("originate needs either context/exten or application, not both")
    action: dict[str, object] = {"Action": "Originate", "Channel": channel, "Timeout": int(timeout_ms),
                                 "Async": True}
    if application is not None:
        action["Application"] = application
        _opt(action, "Data", data)
    else:
        action.update({"Context": context or "default", "Exten": exten, "Priority": int(priority)})
    _opt(action, "CallerID", caller_id)
    _opt(action, "Account", account)
    _opt(action, "ActionID", action_id)
    if variables:
        action["Variable"] = [ami_variable(k, v) for k, v in variables.items()]
    return await ami.send(action)


async def hangup(ami: AmiSender, *, channel: str, cause: int = 16) -> AmiResult:
    """Hangup a channel with a Q.850 cause (16 = normal clearing)."""
    return await ami.send({"Action": "Hangup", "Channel": channel, "Cause": int(cause)})


async def mixmonitor(ami: AmiSender, *, channel: str, file: str, options: str = "") -> AmiResult:
    """Start MixMonitor on a channel (options such as `r(in.wav)t(out.wav)`)."""
    action: dict[str, object] = {"Action": "MixMonitor", "Channel": channel, "File": file}
    if options:
        action["Options"] = options
    return await ami.send(action)


async def stop_mixmonitor(ami: AmiSender, *, channel: str) -> AmiResult:
    """StopMixMonitor on a channel (the files are finished then)."""
    return await ami.send({"Action": "StopMixMonitor", "Channel": channel})


async def blind_transfer(ami: AmiSender, *, channel: str, context: str, exten: str) -> AmiResult:
    """BlindTransfer the channel's bridge peer to context/exten (e.g. the 12345 hand-off)."""
    return await ami.send({"Action": "BlindTransfer", "Channel": channel, "Context": context, "Exten": exten})


async def atxfer(ami: AmiSender, *, channel: str, exten: str, context: str | None = None) -> AmiResult:
    """Atxfer: start an attended transfer (needs Queue/Dial option t on the channel's side)."""
    action: dict[str, object] = {"Action": "Atxfer", "Channel": channel, "Exten": exten}
    _opt(action, "Context", context)
    return await ami.send(action)


async def ping(ami: AmiSender) -> AmiResult:
    """Ping (keepalive; also the yardstick for decision-to-action latency)."""
    return await ami.send({"Action": "Ping"})


__all__ = ["queue_add", "queue_remove", "queue_pause", "queue_penalty", "redirect", "setvar", "getvar",
           "originate", "hangup", "mixmonitor", "stop_mixmonitor", "blind_transfer", "atxfer", "ping",
           "ami_value"]
