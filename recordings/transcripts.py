"""Pure transcript shaping: Chinese text normalisation, per-leg segments, the merged call timeline."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

# Han ideographs plus CJK punctuation and full-width forms: no space belongs between two of these.
_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# Chinese sets digits without spaces ("拨打12348热线"); Latin words keep theirs.
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}0-9])|(?<=[0-9])\s+(?=[{_CJK}])")
_PUNCT = r"\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
_SPACE_AT_PUNCT = re.compile(rf"\s+(?=[{_PUNCT}])|(?<=[{_PUNCT}])\s+")
_SPACES = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Collapse whitespace; drop spaces between Han characters and around full-width punctuation."""
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_AT_PUNCT.sub("", _SPACE_BETWEEN_CJK.sub("", text))


@dataclass(frozen=True)
class Segment:
    """One utterance on the call timeline."""

    speaker: str
    leg: str
    start: float
    end: float
    text: str
    words: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def leg_segments(leg: str, speaker: str, utterances: list[list[dict]]) -> list[Segment]:
    """Segments of one leg from its utterances (each a list of {word, start, end, conf})."""
    out = []
    for words in utterances:
        if not words:
            continue
        text = normalise_text(" ".join(w["word"] for w in words))
        out.append(Segment(speaker, leg, words[0]["start"], words[-1]["end"], text, list(words)))
    return out


def leg_text(segments: list[Segment]) -> str:
    """The whole text of one leg."""
    return normalise_text(" ".join(s.text for s in segments))


def merge_timeline(*legs: list[Segment]) -> list[Segment]:
    """One timeline from several legs, ordered by start time (the caller first on a tie)."""
    order = {"in": 0, "out": 1}
    return sorted((s for leg in legs for s in leg), key=lambda s: (s.start, order.get(s.leg, 2), s.end))
