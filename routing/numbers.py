"""The one adapter over the number-attribution libraries (phonenumbers, phone); each fix is tested.

Fixes:
1. phonenumbers' Chinese geocoder answers only "中国" for newer mobile segments (166, 17x, 19x …):
   `segment_region()` asks the `phone` segment database then.
2. `phone.Phone()` reads its 4 MB file on every construction and `find()` raises AssertionError on a
   short or long number: one shared instance, and numbers are checked before the lookup.
3. `phone` has no way to list its segments: `iter_segments()` walks the data file (used to measure coverage).
4. Carriers deliver numbers as +86…, 0086…, 86… or with a trunk 0 before a mobile number:
   `normalize()` gives the national number.
"""
from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from functools import lru_cache

import phonenumbers
from phonenumbers import geocoder

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize(number: str) -> str:
    """National significant digits of a Chinese number ('' if there are none)."""
    digits = re.sub(r"\D", "", number or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            digits = digits[len(prefix):]
            break
    if digits.startswith("0") and _MOBILE.match(digits[1:]):
        digits = digits[1:]
    return digits


def is_mobile(number: str) -> bool:
    return bool(_MOBILE.match(number))


@lru_cache(maxsize=1)
def _phone_db():
    from phone import Phone

    return Phone()


def geocode(number: str) -> str:
    """phonenumbers' Chinese description ('河南省郑州市', '中国', or '')."""
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return ""
    return geocoder.description_for_number(parsed, "zh") or ""


def segment_region(number: str) -> dict | None:
    """The `phone` database's record for a mobile number's 7-digit segment, or None."""
    if not is_mobile(number):
        return None
    return _phone_db().find(number[:7])


def iter_segments() -> Iterator[tuple[str, str, str, str]]:
    """Every (segment, province, city, area code) in the `phone` data file."""
    db = _phone_db()
    buf, size = db.buf, db.phone_fmt_length
    for i in range(db.phone_record_count):
        off = db.first_phone_record_offset + i * size
        segment, record_offset, _kind = struct.unpack(db.phone_fmt, buf[off:off + size])
        end = buf.find(b"\x00", record_offset)
        province, city, _zip, area = buf[record_offset:end].decode().split("|")
        yield str(segment), province, city, area
