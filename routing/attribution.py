"""Which prefecture (地市) a call belongs to: the DID dialled, else the caller number's attribution.

Order: DID (directory `trunks.carrier.dids`) → fixed-line area code (`Directory.area_code_map()`) →
mobile segment via phonenumbers' Chinese geocoder → the `phone` segment database where phonenumbers
knows only "中国" → unknown, which routes to the provincial center.
"""
from __future__ import annotations

from dataclasses import dataclass

from hotline.directory import Directory
from routing import numbers


@dataclass(frozen=True, slots=True)
class Attribution:
    """The prefecture code (None = unknown/out of province) and how it was found."""

    prefecture_code: str | None
    source: str  # did | area_code | phonenumbers | phone | out_of_province | unknown
    place: str = ""


class Attributor:
    """Prefecture lookup bound to one directory (names and area codes precomputed)."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.province = directory.province.name
        self.province_key = self.province.rstrip("省")
        self.area_codes = directory.area_code_map()
        # longest names first so 济源市 is not mistaken for something shorter
        self.names = sorted(((p.name, p.code) for p in directory.prefectures), key=lambda x: -len(x[0]))
        self.dids = directory.trunks.carrier.dids

    def attribute(self, caller_number: str, did: str | None = None) -> Attribution:
        """Prefecture for a call from `caller_number` to `did`."""
        if did and self.dids.get(did):
            return Attribution(self.dids[did], "did", did)
        number = numbers.normalize(caller_number)
        if not number:
            return Attribution(None, "unknown")
        if number.startswith("0"):
            return self._fixed_line(number)
        if numbers.is_mobile(number):
            return self._mobile(number)
        return Attribution(None, "unknown", number)

    def _fixed_line(self, number: str) -> Attribution:
        for length in (4, 3):
            code = self.area_codes.get(number[:length])
            if code:
                return Attribution(code, "area_code", number[:length])
        return Attribution(None, "out_of_province" if len(number) >= 10 else "unknown", number[:4])

    def _mobile(self, number: str) -> Attribution:
        described = numbers.geocode(number)
        if described and described != "中国":
            code = self._by_name(described)
            if code:
                return Attribution(code, "phonenumbers", described)
            if not described.startswith(self.province_key):
                return Attribution(None, "out_of_province", described)
        record = numbers.segment_region(number)
        if record is None:
            return Attribution(None, "unknown", described)
        place = f"{record['province']}{record['city']}"
        if not record["province"].startswith(self.province_key):
            return Attribution(None, "out_of_province", place)
        code = self._by_name(record["city"]) or self.area_codes.get(record["area_code"])
        return Attribution(code, "phone", place) if code else Attribution(None, "unknown", place)

    def _by_name(self, text: str) -> str | None:
        for name, code in self.names:
            if name in text or name.rstrip("市") == text:
                return code
        return None

    def coverage(self, segments: list[str]) -> dict[str, float]:
        """Share of numbers given a prefecture by phonenumbers alone vs with the segment database."""
        alone = both = 0
        for seg in segments:
            number = seg + "0000"
            if self._by_name(numbers.geocode(number)):
                alone += 1
            if self._mobile(number).prefecture_code:
                both += 1
        n = max(1, len(segments))
        return {"numbers": len(segments), "phonenumbers": alone / n, "with_phone": both / n}


def henan_segments(province_key: str = "河南") -> list[str]:
    """Every 7-digit mobile segment the `phone` database places in the province."""
    return [seg for seg, prov, _city, _area in numbers.iter_segments() if prov.startswith(province_key)]
