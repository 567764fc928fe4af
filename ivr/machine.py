"""The flow interpreter as pure decisions: cursor + facts → effect; effect outcome → cursor + step.

Nothing here touches a socket, a database or a clock: the FastAGI runner performs the effects and
feeds their outcomes back, so every path through a flow can be table-tested as plain data.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any

from ivr import flow as F
from ivr.effects import (  # noqa: F401  (re-exported: the machine's vocabulary)
    ALL_KEYS, TERMINAL_EFFECTS, Ask, End, Heard, Input, Place, Play, ReadVars, RegisterCallback, SayDigits, Scored,
    Step, TakeMessage, Values,
)

log = logging.getLogger(__name__)
MISSING = object()


@dataclass(frozen=True)
class Cursor:
    """Where the caller is: node, phase within it, failed tries, flow and channel variables."""

    node: str
    phase: str = "enter"
    tries: int = 0
    steps: int = 0
    pending: str | None = None
    candidate: str = ""
    error_prompt: str | None = None
    vars: dict[str, str] = field(default_factory=dict)
    channel: dict[str, str] = field(default_factory=dict)


def start(flow: F.Flow, script: str) -> Cursor | None:
    """The cursor at the script's entry, None when the flow has no entry for it."""
    nid = flow.entries.get(script)
    return Cursor(node=nid) if nid in flow.nodes else None


def goto(cur: Cursor, node: str) -> Cursor:
    """The cursor entering `node` (tries reset, one more step)."""
    return replace(cur, node=node, phase="enter", tries=0, candidate="", error_prompt=None, steps=cur.steps + 1)


# ---- facts and tests ----------------------------------------------------------------------
def lookup(facts: dict[str, Any], path: str) -> Any:
    """A dotted fact (`queue.consult.waiting`), MISSING when any part is absent."""
    cur: Any = facts
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return MISSING
        cur = cur[part]
    return cur


def holds(test: F.Test, facts: dict[str, Any]) -> bool:
    """Evaluate one test; a missing fact satisfies nothing but `set: false`."""
    value, op, want = lookup(facts, test.fact), test.op, test.operand
    if op == "set":
        return (value is not MISSING and value not in (None, "")) == want
    if value is MISSING:
        return False
    try:
        if op == "eq":
            return value == want or str(value) == str(want)
        if op == "ne":
            return not (value == want or str(value) == str(want))
        if op == "in":
            return value in want or str(value) in [str(w) for w in want]
        if op == "startswith":
            return str(value).startswith(want)
        return {"lt": float(value) < want, "le": float(value) <= want,
                "gt": float(value) > want, "ge": float(value) >= want}[op]
    except (TypeError, ValueError):
        return False


def with_call(facts: dict[str, Any], cur: Cursor) -> dict[str, Any]:
    """Script facts plus this call's flow and channel variables."""
    return {**facts, "vars": cur.vars, "channel": {**facts.get("channel", {}), **cur.channel}}


def fill(template: str, facts: dict[str, Any]) -> str:
    """`{caller.number}` references replaced by facts (missing → empty)."""
    def sub(m: re.Match) -> str:
        v = lookup(facts, m[1])
        return "" if v is MISSING or v is None else str(v)
    return re.sub(r"\{([a-zA-Z0-9_.]+)\}", sub, template)


# ---- choosing the next effect ------------------------------------------------------------
def next_effect(flow: F.Flow, cur: Cursor, facts: dict[str, Any]) -> tuple[Cursor, Any, list[Step]]:
    """Follow silent nodes (condition/set/goto) to the next effect; enforce the step limit."""
    steps: list[Step] = []
    for _ in range(flow.max_steps + 1):
        if cur.steps >= flow.max_steps:
            return _limit(flow, cur, facts, steps)
        node = flow.nodes[cur.node]
        f = with_call(facts, cur)
        if isinstance(node, F.Condition):
            target = next((b.goto for b in node.branches if all(holds(t, f) for t in b.tests)), node.else_)
            steps.append(Step("condition", cur.node, detail={"goto": target}))
            cur = goto(cur, target)
        elif isinstance(node, F.SetVars):
            steps.append(Step("set", cur.node))
            cur = goto(replace(cur, vars={**cur.vars, **{k: fill(v, f) for k, v in node.vars.items()}}), node.next)
        elif isinstance(node, F.Goto):
            cur = goto(cur, node.target)
        elif isinstance(node, F.Callback) and effect_of(node, cur, f) is None:
            steps.append(Step("callback-no-number", cur.node))
            if node.fallback is None:
                return cur, End(prompt=None, reason="no callback number"), steps
            cur = goto(cur, node.fallback)
        else:
            return cur, effect_of(node, cur, f), steps
    return _limit(flow, cur, facts, steps)


