"""Pydantic schemas: what seats send to create or change a ticket, and the ticket exchange format."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator

EXCHANGE_VERSION = "1.0"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")
_LINKEDID = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
_REF = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def one_line(value: str) -> str:
    """Refuse control characters and line breaks (text that may reach a log line or a channel variable)."""
    if _CONTROL_OR_NEWLINE.search(value):
        raise ValueError("不能包含控制字符或换行 (control characters or line breaks are not allowed)")
    return value.strip()


def multi_line(value: str) -> str:
    """Refuse control characters other than line breaks and tabs."""
    if _CONTROL.search(value):
        raise ValueError("不能包含控制字符 (control characters are not allowed)")
    return value


def dialable_number(value: str) -> str:
    """A Chinese mobile or fixed-line number the dialer may call, as national digits (e.g. 13800138000)."""
    raw = value.strip()
    if not re.fullmatch(r"\+?[0-9 -]{5,24}", raw):
        raise ValueError(f"号码格式不正确 (not a phone number): {value!r}")
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"号码格式不正确 (not a phone number): {value!r}") from exc
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"不是有效的中国大陆号码 (not a valid mainland China number): {value!r}")
    national = str(parsed.national_number)
    kind = phonenumbers.number_type(parsed)
    mobile = kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE) \
        and national.startswith("1")
    return national if mobile else "0" + national


class TicketCreate(BaseModel):
    """A new 工单, typed by a seat or pre-filled from a call."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category_id: str = Field(..., min_length=1, max_length=40, description="Catalogue category id, e.g. consult.labor")
    summary: str = Field(..., min_length=2, max_length=200, description="诉求摘要 (one line)")
    detail: str = Field("", max_length=20000, description="诉求详情")
    caller_number: str = Field("", max_length=32, description="来电号码 as received (may be empty for walk-ins)")
    caller_name: str = Field("", max_length=64, description="来电人姓名")
    linkedid: str | None = Field(None, description="Asterisk linkedid of the call the ticket came from")
    prefecture_code: str | None = Field(None, pattern=r"^\d{6}$", description="Caller's prefecture (GB/T 2260)")
    center_code: str | None = Field(None, pattern=r"^\d{6}$", description="Handling center; defaults to the seat's")
    green: bool = Field(False, description="绿色通道 (priority caller)")
    ivr_path: str = Field("", max_length=64, description="IVR choices, e.g. 1-2")
    external_ref: str | None = Field(None, description="Ticket id at 12345 for hand-offs received from 12345")

    _one = field_validator("summary", "caller_name", "ivr_path")(lambda v: one_line(v))
    _multi = field_validator("detail")(lambda v: multi_line(v))

    @field_validator("caller_number")
    @classmethod
    def _number(cls, v: str) -> str:
        if v and not re.fullmatch(r"\+?[0-9*#-]{1,32}", v):
            raise ValueError(f"来电号码只能包含数字 (caller number must be digits): {v!r}")
        return v

    @field_validator("linkedid")
    @classmethod
    def _linkedid(cls, v: str | None) -> str | None:
        if v is not None and not _LINKEDID.match(v):
            raise ValueError(f"linkedid 格式不正确: {v!r}")
        return v

    @field_validator("external_ref")
    @classmethod
    def _ref(cls, v: str | None) -> str | None:
        if v is not None and not _REF.match(v):
            raise ValueError(f"外部工单号格式不正确 (bad external ticket id): {v!r}")
        return v


class StatusChange(BaseModel):
    """Move a ticket to another status (with the reply when closing)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["accepted", "processing", "closed", "revisited"]
    reply: str | None = Field(None, max_length=20000, description="答复 (required when closing)")
    note: str = Field("", max_length=2000)

    _multi = field_validator("reply", "note")(lambda v: v if v is None else multi_line(v))


class HandoffRequest(BaseModel):
    """Hand a ticket to a back-office unit (后台分别办理)."""

    model_config = ConfigDict(extra="forbid")

    unit: Literal["legal_aid", "mediation", "notary_forensic", "gov12345"]
    note: str = Field("", max_length=2000)
    channel: str | None = Field(None, pattern=r"^[A-Za-z0-9/_.@;:-]{3,80}$",
                                description="Caller channel to blind-transfer (转12345 during a call)")

    _multi = field_validator("note")(lambda v: multi_line(v))


class TicketListItem(BaseModel):
    """One row of the ticket list (GET /api/tickets): the ticket without its long texts (详情, 答复),
    which `GET /api/tickets/{id|number}` returns with the history."""

    id: int
    number: str | None
    source: str
    linkedid: str | None
    status: Literal["accepted", "processing", "closed", "revisited"]
    status_label: str
    category_id: str
    category_name: str
    skill: str
    center_code: str
    prefecture_code: str | None
    caller_number: str
    caller_name: str
    summary: str
    green: bool
    ivr_path: str
    handoff_unit: str | None
    handoff_label: str | None
    external_ref: str | None
    owner: str
    owner_seat: str | None
    satisfaction: int | None
    unsatisfied: bool
    version: int
    created_at: datetime
    updated_at: datetime
    due_at: datetime
    closed_at: datetime | None


class Category(BaseModel):
    """工单类别 from the 12348 service catalogue."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(..., description="Catalogue id, e.g. consult.labor")
    name: str = Field(..., description="Display name, e.g. 劳动争议")


class Caller(BaseModel):
    """来电人."""

    model_config = ConfigDict(extra="forbid")
    number: str = Field(..., description="Number as received (may be empty)")
    name: str = Field(..., description="Name given by the caller or the carrier")


