"""Directory data (regions, centers, skills, seats, hours, holidays), loaded and validated.

The same data feeds routing, seats, the IVR and the rendered Asterisk configuration, so every value
that may end up in a config file or on an AMI/AGI line is checked at load time (field checks in
`hotline.directory_models`, cross-checks here).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError, model_validator

from hotline.directory_models import (  # noqa: F401 - re-exported: packages import them from here
    EXTENSION, IDENT, REGION_CODE, WEEKDAYS, CarrierTrunk, Category, Center, DirectoryError, Gov12345Trunk,
    HolidaySpan,
    Holidays, Hours, Province, Region, RoutingRules, Seat, Skill, SupervisorPhone, Trunks, _Model, safe_text,
)

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: ~10x faster


class Directory(_Model):
    """The whole directory, cross-checked."""

    province: Province
    prefectures: list[Region]
    centers: list[Center]
    skills: list[Skill]
    seats: list[Seat]
    supervisor_phones: list[SupervisorPhone] = []
    trunks: Trunks
    hours: Hours
    holidays: Holidays = Holidays()
    routing: RoutingRules = RoutingRules()

    @model_validator(mode="after")
    def _cross_check(self) -> "Directory":
        region_codes = {self.province.code} | {p.code for p in self.prefectures}
        skill_ids = {s.id for s in self.skills}
        _unique("prefectures", [p.code for p in self.prefectures])
        _unique("centers", [c.code for c in self.centers])
        _unique("skills", [s.id for s in self.skills])
        _unique("skills.ivr_digit", [s.ivr_digit for s in self.skills])
        _unique("categories", [c.id for s in self.skills for c in s.categories])
        for s in self.skills:
            _unique(f"skills.{s.id}.categories.ivr_digit", [c.ivr_digit for c in s.categories if c.ivr_digit])
        _unique("seats", [s.extension for s in self.seats] + [p.extension for p in self.supervisor_phones])
        centers = {c.code: c for c in self.centers}
        if not any(c.level == "province" for c in self.centers):
            raise ValueError("centers: no provincial center (level: province)")
        for c in self.centers:
            if c.code not in region_codes:
                raise ValueError(f"centers.{c.code}: not a known region code")
            for s in c.skills:
                if s not in skill_ids:
                    raise ValueError(f"centers.{c.code}.skills: unknown skill {s!r}")
        for seat in self.seats:
            if seat.center not in centers:
                raise ValueError(f"seats.{seat.extension}.center: unknown center {seat.center!r}")
            for s in seat.skills:
                if s not in centers[seat.center].skills:
                    raise ValueError(f"seats.{seat.extension}.skills: center {seat.center} has no queue for {s!r}")
        for p in self.supervisor_phones:
            if p.center not in centers:
                raise ValueError(f"supervisor_phones.{p.extension}.center: unknown center {p.center!r}")
        for did, code in self.trunks.carrier.dids.items():
            if not re.fullmatch(r"\d{3,16}", did):
                raise ValueError(f"trunks.carrier.dids: DID must be digits: {did!r}")
            if code is not None and code not in region_codes:
                raise ValueError(f"trunks.carrier.dids.{did}: unknown region {code!r}")
        seat_exts = {s.extension for s in self.seats}
        for ext in self.hours.duty_seats:
            if ext not in seat_exts:
                raise ValueError(f"hours.duty_seats: unknown seat {ext!r}")
        return self

    # ---- lookups -------------------------------------------------------------------------
    @cached_property
    def province_center(self) -> Center:
        return next(c for c in self.centers if c.level == "province")

    def center(self, code: str) -> Center | None:
        return next((c for c in self.centers if c.code == code), None)

    def region_name(self, code: str) -> str | None:
        if code == self.province.code:
            return self.province.name
        return next((p.name for p in self.prefectures if p.code == code), None)

    def skill(self, skill_id: str) -> Skill | None:
        return next((s for s in self.skills if s.id == skill_id), None)

    def category(self, category_id: str) -> Category | None:
        return next((c for s in self.skills for c in s.categories if c.id == category_id), None)

    def seat(self, extension: str) -> Seat | None:
        return next((s for s in self.seats if s.extension == extension), None)

    @staticmethod
    def queue_name(center_code: str, skill_id: str) -> str:
        """Asterisk queue for a center and skill, e.g. q-410100-consult."""
        return f"q-{center_code}-{skill_id}"

    def queue_names(self) -> list[str]:
        return [self.queue_name(c.code, s) for c in self.centers for s in c.skills]

    def queue_members(self, queue: str) -> list[Seat]:
        """Seats whose center and skills make them members of `queue`."""
        _, center, skill = queue.split("-", 2)
        return [s for s in self.seats if s.center == center and skill in s.skills]

    def area_code_map(self) -> dict[str, str]:
        """Fixed-line area code → prefecture code (first listed wins)."""
        out: dict[str, str] = {}
        for p in self.prefectures:
            for a in p.area_codes:
                out.setdefault(a, p.code)
        return out

    # ---- calendar ------------------------------------------------------------------------
    def is_service_day(self, day: date) -> bool:
        """The hotline keeps its weekly hours on this day: not a public holiday (or a 调休 working day).
        Ordinary weekends are service days (the hotline answers on weekends where `hours` says so)."""
        if day in self.holidays.working:
            return True
        return not any(h.start <= day <= h.end for h in self.holidays.closed)

    def is_business_day(self, day: date) -> bool:
        """工作日 for legal time limits (限时办结): Monday–Friday unless a public holiday, plus 调休 weekend days."""
        if day in self.holidays.working:
            return True
        return day.weekday() < 5 and self.is_service_day(day)

    def is_open(self, when: datetime) -> bool:
        """True when `when` falls in business hours (holidays closed, 调休 days open as weekdays)."""
        local = when.astimezone(ZoneInfo(self.hours.timezone)) if when.tzinfo else when
        day = local.date()
        if not self.is_service_day(day):
            return False
        key = WEEKDAYS[local.weekday()]
        if day in self.holidays.working and key in ("sat", "sun"):
            key = "mon"
        for span in self.hours.weekly.get(key, []):
            start, end = span.split("-")
            if start <= local.strftime("%H:%M") < end:
                return True
        return False


def _unique(field: str, values: list[str]) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{field}: duplicate {v!r}")
        seen.add(v)


def load_directory(path: Path | str) -> Directory:
    """Load and validate a directory file; raise DirectoryError naming the bad field."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise DirectoryError(f"{path}: cannot read directory file: {exc}") from exc
    if not isinstance(raw, dict):
        raise DirectoryError(f"{path}: directory file must be a mapping")
    try:
        return Directory.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  {loc}: {err['msg']}")
        raise DirectoryError(f"{path}: invalid directory data\n" + "\n".join(lines)) from exc