def _limit(flow: F.Flow, cur: Cursor, facts: dict[str, Any], steps: list[Step]) -> tuple[Cursor, Any, list[Step]]:
    """Too many steps (a caller repeating a menu forever, a spinning flow): go to `on_limit` or end."""
    steps.append(Step("limit", cur.node, detail={"steps": cur.steps}))
    node = flow.nodes.get(flow.on_limit or "")
    if isinstance(node, F.Route):
        return replace(cur, node=flow.on_limit), effect_of(node, cur, with_call(facts, cur)), steps
    return cur, End(prompt=None, reason="limit"), steps


def effect_of(node: Any, cur: Cursor, facts: dict[str, Any]) -> Any:
    """The effect a node asks for in its current phase."""
    if isinstance(node, F.Play):
        return Play(tuple(node.prompts), ALL_KEYS if node.interruptible else "")
    if isinstance(node, F.Survey) and survey_result(node, cur):
        return survey_result(node, cur)
    if isinstance(node, (F.Menu, F.Survey)):
        if cur.phase == "error" and cur.error_prompt:
            return Play((cur.error_prompt,))
        return Ask(node.prompt, int(node.timeout * 1000), 1)
    if isinstance(node, F.Collect):
        return _collect_effect(node, cur)
    if isinstance(node, F.ReadChannel):
        return ReadVars(tuple(node.variables))
    if isinstance(node, F.Route):
        return Place(_skill(node, facts), node.category, node.priority, node.duty, node.prompt, node.green,
                     node.green_reason)
    if isinstance(node, F.Callback):
        number = _callback_number(node, cur, facts)
        return RegisterCallback(number, node.skill or _channel_skill(facts), node.prompt) if number else None
    if isinstance(node, F.Voicemail):
        return TakeMessage(node.prompt, node.thanks_prompt, node.max_seconds, node.silence_seconds,
                           node.skill or _channel_skill(facts))
    if isinstance(node, F.Hangup):
        return End(node.prompt)
    raise TypeError(f"no effect for node type {type(node).__name__}")


def _collect_effect(node: F.Collect, cur: Cursor) -> Any:
    if cur.phase == "error" and cur.error_prompt:
        return Play((cur.error_prompt,))
    if cur.phase == "readback":
        return SayDigits(cur.candidate)
    if cur.phase == "confirm":
        return Ask(node.confirm_prompt or "", int(node.timeout * 1000), 1)
    return Ask(node.prompt, int(node.timeout * 1000), node.max_digits)


def _channel_skill(facts: dict[str, Any]) -> str | None:
    skill = lookup(facts, "channel.HOTLINE_SKILL")
    known = lookup(facts, "directory.skills")
    if skill is MISSING or not skill or (known is not MISSING and skill not in known):
        return None
    return skill


def _skill(node: F.Route, facts: dict[str, Any]) -> str:
    if node.skill_from:
        value = lookup(facts, f"channel.{node.skill_from}")
        known = lookup(facts, "directory.skills")
        if value is not MISSING and value and (known is MISSING or value in known):
            return value
    return node.skill or "consult"


CALLBACK_NUMBER = re.compile(r"^(1[3-9]\d{9}|0\d{9,11})$")


def _callback_number(node: F.Callback, cur: Cursor, facts: dict[str, Any]) -> str | None:
    number = cur.vars.get(node.number_var, "") if node.number_var else lookup(facts, "caller.number")
    return number if isinstance(number, str) and CALLBACK_NUMBER.match(number) else None


# ---- taking in what the caller did ---------------------------------------------------------
def apply(flow: F.Flow, cur: Cursor, effect: Any, outcome: Any) -> tuple[Cursor, Step]:
    """The cursor after `effect` produced `outcome`, and the step to record."""
    node = flow.nodes[cur.node]
    if isinstance(effect, ReadVars):
        values = {k: v for k, v in outcome.values.items() if k in effect.names}
        return goto(replace(cur, channel={**cur.channel, **values}), node.next), Step("read", cur.node, detail=values)
    if isinstance(node, F.Play):
        digit = outcome.digit if isinstance(outcome, Heard) else None
        # A key pressed during a prompt answers the next question (the runner drops it before anything else).
        return replace(goto(cur, node.next), pending=digit or None), Step("play", cur.node, digit or "", {"prompts": list(effect.prompts)})
    if isinstance(effect, Play):  # an error prompt inside a menu/collect/survey
        cur = replace(cur, phase="ask", error_prompt=None, steps=cur.steps + 1)
        if isinstance(outcome, Heard) and outcome.digit and not isinstance(node, F.Collect):
            return apply(flow, cur, Ask(node.prompt, 0, 1), Input(outcome.digit))
        heard = (outcome.digit or "") if isinstance(outcome, Heard) else ""
        return cur, Step("prompt", cur.node, heard, {"prompt": effect.prompts[0]})
    if isinstance(node, F.Menu):
        return _menu(node, cur, outcome)
    if isinstance(node, F.Collect):
        return _collect(node, cur, effect, outcome)
    if isinstance(node, F.Survey):
        return _survey(node, cur, outcome)
    raise TypeError(f"unexpected outcome {outcome!r} at node {cur.node!r}")


