"""Directory data (regions, centers, skills, seats, hours, holidays), loaded and validated.

The same data feeds routing, seats, the IVR and the rendered Asterisk configuration, so every value
that may end up in a config file or on an AMI/AGI line is checked here, at load time.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

REGION_CODE = re.compile(r"^\d{6}$")
IDENT = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
EXTENSION = re.compile(r"^\d{3,8}$")
HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(/\d{1,3})?|[0-9A-Fa-f:]{2,39}(/\d{1,3})?")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f;\[\]]")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: ~10x faster
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DirectoryError(ValueError):
    """The directory file is unreadable or invalid; the message names the field."""


def safe_text(value: str) -> str:
    """Display text that may reach a config file or AMI line: no control chars, ';', '[' or ']'."""
    if _UNSAFE.search(value):
        raise ValueError(f"contains a control character, ';', '[' or ']': {value!r}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Region(_Model):
    code: str
    name: str
    area_codes: list[str] = []

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not REGION_CODE.fullmatch(v):
            raise ValueError(f"region code must be 6 digits (GB/T 2260): {v!r}")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return safe_text(v)

    @field_validator("area_codes")
    @classmethod
    def _areas(cls, v: list[str]) -> list[str]:
        for a in v:
            if not re.fullmatch(r"0\d{2,3}", a):
                raise ValueError(f"area code must look like 0371: {a!r}")
        return v


class Province(_Model):
    code: str
    name: str
    short: str = ""

    _c = field_validator("code")(Region._code.__func__)
    _n = field_validator("name", "short")(Region._name.__func__)


class Category(_Model):
    id: str
    name: str
    ivr_digit: str | None = None
    due_days: int = Field(3, gt=0, le=90)

    @field_validator("ivr_digit")
    @classmethod
    def _digit(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[0-9]", v):
            raise ValueError(f"IVR digit must be one digit 0-9: {v!r}")
        return v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not IDENT.fullmatch(v):
            raise ValueError(f"identifier must be lower-case ASCII [a-z0-9_.-]: {v!r}")
        return v

    _n = field_validator("name")(Region._name.__func__)


class Skill(_Model):
    id: str
    name: str
    ivr_digit: str
    categories: list[Category]

    _i = field_validator("id")(Category._id.__func__)
    _n = field_validator("name")(Region._name.__func__)

    @field_validator("ivr_digit")
    @classmethod
    def _digit(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9]", v):
            raise ValueError(f"IVR digit must be one digit 0-9: {v!r}")
        return v


class Center(_Model):
    code: str
    name: str
    level: Literal["province", "prefecture"]
    skills: list[str]

    _c = field_validator("code")(Region._code.__func__)
    _n = field_validator("name")(Region._name.__func__)


class Seat(_Model):
    extension: str
    name: str
    center: str
    skills: dict[str, int]
    languages: list[str] = ["zh"]

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        return [Category._id.__func__(cls, lang) for lang in v]

    @field_validator("extension")
    @classmethod
    def _ext(cls, v: str) -> str:
        if not EXTENSION.fullmatch(v):
            raise ValueError(f"extension must be 3-8 digits: {v!r}")
        return v

    _n = field_validator("name")(Region._name.__func__)

    @field_validator("skills")
    @classmethod
    def _levels(cls, v: dict[str, int]) -> dict[str, int]:
        for skill, level in v.items():
            if not 1 <= level <= 5:
                raise ValueError(f"skill level for {skill!r} must be 1..5, got {level}")
        return v

    @property
    def endpoint(self) -> str:
        """PJSIP endpoint name, e.g. seat1001."""
        return f"seat{self.extension}"

    @property
    def interface(self) -> str:
        """Queue member interface, e.g. PJSIP/seat1001."""
        return f"PJSIP/{self.endpoint}"

    def penalty(self, skill: str) -> int:
        """Queue penalty from the skill level (1 → 0 … 5 → 4)."""
        return self.skills[skill] - 1


class SupervisorPhone(_Model):
    extension: str
    name: str
    center: str

    _e = field_validator("extension")(Seat._ext.__func__)
    _n = field_validator("name")(Region._name.__func__)


def _host(value: str) -> str:
    """A hostname, IPv4/IPv6 address or CIDR as pjsip.conf accepts it (nothing else gets through)."""
    if not HOST.fullmatch(value):
        raise ValueError(f"must be a host name, IP address or CIDR: {value!r}")
    return value


class CarrierTrunk(_Model):
    name: str
    match: list[str]
    dids: dict[str, str | None]

    _i = field_validator("name")(Category._id.__func__)

    @field_validator("match")
    @classmethod
    def _match(cls, v: list[str]) -> list[str]:
        return [_host(h) for h in v]


class Gov12345Trunk(_Model):
    name: str
    host: str
    port: int = Field(5060, ge=1, le=65535)
    number: str

    _i = field_validator("name")(Category._id.__func__)

    @field_validator("host")
    @classmethod
    def _h(cls, v: str) -> str:
        return _host(v)

    @field_validator("number")
    @classmethod
    def _number(cls, v: str) -> str:
        if not re.fullmatch(r"\d{3,16}", v):
            raise ValueError(f"number must be 3-16 digits: {v!r}")
        return v


class Trunks(_Model):
    carrier: CarrierTrunk
    gov12345: Gov12345Trunk


class Hours(_Model):
    timezone: str = "Asia/Shanghai"
    weekly: dict[str, list[str]]
    duty_seats: list[str] = []

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, spans in v.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
            for span in spans:
                m = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", span)
                if not m or not (time(int(m[1]), int(m[2])) < time(int(m[3]) % 24, int(m[4]))):
                    raise ValueError(f"{day}: span must be HH:MM-HH:MM with start < end: {span!r}")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r} (e.g. Asia/Shanghai)") from exc
        return v


class HolidaySpan(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    name: str

    _n = field_validator("name")(Region._name.__func__)

    @model_validator(mode="after")
    def _order(self) -> "HolidaySpan":
        if self.end < self.start:
            raise ValueError(f"holiday {self.name}: 'to' is before 'from'")
        return self


class Holidays(_Model):
    closed: list[HolidaySpan] = []
    working: list[date] = []


class RoutingRules(_Model):
    prefecture_max_wait_seconds: int = Field(60, ge=0)
    overflow_after_seconds: int = Field(45, ge=0)
    first_contact_days: int = Field(7, ge=0)
    callback_offer_after_seconds: int = Field(90, ge=0)
    green_channel_priority: int = Field(10, ge=0, le=100)


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
    def is_working_day(self, day: date) -> bool:
        if day in self.holidays.working:
            return True
        if any(h.start <= day <= h.end for h in self.holidays.closed):
            return False
        return True

    def is_open(self, when: datetime) -> bool:
        """True when `when` falls in business hours (holidays closed, 调休 days open as weekdays)."""
        local = when.astimezone(ZoneInfo(self.hours.timezone)) if when.tzinfo else when
        day = local.date()
        if not self.is_working_day(day):
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
