"""`hotline12348 replay`: JSON records from a trace or a capture log; clear errors on bad input."""
import json

from typer.testing import CliRunner

from hotline.cli import _register_subcommands, app
from tests.conftest import TRACES

runner = CliRunner()
_register_subcommands()


def test_replay_prints_the_records_of_a_trace():
    result = runner.invoke(app, ["replay", str(TRACES / "queue-answered.ami.jsonl")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    (rec,) = out["records"]
    assert rec["caller_name"] == "张三" and rec["outcome"] == "answered" and rec["seat_extension"] == "1001"
    assert rec["offered_at"].startswith("2026-11-28T")  # trace clocks are relative; Uniqueids give the epoch


def test_replay_reads_the_engines_capture_format(tmp_path):
    from routing.capture import CaptureLog

    log = CaptureLog(tmp_path, "node7", clock=iter(range(1000, 2000)).__next__)
    for line in (TRACES / "queue-abandoned.ami.jsonl").read_text("utf-8").splitlines():
        rec = json.loads(line)
        log.write(rec["dir"], rec["data"])
    log.close()
    result = runner.invoke(app, ["replay", str(tmp_path / "ami-node7.jsonl"), "--live"])
    out = json.loads(result.output)
    assert [r["outcome"] for r in out["records"]] == ["abandoned"] and out["records"][0]["node"] == "node7"
    assert out["live_calls"] == []


def test_replay_refuses_a_missing_or_broken_file(tmp_path):
    assert runner.invoke(app, ["replay", str(tmp_path / "nope.jsonl")]).exit_code == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"t": 1, "dir": "recv"}\n', "utf-8")
    result = runner.invoke(app, ["replay", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:1" in result.output