class Handoff(BaseModel):
    """转办: the back-office unit handling the ticket (后台分别办理)."""

    model_config = ConfigDict(extra="forbid")
    unit: Literal["legal_aid", "mediation", "notary_forensic", "gov12345"] = Field(
        ..., description="legal_aid 转法律援助, mediation 转人民调解, notary_forensic 转公证鉴定, gov12345 转12345")
    label: str = Field(..., description="zh-CN label of the unit")
    external_ref: str | None = Field(None, description="The other party's ticket id (e.g. 12345 工单号)")


class ExchangeEvent(BaseModel):
    """The change this document reports."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["created", "status", "handoff", "updated", "satisfaction"] = Field(
        ..., description="created 新建, status 状态变更, handoff 转办, updated 其他更新, satisfaction 满意度")
    at: datetime = Field(..., description="When the change was made (ISO-8601, UTC)")
    actor: str = Field(..., description="Who made it (user name, or system/platform/gov12345/survey)")


class TicketExchange(BaseModel):
    """One ticket change as sent to the 12348 platform and 12345: the project's ticket data standard."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "$id": "https://hotline12348.example/schema/ticket-exchange.schema.json",
            "title": "12348 工单交换格式 (ticket exchange format)",
        },
    )

    schema_version: Literal["1.0"] = EXCHANGE_VERSION
    number: str = Field(..., pattern=r"^GD\d{8}\d{6}$", description="工单编号 GD<yyyymmdd><6-digit id>")
    seq: int = Field(..., ge=1, description="Change number of this ticket; the receiver applies seq n only after n-1")
    source: Literal["call", "manual", "gov12345"] = Field(
        ..., description="call 来电生成, manual 手工录入, gov12345 12345转来")
    status: Literal["accepted", "processing", "closed", "revisited"] = Field(
        ..., description="accepted 已受理 → processing 办理中 → closed 已办结 → revisited 已回访")
    status_label: Literal["已受理", "办理中", "已办结", "已回访"] = Field(..., description="zh-CN label of status")
    category: Category
    skill: str = Field(..., description="Service line (consult 法律咨询, aid 法律援助, mediation 人民调解, …)")
    center_code: str = Field(..., pattern=r"^\d{6}$", description="Handling 12348 center (GB/T 2260 code)")
    prefecture_code: str | None = Field(None, pattern=r"^\d{6}$", description="Caller's prefecture (地市)")
    caller: Caller
    linkedid: str | None = Field(None, description="Asterisk linkedid of the call the ticket came from")
    summary: str = Field(..., description="诉求摘要")
    detail: str = Field(..., description="诉求详情")
    reply: str = Field(..., description="答复 (办理结果)")
    green: bool = Field(..., description="绿色通道 caller (elderly, disabled, migrant worker wage claims …)")
    handoff: Handoff | None = Field(None, description="转办 details when the ticket was handed to a back-office unit")
    satisfaction: int | None = Field(None, ge=1, le=5, description="回访满意度 1 (不满意) … 5 (非常满意)")
    created_at: datetime = Field(..., description="受理时间")
    updated_at: datetime = Field(..., description="Time of this change")
    due_at: datetime = Field(..., description="限时办结 deadline (working days of the category)")
    closed_at: datetime | None = Field(None, description="办结时间")
    event: ExchangeEvent


class PlatformStatus(BaseModel):
    """A status callback from the 12348 platform or 12345 (signed webhook)."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(..., pattern=r"^GD\d{14}$", description="Our ticket number")
    status: Literal["processing", "closed"]
    reply: str = Field("", max_length=20000)
    external_ref: str | None = None
    event_id: str = Field(..., min_length=1, max_length=64)

    _multi = field_validator("reply")(lambda v: multi_line(v))
    _ref = field_validator("external_ref")(TicketCreate._ref.__func__)


class Gov12345Handoff(BaseModel):
    """A request 12345 hands to 12348 (their ticket id, the citizen, the matter)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_ref: str = Field(..., description="12345 工单号")
    summary: str = Field(..., min_length=2, max_length=200)
    detail: str = Field("", max_length=20000)
    caller_number: str = Field("", max_length=32)
    caller_name: str = Field("", max_length=64)
    category_id: str = Field("consult.other", max_length=40, description="Our category if 12345 knows it")
    prefecture_code: str | None = Field(None, pattern=r"^\d{6}$")

    _one = field_validator("summary", "caller_name")(lambda v: one_line(v))
    _multi = field_validator("detail")(lambda v: multi_line(v))
    _ref = field_validator("external_ref")(TicketCreate._ref.__func__)
    _number = field_validator("caller_number")(TicketCreate._number.__func__)


# ---- the error bodies the integrations routes answer (published in the OpenAPI schema) -------------------
class FieldProblem(BaseModel):
    """One bad field of a refused body."""

    field: str
    message: str


class Refusal(BaseModel):
    """Why a request was refused: a zh-CN message, and the bad fields of an invalid body."""

    message: str
    reason: str | None = None
    errors: list[FieldProblem] | None = None


class FrameworkProblem(BaseModel):
    """FastAPI's own validation item (query and path parameters)."""

    model_config = ConfigDict(extra="allow")
    loc: list[str | int]
    msg: str
    type: str


class RefusedResponse(BaseModel):
    """`detail` is a Refusal from the route's own checks, or FastAPI's list for a bad query/path parameter."""

    detail: Refusal | list[FrameworkProblem]


REFUSED = {422: {"model": RefusedResponse, "description": "请求被拒绝 (refused: invalid data or a ticket rule)"}}
