"""What the flow interpreter asks the runner to do (effects), what came back (outcomes), and the steps recorded."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALL_KEYS = "0123456789*#"


# ---- effects (what the runner does next) -------------------------------------------------
@dataclass(frozen=True)
class Play:
    """Stream prompts; a key pressed stops them (outcome: Heard)."""

    prompts: tuple[str, ...]
    escape: str = ALL_KEYS


@dataclass(frozen=True)
class Ask:
    """Play a prompt and read up to `max_digits` keys (outcome: Input)."""

    prompt: str
    timeout_ms: int
    max_digits: int


@dataclass(frozen=True)
class SayDigits:
    """Read a number back digit by digit (outcome: Heard)."""

    digits: str


@dataclass(frozen=True)
class ReadVars:
    """Read channel variables (outcome: Values)."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    """Terminal: hand the call to routing."""

    skill: str
    category: str | None
    priority: int
    duty: bool
    prompt: str | None
    green: bool = False
    green_reason: str | None = None


@dataclass(frozen=True)
class RegisterCallback:
    """Terminal: store a callback request for `number`."""

    number: str
    skill: str | None
    prompt: str


@dataclass(frozen=True)
class TakeMessage:
    """Terminal: record a 留言."""

    prompt: str
    thanks_prompt: str
    max_seconds: int
    silence_seconds: int
    skill: str | None


@dataclass(frozen=True)
class Scored:
    """Terminal: the survey's answer (`score` None when the caller gave none)."""

    score: int | None
    unsatisfied: bool
    thanks_prompt: str | None


@dataclass(frozen=True)
class End:
    """Terminal: play an optional goodbye and hang up."""

    prompt: str | None
    reason: str = "flow"


TERMINAL_EFFECTS = (Place, RegisterCallback, TakeMessage, Scored, End)


# ---- outcomes (what the runner saw) ------------------------------------------------------
@dataclass(frozen=True)
class Heard:
    """Outcome of Play/SayDigits: the key that interrupted it, if any."""

    digit: str | None = None


@dataclass(frozen=True)
class Input:
    """Outcome of Ask: the keys read and whether input ended by timeout."""

    digits: str
    timed_out: bool = False


@dataclass(frozen=True)
class Values:
    """Outcome of ReadVars: channel variable values."""

    values: dict[str, str]


@dataclass(frozen=True)
class Step:
    """One recorded step of the caller's path."""

    kind: str
    node: str
    digits: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
