"""质检 (quality checks): rule sets scoring one call's merged timeline, and review sampling. Pure functions."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from recordings.transcripts import Segment

_NOT_WORD = re.compile(r"[\s\W_]+", re.UNICODE)


def squash(text: str) -> str:
    """Text without spaces or punctuation, lower-cased: how ASR output and rule phrases are compared."""
    return _NOT_WORD.sub("", text).lower()


@dataclass(frozen=True)
class RuleSet:
    """What a good 12348 call sounds like, and what each miss costs (points off 100)."""

    name: str = "default"
    # ASR writes digits either way, so each phrase lists its spoken variants.
    opening: tuple[str, ...] = ("您好，12348", "您好，幺二三四八", "您好，一二三四八")
    opening_window_s: float = 15.0
    closing: tuple[str, ...] = ("感谢您的来电", "感谢来电", "再见", "请对我的服务进行评价")
    closing_window_s: float = 30.0
    forbidden: tuple[str, ...] = ("保证胜诉", "肯定能赢", "包赢", "包打赢", "一定能赢", "找关系", "你懂不懂", "笨蛋")
    max_silence_s: float = 10.0
    max_talkover_s: float = 3.0
    penalty: dict[str, int] = field(default_factory=lambda: {
        "opening": 20, "closing": 10, "forbidden": 30, "silence": 10, "talkover": 10})
    pass_score: int = 80

    @classmethod
    def from_dict(cls, data: dict) -> "RuleSet":
        """Build from a YAML/JSON mapping (unknown keys are an error, lists become tuples)."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"质检规则未知字段 (unknown rule keys): {sorted(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@dataclass(frozen=True)
class Finding:
    """One rule the call broke."""

    rule: str
    penalty: int
    detail: str
    at: float | None = None


@dataclass(frozen=True)
class QaResult:
    """The score of one call and why."""

    score: int
    passed: bool
    findings: tuple[Finding, ...]


def _said(segments: list[Segment], phrases: tuple[str, ...]) -> bool:
    text = squash("".join(s.text for s in segments))
    return any(squash(p) in text for p in phrases)


def _speech_gaps(timeline: list[Segment], duration: float) -> list[tuple[float, float]]:
    """Stretches with nobody speaking, from the answer to the last word."""
    spans = sorted((w["start"], w["end"]) for s in timeline for w in s.words)
    gaps, cursor = [], 0.0
    for start, end in spans:
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if not spans and duration > 0:
        gaps.append((0.0, duration))
    return gaps


def _overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Total seconds where a word of `a` and a word of `b` are spoken at once (two-pointer sweep)."""
    a, b = sorted(a), sorted(b)
    i = j = 0
    total = 0.0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        total += max(0.0, hi - lo)
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _phrase_findings(timeline: list[Segment], rules: RuleSet) -> list[Finding]:
    seat = [s for s in timeline if s.leg == "out"]
    out = []
    if not _said([s for s in seat if s.start <= rules.opening_window_s], rules.opening):
        out.append(Finding("opening", rules.penalty["opening"], f"未使用规范开场白（如“{rules.opening[0]}…”）"))
    last = max((s.end for s in seat), default=0.0)
    if not _said([s for s in seat if s.end >= last - rules.closing_window_s], rules.closing):
        out.append(Finding("closing", rules.penalty["closing"], f"未使用规范结束语（如“{rules.closing[0]}”）"))
    for s in seat:
        for word in rules.forbidden:
            if squash(word) in squash(s.text):
                out.append(Finding("forbidden", rules.penalty["forbidden"], f"使用禁语或违规承诺：“{word}”", s.start))
    return out


def _timing_findings(timeline: list[Segment], duration: float, rules: RuleSet) -> list[Finding]:
    out = []
    for start, end in _speech_gaps(timeline, duration):
        if end - start > rules.max_silence_s:
            out.append(Finding("silence", rules.penalty["silence"], f"长时间静音 {end - start:.1f} 秒", start))
    words = {leg: [(w["start"], w["end"]) for s in timeline if s.leg == leg for w in s.words] for leg in ("in", "out")}
    talkover = _overlap(words["in"], words["out"])
    if talkover > rules.max_talkover_s:
        out.append(Finding("talkover", rules.penalty["talkover"], f"抢话/同时说话共 {talkover:.1f} 秒"))
    return out


def score_call(timeline: list[Segment], duration: float, rules: RuleSet | None = None) -> QaResult:
    """Score a call (100 minus penalties, floored at 0) from its merged timeline."""
    rules = rules or RuleSet()
    findings = tuple(_phrase_findings(timeline, rules) + _timing_findings(timeline, duration, rules))
    score = max(0, 100 - sum(f.penalty for f in findings))
    return QaResult(score, score >= rules.pass_score, findings)


def should_sample(scored_before: int, sampled_before: int, draw: float, *, rate: float = 0.05,
                  failed: bool = False) -> bool:
    """Pick a call for human review: every failed call, a random `rate` share, and never fewer than `rate` overall."""
    if failed or draw < rate:
        return True
    return sampled_before < math.ceil(rate * (scored_before + 1))
