"""Field checks of the directory models: each refused value is reported at its field with the same
words, whichever model the field sits in."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from hotline.directory_models import (
    CarrierTrunk, Category, Center, Gov12345Trunk, HolidaySpan, Province, Region, Seat, Skill, SupervisorPhone,
)

CATEGORY = {"id": "consult.labor", "name": "劳动争议", "ivr_digit": "1"}
GOOD = {
    Region: {"code": "410100", "name": "郑州市", "area_codes": ["0371"]},
    Province: {"code": "410000", "name": "河南省", "short": "豫"},
    Category: CATEGORY,
    Skill: {"id": "consult", "name": "法律咨询", "ivr_digit": "1", "categories": [CATEGORY]},
    Center: {"code": "410100", "name": "郑州市中心", "level": "prefecture", "skills": ["consult"]},
    Seat: {"extension": "1001", "name": "坐席一", "center": "410100", "skills": {"consult": 1}, "languages": ["zh"]},
    SupervisorPhone: {"extension": "2001", "name": "班长", "center": "410100"},
    CarrierTrunk: {"name": "carrier", "match": ["10.0.0.0/8", "sbc.example.org"], "dids": {}},
    Gov12345Trunk: {"name": "gov12345", "host": "10.1.2.3", "number": "12345"},
    HolidaySpan: {"from": "2026-10-01", "to": "2026-10-08", "name": "国庆节"},
}
CODE = "region code must be 6 digits (GB/T 2260)"
IDENT = "identifier must be lower-case ASCII [a-z0-9_.-]"
UNSAFE = "contains a control character, ';', '[' or ']'"
DIGIT = "IVR digit must be one digit 0-9"
EXT = "extension must be 3-8 digits"
HOST = "must be a host name, IP address or CIDR"

REFUSED = [
    (Region, "code", "41010", f"{CODE}: '41010'"),
    (Region, "name", "郑州;x", f"{UNSAFE}: '郑州;x'"),
    (Region, "area_codes", ["0371", "371"], "area code must look like 0371: '371'"),
    (Province, "code", "4100001", f"{CODE}: '4100001'"),
    (Province, "name", "河南[", f"{UNSAFE}: '河南['"),
    (Province, "short", "豫\n", f"{UNSAFE}: '豫\\n'"),
    (Category, "id", "Consult", f"{IDENT}: 'Consult'"),
    (Category, "name", "a]", f"{UNSAFE}: 'a]'"),
    (Category, "ivr_digit", "10", f"{DIGIT}: '10'"),
    (Skill, "id", "法律", f"{IDENT}: '法律'"),
    (Skill, "name", "\x07", f"{UNSAFE}: '\\x07'"),
    (Skill, "ivr_digit", "#", f"{DIGIT}: '#'"),
    (Center, "code", "abcdef", f"{CODE}: 'abcdef'"),
    (Center, "name", "x;y", f"{UNSAFE}: 'x;y'"),
    (Seat, "extension", "12", f"{EXT}: '12'"),
    (Seat, "name", "a;", f"{UNSAFE}: 'a;'"),
    (Seat, "languages", ["zh", "ZH", "9x"], f"{IDENT}: 'ZH'"),
    (Seat, "skills", {"consult": 6}, "skill level for 'consult' must be 1..5, got 6"),
    (SupervisorPhone, "extension", "123456789", f"{EXT}: '123456789'"),
    (SupervisorPhone, "name", "[b", f"{UNSAFE}: '[b'"),
    (CarrierTrunk, "name", "Carrier", f"{IDENT}: 'Carrier'"),
    (CarrierTrunk, "match", ["10.0.0.1", "a b"], f"{HOST}: 'a b'"),
    (Gov12345Trunk, "name", "-gov", f"{IDENT}: '-gov'"),
    (Gov12345Trunk, "host", "h;x", f"{HOST}: 'h;x'"),
    (Gov12345Trunk, "number", "12", "number must be 3-16 digits: '12'"),
    (HolidaySpan, "name", "节;", f"{UNSAFE}: '节;'"),
]


@pytest.mark.parametrize("good", GOOD.items(), ids=lambda g: g[0].__name__)
def test_good_values_pass(good):
    model, data = good
    model.model_validate(data)


@pytest.mark.parametrize("model, field, value, message", REFUSED,
                         ids=[f"{m.__name__}.{f}" for m, f, _, _ in REFUSED])
def test_refused_value_is_reported_at_its_field(model, field, value, message):
    with pytest.raises(ValidationError) as info:
        model.model_validate({**GOOD[model], field: value})
    assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [((field,), f"Value error, {message}")]


def test_a_category_without_an_ivr_digit_is_valid():
    assert Category.model_validate({**CATEGORY, "ivr_digit": None}).ivr_digit is None
