"""Directory field models: each value that may end up in a config file or on an AMI/AGI line is
checked here, at load time (the cross-checks between them live in `hotline.directory`)."""
from __future__ import annotations

import re
from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

REGION_CODE = re.compile(r"^\d{6}$")
IDENT = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
EXTENSION = re.compile(r"^\d{3,8}$")
HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(/\d{1,3})?|[0-9A-Fa-f:]{2,39}(/\d{1,3})?")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f;\[\]]")
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
