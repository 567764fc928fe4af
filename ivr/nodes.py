"""Node types of the IVR flow format: what each node does, where it may go, which prompts it plays."""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
PROMPT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
VAR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
DIGITS = "0123456789*#"
SCRIPTS = ("ivr", "after-queue", "survey", "callback-ivr")
ACTIONS = ("queue", "voicemail", "callback", "hangup")


class FlowError(ValueError):
    """The flow file is unreadable or invalid; the message names the node or field."""


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    note: str = ""

    def targets(self) -> dict[str, str]:
        """Outgoing edges: label → node id."""
        return {}

    def prompts_used(self) -> list[str]:
        """Prompt ids this node plays."""
        return []


def _check_prompt(v: str | None) -> str | None:
    if v is not None and not PROMPT_ID.match(v):
        raise ValueError(f"prompt id must be [a-z0-9_-]: {v!r}")
    return v


def _prompt_field(cls, v: str | None) -> str | None:
    return _check_prompt(v)


class Play(_Node):
    """Play one or more prompts; a digit pressed during them is kept for a following menu."""

    type: Literal["play"]
    prompts: list[str] = Field(min_length=1)
    next: str
    interruptible: bool = True

    @field_validator("prompts")
    @classmethod
    def _p(cls, v: list[str]) -> list[str]:
        return [_check_prompt(p) for p in v]

    def targets(self) -> dict[str, str]:
        return {"next": self.next}

    def prompts_used(self) -> list[str]:
        return list(self.prompts)


class Catalogue(BaseModel):
    """Generate choices from the directory: the skills (main menu) or one skill's categories."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    skills: bool = False
    categories_of: str | None = None
    priority: int = Field(0, ge=0, le=100)
    route_prompt: str | None = "transfer-seat"

    _pc = field_validator("route_prompt")(_prompt_field)


class Menu(_Node):
    """Play a prompt, read one key, branch; invalid keys and silence re-prompt, then fall back."""

    type: Literal["menu"]
    prompt: str
    choices: dict[str, str] = {}
    catalogue: Catalogue | None = None
    timeout: float = Field(5.0, gt=0, le=60)
    retries: int = Field(2, ge=0, le=5)
    invalid_prompt: str | None = "invalid"
    timeout_prompt: str | None = "no-input"
    fallback: str

    _pc = field_validator("prompt", "invalid_prompt", "timeout_prompt")(_prompt_field)

    @field_validator("choices")
    @classmethod
    def _keys(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if len(key) != 1 or key not in DIGITS:
                raise ValueError(f"choice key must be one of {DIGITS}: {key!r}")
        return v

    def targets(self) -> dict[str, str]:
        out = {f"choice {k}": t for k, t in self.choices.items()}
        out["fallback"] = self.fallback
        return out

    def prompts_used(self) -> list[str]:
        return [p for p in (self.prompt, self.invalid_prompt, self.timeout_prompt) if p]


class Collect(_Node):
    """Read several digits into a variable (e.g. a callback number), optionally read back for confirmation."""

    type: Literal["collect"]
    prompt: str
    var: str
    min_digits: int = Field(1, ge=1, le=32)
    max_digits: int = Field(11, ge=1, le=32)
    pattern: str | None = None
    timeout: float = Field(8.0, gt=0, le=60)
    retries: int = Field(2, ge=0, le=5)
    invalid_prompt: str | None = "invalid"
    confirm_prompt: str | None = None
    next: str
    fallback: str

    _pc = field_validator("prompt", "invalid_prompt", "confirm_prompt")(_prompt_field)

    @field_validator("var")
    @classmethod
    def _var(cls, v: str) -> str:
        if not VAR_NAME.match(v):
            raise ValueError(f"variable name must be [A-Za-z][A-Za-z0-9_]*: {v!r}")
        return v

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        if v is not None:
            re.compile(v)
        return v

    @model_validator(mode="after")
    def _range(self) -> "Collect":
        if self.min_digits > self.max_digits:
            raise ValueError("min_digits is greater than max_digits")
        return self

    def targets(self) -> dict[str, str]:
        return {"next": self.next, "fallback": self.fallback}

    def prompts_used(self) -> list[str]:
        return [p for p in (self.prompt, self.invalid_prompt, self.confirm_prompt) if p]


OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "startswith", "set")


class Test(BaseModel):
    """One comparison on a fact: `{fact: hours.open, eq: false}`; facts are dotted paths."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fact: str
    eq: Any = None
    ne: Any = None
    lt: float | None = None
    le: float | None = None
    gt: float | None = None
    ge: float | None = None
    in_: list[Any] | None = Field(None, alias="in")
    startswith: str | None = None
    set: bool | None = None

    @model_validator(mode="after")
    def _one_op(self) -> "Test":
        given = [op for op in OPS if op in self.model_fields_set or (op == "in" and "in_" in self.model_fields_set)]
        if len(given) != 1:
            raise ValueError(f"test on {self.fact!r} needs exactly one of {', '.join(OPS)}")
        return self

    @property
    def op(self) -> str:
        return next(op for op in OPS if op in self.model_fields_set or (op == "in" and "in_" in self.model_fields_set))

    @property
    def operand(self) -> Any:
        return self.in_ if self.op == "in" else getattr(self, self.op)


