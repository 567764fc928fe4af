"""Reports API on the scripted day: numbers equal the hand-computed ones; RBAC, bad input, exports."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hotline.models import AuditLog
from tests.supervisor.conftest import store_day
from tests.supervisor.scripted import CALLS, EVENTS, QA_CHECKED, call
from tests.supervisor.test_metrics import WHOLE, ZHENGZHOU
from tests.http_checks import field_error

DAY = {"from": "2026-11-02", "to": "2026-11-02"}
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def shanghai(records):
    """The scripted day is written in UTC hours 08:00–15:30, i.e. the same Shanghai day; the day
    before's 23:00 UTC event is 07:00 Shanghai on the 2nd, so shift all by −8 h to stay on that day."""
    return [{**r, **{k: r[k] - timedelta(hours=8) for k in ("offered_at", "queued_at", "answered_at", "ended_at",
                                                            "at") if r.get(k)}} for r in records]


@pytest.fixture
async def day(kernel):
    await store_day(kernel, shanghai(CALLS), shanghai(EVENTS), QA_CHECKED)


async def test_province_report_total_equals_hand_computed_numbers(client_for, day):
    r = await client_for("prov").get("/api/supervisor/report", params={**DAY, "group_by": "day"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [row["key"] for row in body["rows"]] == ["2026-11-02"]
    for key, value in WHOLE.items():
        assert body["total"][key] == pytest.approx(value), key
        assert body["rows"][0][key] == pytest.approx(value), key
    # 1001 08:00–09:00 (UTC−8 shift keeps the day) and 1002 from Shanghai midnight to 01:00
    assert body["total"]["occupancy"] == pytest.approx(140 / (3600 + 3600))


async def test_prefecture_supervisor_sees_own_center_numbers(client_for, day):
    body = (await client_for("zz").get("/api/supervisor/report", params={**DAY, "group_by": "center"})).json()
    assert [row["key"] for row in body["rows"]] == ["410100"]
    for key, value in ZHENGZHOU.items():
        assert body["total"][key] == pytest.approx(value), key


async def test_group_by_skill_and_seat(client_for, day):
    body = (await client_for("prov").get("/api/supervisor/report", params={**DAY, "group_by": "skill"})).json()
    rows = {r["key"]: r for r in body["rows"]}
    assert (rows["consult"]["offered"], rows["consult"]["answered"], rows["consult"]["label"]) == (3, 3, "法律咨询")
    assert (rows["aid"]["abandoned"], rows["aid"]["short_abandoned"]) == (1, 1)
    seats = {r["key"]: r for r in (await client_for("prov").get(
        "/api/supervisor/report", params={**DAY, "group_by": "seat"})).json()["rows"]}
    assert seats["1001"]["answered"] == 1 and seats["1001"]["callbacks_placed"] == 1
    assert seats["1001"]["occupancy"] == pytest.approx(140 / 3600) and seats["1001"]["acw_seconds"] == 30


async def test_hourly_report_puts_calls_in_local_hours(client_for, day):
    body = (await client_for("prov").get("/api/supervisor/report", params={**DAY, "group_by": "hour"})).json()
    hours = {r["key"]: r["offered"] for r in body["rows"]}
    assert hours["2026-11-02 08:00"] == 1 and hours["2026-11-02 10:00"] == 2
    assert len(hours) == 24 and hours["2026-11-02 03:00"] == 0  # quiet hours are zeros on a continuous axis


async def test_daily_report_has_a_row_for_each_day_of_the_range(client_for, day):
    body = (await client_for("prov").get("/api/supervisor/report",
                                         params={"from": "2026-11-01", "to": "2026-11-03"})).json()
    assert [(r["key"], r["offered"], r["answer_rate"]) for r in body["rows"]] == [
        ("2026-11-01", 0, None), ("2026-11-02", 7, pytest.approx(4 / 6)), ("2026-11-03", 1, 1.0)]


async def test_other_centers_data_is_refused_and_audited(client_for, kernel, day):
    r = await client_for("zz").get("/api/supervisor/report", params={**DAY, "center": "410300"})
    assert r.status_code == 403 and "无权" in r.json()["detail"]
    r = await client_for("zz").get("/api/supervisor/abandoned", params={**DAY, "queue": "q-410000-consult"})
    assert r.status_code == 403
    async with kernel.sessions() as s:
        rows = list(await s.scalars(select(AuditLog).where(AuditLog.outcome == "denied")))
    assert {(a.actor, a.target_id) for a in rows} == {("zz", "410300"), ("zz", "410000")}


@SQLITE_ONLY
@pytest.mark.parametrize(("params", "param", "needle"), [
    ({"from": "2026-11-05", "to": "2026-11-01"}, "to", "结束日期早于开始日期"),
    ({"from": "2020-01-01", "to": "2026-11-01"}, "from", "不能超过"),
    ({**DAY, "queue": "q-999999-consult"}, "queue", "未知的队列"),
    ({**DAY, "center": "999999"}, "center", "未知的中心"),
    ({**DAY, "group_by": "week"}, "group_by", ""),
    ({"from": "yesterday", "to": "2026-11-01"}, "from", ""),
])
async def test_bad_input_is_a_clear_422_naming_the_parameter(client_for, params, param, needle):
    r = await client_for("prov").get("/api/supervisor/report", params=params)
    assert needle in field_error(r, "query", param)


@SQLITE_ONLY
async def test_seats_may_not_read_reports(client_for):
    assert (await client_for("li").get("/api/supervisor/report", params=DAY)).status_code == 403


async def test_abandoned_list_says_who_was_reached_later(client_for, kernel, day):
    later = call("c-K011", "12:00:00", "answered", [("q-410100-aid", 5)], wait=5, talk=30, skill="aid", seat="1001")
    await store_day(kernel, shanghai([later | {"caller_number": CALLS[3]["caller_number"]}]), [])
    body = (await client_for("prov").get("/api/supervisor/abandoned", params=DAY)).json()
    got = {c["linkedid"]: (c["short"], c["reached_later"]) for c in body["calls"]}
    assert got == {"c-C003": (True, False), "c-D004": (False, True)}
    assert body["to_call_back"] == 1


async def test_csv_and_xlsx_exports_carry_the_same_numbers(client_for, day):
    c = client_for("prov")
    r = await c.get("/api/supervisor/report.csv", params={**DAY, "group_by": "center"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["分组", "呼入(进入队列)", "接通", "放弃"]
    assert rows[-1][0] == "合计" and rows[-1][1:3] == ["7", "4"]
    r = await c.get("/api/supervisor/report.xlsx", params={**DAY, "group_by": "center"})
    wb = load_workbook(io.BytesIO(r.content))
    stats = list(wb["统计"].iter_rows(values_only=True))
    assert stats[-1][:3] == ("合计", 7, 4) and stats[-1][7] == pytest.approx(round(4 / 6, 4))
    assert {row[7] for row in list(wb["放弃来电"].iter_rows(values_only=True))[1:]} == {"c-C003", "c-D004"}


async def test_reports_page_renders_table_chart_and_abandoned(client_for, day):
    r = await client_for("prov").get("/reports", params={**DAY, "group_by": "center"})
    assert r.status_code == 200
    assert "<svg" in r.text and 'id="report-table"' in r.text and "c-D004" in r.text
    bad = await client_for("prov").get("/reports", params={"from": "2026-11-05", "to": "2026-11-01"})
    assert bad.status_code == 422 and "结束日期早于开始日期" in bad.text


async def test_a_supervisor_without_a_center_sees_nothing(client_for, day):
    body = (await client_for("nocenter").get("/api/supervisor/report", params=DAY)).json()
    assert body["total"]["offered"] == 0 and [r["offered"] for r in body["rows"]] == [0]
    assert (await client_for("nocenter").get("/api/supervisor/wallboard")).json()["queues"] == []


async def test_auditor_reads_reports_of_the_whole_province(client_for, day):
    body = (await client_for("audit").get("/api/supervisor/report", params=DAY)).json()
    assert body["total"]["offered"] == WHOLE["offered"]


async def test_revisit_satisfaction_on_a_ticket_counts_for_its_call(client_for, kernel, day):
    from integrations.models import Ticket
    from tests.supervisor.scripted import at

    async with kernel.sessions() as s:
        s.add(Ticket(number="T1", linkedid="c-I009", center_code="410100", category_id="mediation.dispute",
                     skill="mediation", summary="邻里纠纷", satisfaction=4, due_at=at("00:00:00")))
        await s.commit()
    total = (await client_for("prov").get("/api/supervisor/report", params=DAY)).json()["total"]
    assert (total["surveys"], total["satisfied"]) == (3, 2)