def take_pending(cur: Cursor) -> tuple[Cursor, Input | None]:
    """A key pressed during the previous prompt answers the next menu without asking again."""
    if cur.pending:
        return replace(cur, pending=None), Input(cur.pending)
    return cur, None


def _retry(cur: Cursor, retries: int, prompt: str | None, fallback: str, kind: str, digits: str) -> tuple[Cursor, Step]:
    tries = cur.tries + 1
    if tries > retries:
        return goto(cur, fallback), Step(kind, cur.node, digits, {"fallback": fallback, "tries": tries})
    phase = "error" if prompt else "ask"
    return replace(cur, phase=phase, tries=tries, error_prompt=prompt, steps=cur.steps + 1), Step(kind, cur.node, digits, {"tries": tries})


def _menu(node: F.Menu, cur: Cursor, outcome: Input) -> tuple[Cursor, Step]:
    digits = outcome.digits
    if digits == "":
        return _retry(cur, node.retries, node.timeout_prompt, node.fallback, "timeout", "")
    if len(digits) == 1 and digits in node.choices:
        target = node.choices[digits]
        return goto(cur, target), Step("choice", cur.node, digits, {"goto": target})
    return _retry(cur, node.retries, node.invalid_prompt, node.fallback, "invalid", digits[:32])


def _survey(node: F.Survey, cur: Cursor, outcome: Input) -> tuple[Cursor, Step]:
    digits = outcome.digits
    if len(digits) == 1 and digits in "12345":
        score = int(digits)
        done = replace(cur, phase="scored", candidate=digits, steps=cur.steps + 1)
        return done, Step("score", cur.node, digits, {"score": score, "unsatisfied": score <= node.unsatisfied_max})
    kind = "timeout" if digits == "" else "invalid"
    prompt = None if digits == "" else node.invalid_prompt
    nxt, step = _retry(cur, node.retries, prompt, cur.node, kind, digits[:32])
    if nxt.node == cur.node and nxt.phase == "enter":  # retries exhausted: no score
        return replace(cur, phase="unscored", steps=cur.steps + 1), step
    return nxt, step


def survey_result(node: F.Survey, cur: Cursor) -> Scored | None:
    """The terminal effect once the survey phase is settled, else None."""
    if cur.phase == "scored":
        score = int(cur.candidate)
        return Scored(score, score <= node.unsatisfied_max, node.thanks_prompt)
    if cur.phase == "unscored":
        return Scored(None, False, None)
    return None


def _collect(node: F.Collect, cur: Cursor, effect: Any, outcome: Any) -> tuple[Cursor, Step]:
    if cur.phase == "readback":
        return replace(cur, phase="confirm", steps=cur.steps + 1), Step("readback", cur.node, cur.candidate)
    digits = outcome.digits if isinstance(outcome, Input) else ""
    if cur.phase == "confirm":
        if digits == "1":
            return _accept(node, cur), Step("confirmed", cur.node, "1", {"var": node.var})
        return _retry(replace(cur, candidate=""), node.retries, None if digits == "2" else node.invalid_prompt,
                      node.fallback, "reenter" if digits == "2" else "unconfirmed", digits[:32])
    if digits == "":
        return _retry(cur, node.retries, node.invalid_prompt, node.fallback, "timeout", "")
    if not _valid_number(node, digits):
        return _retry(cur, node.retries, node.invalid_prompt, node.fallback, "invalid", digits[:32])
    if node.confirm_prompt:
        return replace(cur, phase="readback", candidate=digits, steps=cur.steps + 1), Step("digits", cur.node, digits)
    return _accept(node, replace(cur, candidate=digits)), Step("digits", cur.node, digits, {"var": node.var})


def _accept(node: F.Collect, cur: Cursor) -> Cursor:
    return goto(replace(cur, vars={**cur.vars, node.var: cur.candidate}), node.next)


def _valid_number(node: F.Collect, digits: str) -> bool:
    if not digits.isdigit() or not node.min_digits <= len(digits) <= node.max_digits:
        return False
    return node.pattern is None or re.fullmatch(node.pattern, digits) is not None
