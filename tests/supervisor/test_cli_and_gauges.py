"""`hotline12348 supervisor report` and the Prometheus gauges: the same numbers as the report API."""
from __future__ import annotations

import csv
import io

import pytest
from prometheus_client import REGISTRY, generate_latest
from typer.testing import CliRunner

from tests.browser_support import in_thread
from tests.supervisor.conftest import store_day
from tests.supervisor.scripted import CALLS, EVENTS, QA_CHECKED
from tests.supervisor.test_api import shanghai

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def invoke(monkeypatch, settings):
    from hotline import cli
    from hotline.settings import get_settings

    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    cli._register_subcommands()
    yield lambda *args: in_thread(CliRunner().invoke, cli.app, ["supervisor", *args])
    get_settings.cache_clear()


@SQLITE_ONLY
async def test_cli_report_csv_has_the_hand_computed_total(kernel, invoke, tmp_path):
    await store_day(kernel, shanghai(CALLS), shanghai(EVENTS), QA_CHECKED)
    r = invoke("report", "--from", "2026-11-02", "--to", "2026-11-02", "--group-by", "center")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout.lstrip("\ufeff"))))
    assert rows[-1][:5] == ["合计", "7", "4", "1", "1"]
    out = tmp_path / "r.xlsx"
    r = invoke("report", "--from", "2026-11-02", "--to", "2026-11-02", "--format", "xlsx", "-o", str(out))
    assert r.exit_code == 0 and out.stat().st_size > 0


@SQLITE_ONLY
@pytest.mark.parametrize(("args", "needle"), [
    (("--from", "2026-11-05", "--to", "2026-11-01"), "结束日期早于开始日期"),
    (("--from", "2026-11-01", "--to", "2026-11-01", "--queue", "q-1-x"), "未知的队列"),
    (("--from", "2026-11-01", "--to", "2026-11-01", "--format", "pdf"), "csv|xlsx|json"),
    (("--from", "2026-11-01", "--to", "2026-11-01", "--format", "xlsx"), "--output"),
    (("--from", "11/01/2026", "--to", "2026-11-01"), "YYYY-MM-DD"),
])
def test_cli_bad_input_is_refused_clearly(invoke, args, needle):
    r = invoke("report", *args)
    assert r.exit_code != 0 and needle in r.output


@SQLITE_ONLY
async def test_metrics_endpoint_exposes_queue_gauges(client_for, sup_app, kernel):
    from supervisor.prometheus import update

    board = sup_app[1].board
    frame = board.push()
    update(frame)  # pushes set the gauges at most once a second; a scrape reads the last values
    text = generate_latest(REGISTRY).decode()
    assert 'hotline_queue_waiting{center="410100",queue="q-410100-consult"} 0.0' in text
    assert 'hotline_queue_calls_today{center="410100",kind="offered",queue="q-410100-consult"} 0.0' in text
    assert 'hotline_queue_ratio_today{center="410100",metric="answer_rate",queue="q-410100-consult"} NaN' in text
    r = await client_for("prov").get("/metrics")
    assert "hotline_queue_seats" in r.text