class Branch(BaseModel):
    """All tests true → go to `goto`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    tests: list[Test] = Field(alias="if", min_length=1)
    goto: str


class Condition(_Node):
    """First branch whose tests all hold wins; otherwise `else`."""

    type: Literal["condition"]
    branches: list[Branch] = Field(min_length=1)
    else_: str = Field(alias="else")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def targets(self) -> dict[str, str]:
        out = {f"branch {i + 1}": b.goto for i, b in enumerate(self.branches)}
        out["else"] = self.else_
        return out


class SetVars(_Node):
    """Set flow variables (strings); `{caller.number}`-style references are filled from facts."""

    type: Literal["set"]
    vars: dict[str, str] = Field(min_length=1)
    next: str

    @field_validator("vars")
    @classmethod
    def _names(cls, v: dict[str, str]) -> dict[str, str]:
        for k in v:
            Collect._var.__func__(cls, k)
        return v

    def targets(self) -> dict[str, str]:
        return {"next": self.next}


class Goto(_Node):
    """Jump to another node."""

    type: Literal["goto"]
    target: str

    def targets(self) -> dict[str, str]:
        return {"target": self.target}


class ReadChannel(_Node):
    """Read channel variables (e.g. QUEUESTATUS) into facts `channel.<NAME>`."""

    type: Literal["read"]
    variables: list[str] = Field(min_length=1)
    next: str

    @field_validator("variables")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for k in v:
            Collect._var.__func__(cls, k)
        return v

    def targets(self) -> dict[str, str]:
        return {"next": self.next}


class Route(_Node):
    """Hand the call to routing: queue it by skill/category/priority (terminal)."""

    type: Literal["route"]
    skill: str | None = None
    skill_from: str | None = None
    category: str | None = None
    priority: int = Field(0, ge=0, le=100)
    green: bool = False
    green_reason: Literal["elderly", "disabled", "migrant_wage", "urgent"] | None = None
    duty: bool = False
    prompt: str | None = None

    _pc = field_validator("prompt")(_prompt_field)

    @model_validator(mode="after")
    def _skill(self) -> "Route":
        if not self.skill and not self.skill_from:
            raise ValueError("route needs `skill` (or `skill_from` with `skill` as default)")
        return self

    def prompts_used(self) -> list[str]:
        return [self.prompt] if self.prompt else []


class Callback(_Node):
    """Register a queue-callback request for `number_var` (or the caller's number); terminal."""

    type: Literal["callback"]
    number_var: str | None = None
    skill: str | None = None
    prompt: str
    fallback: str | None = None

    _pc = field_validator("prompt")(_prompt_field)

    def targets(self) -> dict[str, str]:
        return {"fallback": self.fallback} if self.fallback else {}

    def prompts_used(self) -> list[str]:
        return [self.prompt]


class Voicemail(_Node):
    """Record a message (留言) after a prompt and a beep, then thank the caller; terminal."""

    type: Literal["voicemail"]
    prompt: str
    thanks_prompt: str
    max_seconds: int = Field(120, ge=5, le=600)
    silence_seconds: int = Field(5, ge=1, le=30)
    skill: str | None = None

    _pc = field_validator("prompt", "thanks_prompt")(_prompt_field)

    def prompts_used(self) -> list[str]:
        return [self.prompt, self.thanks_prompt]


class Survey(_Node):
    """Satisfaction survey: one key 1–5; a score ≤ `unsatisfied_max` marks the call 不满意; terminal."""

    type: Literal["survey"]
    prompt: str
    thanks_prompt: str
    invalid_prompt: str | None = "invalid"
    timeout: float = Field(6.0, gt=0, le=60)
    retries: int = Field(1, ge=0, le=5)
    unsatisfied_max: int = Field(2, ge=1, le=4)

    _pc = field_validator("prompt", "thanks_prompt", "invalid_prompt")(_prompt_field)

    def prompts_used(self) -> list[str]:
        return [p for p in (self.prompt, self.thanks_prompt, self.invalid_prompt) if p]


class Hangup(_Node):
    """Optionally play a goodbye, then end the call; terminal."""

    type: Literal["hangup"]
    prompt: str | None = None

    _pc = field_validator("prompt")(_prompt_field)

    def prompts_used(self) -> list[str]:
        return [self.prompt] if self.prompt else []


Node = Annotated[
    Union[Play, Menu, Collect, Condition, SetVars, Goto, ReadChannel, Route, Callback, Voicemail, Survey, Hangup],
    Field(discriminator="type"),
]
TERMINAL = (Route, Callback, Voicemail, Survey, Hangup)
