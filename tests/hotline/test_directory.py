"""Directory data: the shipped file is valid, cross-checks catch inconsistencies, and values that
would break a rendered config file or an AMI/AGI line are refused at load time, naming the field."""
from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from hotline.directory import DirectoryError, load_directory
from hotline.settings import ROOT

SHIPPED = ROOT / "hotline" / "data" / "directory.yaml"


_SHIPPED_RAW = yaml.load(SHIPPED.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _raw() -> dict:
    return copy.deepcopy(_SHIPPED_RAW)


def _load(tmp_path: Path, raw: dict):
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.dump(raw, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True), encoding="utf-8")
    return load_directory(path)


def _refused(tmp_path: Path, raw: dict) -> str:
    with pytest.raises(DirectoryError) as info:
        _load(tmp_path, raw)
    return str(info.value)


def test_shipped_directory_covers_henan_and_its_prefecture_level_cities(directory):
    assert directory.province.code == "410000"
    codes = {p.code for p in directory.prefectures}
    assert len(codes) == 18 and {"410100", "411700", "419001"} <= codes
    assert directory.province_center.code == "410000"
    assert "q-410100-consult" in directory.queue_names()
    assert {s.id for s in directory.skills} == {"consult", "aid", "mediation", "guide", "complaint"}
    assert directory.category("consult.labor").name == "劳动争议"


def test_queue_members_follow_center_and_skills(directory):
    assert [s.extension for s in directory.queue_members("q-410100-consult")] == ["1001", "1002", "1007"]
    assert [s.extension for s in directory.queue_members("q-410100-complaint")] == ["1007"]
    assert directory.seat("1001").penalty("aid") == 1


def test_calendar_knows_holidays_and_make_up_working_days(directory):
    tz = timezone.utc
    assert not directory.is_service_day(datetime(2026, 10, 2, tzinfo=tz).date())  # 国庆节
    assert directory.is_service_day(datetime(2026, 10, 10, tzinfo=tz).date())  # 调休 Saturday
    assert directory.is_service_day(datetime(2026, 11, 28, tzinfo=tz).date())  # an ordinary Saturday: weekend hours
    assert not directory.is_business_day(datetime(2026, 11, 28, tzinfo=tz).date())  # … but not a 工作日
    assert directory.is_business_day(datetime(2026, 10, 10, tzinfo=tz).date())
    assert not directory.is_business_day(datetime(2026, 10, 5, tzinfo=tz).date())  # 国庆节 Monday
    assert directory.is_open(datetime(2026, 3, 2, 2, 0, tzinfo=tz))  # Monday 10:00 in Asia/Shanghai
    assert not directory.is_open(datetime(2026, 3, 2, 4, 30, tzinfo=tz))  # 12:30 lunch break
    assert not directory.is_open(datetime(2026, 10, 2, 2, 0, tzinfo=tz))


@pytest.mark.parametrize(("mutate", "names"), [
    (lambda d: d["seats"][0].update(center="410999"), "seats.1001.center"),
    (lambda d: next(s for s in d["seats"] if s["extension"] == "1041")["skills"].update(complaint=1), "seats.1041.skills"),
    (lambda d: d["centers"][2].update(skills=["consult", "tarot"]), "centers.410200.skills"),
    (lambda d: d["centers"].append({**d["centers"][1]}), "centers: duplicate"),
    (lambda d: d["seats"].append({**d["seats"][0]}), "seats: duplicate"),
    (lambda d: d["skills"][1].update(ivr_digit="1"), "skills.ivr_digit: duplicate"),
    (lambda d: d["hours"].update(duty_seats=["7777"]), "hours.duty_seats"),
    (lambda d: d["trunks"]["carrier"]["dids"].update({"037112349": "510100"}), "trunks.carrier.dids.037112349"),
    (lambda d: d["trunks"]["carrier"]["dids"].update({"12348x": None}), "trunks.carrier.dids"),
    (lambda d: [c.update(level="prefecture") for c in d["centers"]], "no provincial center"),
    (lambda d: d["centers"].append({"code": "420100", "name": "x", "level": "prefecture", "skills": []}), "centers.420100"),
    (lambda d: d["supervisor_phones"][0].update(center="000000"), "supervisor_phones.9001.center"),
    (lambda d: d["skills"][0]["categories"][1].update(ivr_digit="1"), "skills.consult.categories.ivr_digit"),
])
def test_cross_checks_name_the_inconsistent_field(tmp_path, mutate, names):
    raw = _raw()
    mutate(raw)
    assert names in _refused(tmp_path, raw)


