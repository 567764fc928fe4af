"""Directory field models: each value that may end up in a config file or on an AMI/AGI line is
checked here, at load time (the cross-checks between them live in `hotline.directory`)."""
from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Callable, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

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


def _matching(pattern: re.Pattern[str], rule: str) -> Callable[[str], str]:
    """A field check: the whole value matches `pattern`, else ValueError "<rule>: <value>"."""
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{rule}: {value!r}")
        return value
    return check


check_region_code = _matching(REGION_CODE, "region code must be 6 digits (GB/T 2260)")
check_identifier = _matching(IDENT, "identifier must be lower-case ASCII [a-z0-9_.-]")
check_extension = _matching(EXTENSION, "extension must be 3-8 digits")
check_area_code = _matching(re.compile(r"0\d{2,3}"), "area code must look like 0371")
check_ivr_digit = _matching(re.compile(r"[0-9]"), "IVR digit must be one digit 0-9")
check_number = _matching(re.compile(r"\d{3,16}"), "number must be 3-16 digits")
# a hostname, IPv4/IPv6 address or CIDR as pjsip.conf accepts it (nothing else gets through)
check_host = _matching(HOST, "must be a host name, IP address or CIDR")

SafeText = Annotated[str, AfterValidator(safe_text)]
RegionCode = Annotated[str, AfterValidator(check_region_code)]
Ident = Annotated[str, AfterValidator(check_identifier)]
Extension = Annotated[str, AfterValidator(check_extension)]
IvrDigit = Annotated[str, AfterValidator(check_ivr_digit)]
Host = Annotated[str, AfterValidator(check_host)]


def _each(check: Callable[[str], str]) -> Callable[[list[str]], list[str]]:
    """A list field check: every item passes `check`; the first that does not is reported at the list."""
    return lambda values: [check(v) for v in values]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Region(_Model):
    code: RegionCode
    name: SafeText
    area_codes: Annotated[list[str], AfterValidator(_each(check_area_code))] = []


class Province(_Model):
    code: RegionCode
    name: SafeText
    short: SafeText = ""


class Category(_Model):
    id: Ident
    name: SafeText
    ivr_digit: IvrDigit | None = None
    due_days: int = Field(3, gt=0, le=90)


class Skill(_Model):
    id: Ident
    name: SafeText
    ivr_digit: IvrDigit
    categories: list[Category]


class Center(_Model):
    code: RegionCode
    name: SafeText
    level: Literal["province", "prefecture"]
    skills: list[str]


class Seat(_Model):
    extension: Extension
    name: SafeText
    center: str
    skills: dict[str, int]
    languages: Annotated[list[str], AfterValidator(_each(check_identifier))] = ["zh"]

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
    extension: Extension
    name: SafeText
    center: str


class CarrierTrunk(_Model):
    name: Ident
    match: Annotated[list[str], AfterValidator(_each(check_host))]
    dids: dict[str, str | None]


class Gov12345Trunk(_Model):
    name: Ident
    host: Host
    port: int = Field(5060, ge=1, le=65535)
    number: Annotated[str, AfterValidator(check_number)]


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
    name: SafeText

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
