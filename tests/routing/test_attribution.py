"""Caller prefecture: DID, area code, phonenumbers, the segment database, unknown → provincial."""
import pytest

from routing import numbers
from routing.attribution import Attributor, henan_segments


@pytest.fixture(scope="module")
def attributor(directory):
    return Attributor(directory)


@pytest.mark.parametrize("number,did,code,source", [
    ("13800138000", "037912348", "410300", "did"),           # the DID wins over the number
    ("13800138000", "12348", None, "out_of_province"),        # 12348 alone names no prefecture; Beijing mobile
    ("037163211234", None, "410100", "area_code"),
    ("0377-6321 1234", None, "411300", "area_code"),
    ("13803710000", None, "410100", "phonenumbers"),
    ("15290000000", None, "411600", "phonenumbers"),          # 周口
    ("16637100000", None, "410100", "phone"),                 # phonenumbers says only 中国
    ("+86 199 3710 0000", None, "410100", "phone"),
    ("013937900000", None, "410300", "phonenumbers"),         # trunk 0 before a mobile number
    ("02061234567", None, None, "out_of_province"),           # Guangzhou fixed line
    ("anonymous", None, None, "unknown"),
    ("", None, None, "unknown"),
    ("12345", None, None, "unknown"),
])
def test_attribution_table(attributor, number, did, code, source):
    got = attributor.attribute(number, did)
    assert (got.prefecture_code, got.source) == (code, source)


def test_normalize_strips_country_code_and_trunk_zero():
    assert numbers.normalize("+86 138-0013-8000") == "13800138000"
    assert numbers.normalize("008613800138000") == "13800138000"
    assert numbers.normalize("013800138000") == "13800138000"
    assert numbers.normalize("037163211234") == "037163211234"


def test_segment_lookup_refuses_what_the_library_would_assert_on():
    assert numbers.segment_region("123") is None
    assert numbers.segment_region("1380013800012345") is None
    assert numbers.segment_region("16637100000")["city"] == "郑州"


def test_segment_database_fills_the_phonenumbers_gap_on_henan_segments(attributor):
    sample = henan_segments()[::25]
    assert len(sample) > 1000
    cov = attributor.coverage(sample)
    assert cov["phonenumbers"] < 0.7  # the gap the issue describes
    assert cov["with_phone"] > 0.95
    assert cov["with_phone"] - cov["phonenumbers"] > 0.25