@pytest.mark.parametrize(("mutate", "location"), [
    (lambda d: d["prefectures"][0].update(name="郑州市\n[globals]"), "prefectures.0.name"),
    (lambda d: d["centers"][0].update(name="中心;注释"), "centers.0.name"),
    (lambda d: d["seats"][0].update(name="坐席[1001]"), "seats.0.name"),
    (lambda d: d["skills"][0].update(id="咨询"), "skills.0.id"),
    (lambda d: d["skills"][0].update(id="consult\r"), "skills.0.id"),
    (lambda d: d["skills"][0]["categories"][0].update(id="consult;marriage"), "skills.0.categories.0.id"),
    (lambda d: d["seats"][0].update(extension="10a1"), "seats.0.extension"),
    (lambda d: d["seats"][0].update(extension="1001\n"), "seats.0.extension"),
    (lambda d: d["province"].update(code="41000"), "province.code"),
    (lambda d: d["prefectures"][0].update(area_codes=["371"]), "prefectures.0.area_codes"),
    (lambda d: d["hours"]["weekly"].update(mon=["18:00-08:30"]), "hours.weekly"),
    (lambda d: d["hours"]["weekly"].update(funday=["09:00-10:00"]), "hours.weekly"),
    (lambda d: d["hours"].update(timezone="Mars/Olympus"), "hours.timezone"),
    (lambda d: d["holidays"]["closed"][0].update({"to": "2025-12-01"}), "holidays.closed.0"),
    (lambda d: d["seats"][0]["skills"].update(consult=9), "seats.0.skills"),
    (lambda d: d.update(unexpected=1), "unexpected"),
    (lambda d: d["trunks"]["gov12345"].update(host="127.0.0.1\nallow=all"), "trunks.gov12345.host"),
    (lambda d: d["trunks"]["gov12345"].update(number="12345;"), "trunks.gov12345.number"),
    (lambda d: d["trunks"]["carrier"].update(name="Carrier Trunk"), "trunks.carrier.name"),
    (lambda d: d["trunks"]["carrier"].update(match=["10.0.0.0/8", "1.2.3.4 ; x"]), "trunks.carrier.match"),
    (lambda d: d["skills"][0]["categories"][0].update(ivr_digit="12"), "skills.0.categories.0.ivr_digit"),
    (lambda d: d["holidays"]["closed"][0].update(name="元旦\n"), "holidays.closed.0.name"),
    (lambda d: d["seats"][0].update(languages=["zh", "粤语"]), "seats.0.languages"),
])
def test_values_that_would_break_config_files_are_refused(tmp_path, mutate, location):
    raw = _raw()
    mutate(raw)
    message = _refused(tmp_path, raw)
    assert location in message, message


def test_unreadable_or_non_mapping_files_are_reported_with_the_path(tmp_path):
    bad = tmp_path / "directory.yaml"
    bad.write_text("province: [unclosed", encoding="utf-8")
    with pytest.raises(DirectoryError, match="cannot read directory file"):
        load_directory(bad)
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match="must be a mapping"):
        load_directory(bad)
    with pytest.raises(DirectoryError, match="missing.yaml"):
        load_directory(tmp_path / "missing.yaml")
