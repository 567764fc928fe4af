"""Report output: the SVG chart and the spreadsheet cells."""
from __future__ import annotations


def test_chart_draws_one_bar_per_kind_and_escapes_labels():
    from supervisor.charts import calls_chart

    rows = [{"label": "<b>", "answered": 3, "abandoned": 1, "short_abandoned": 0, "overflowed": 0, "answer_rate": 0.75},
            {"label": "x", "answered": 0, "abandoned": 0, "short_abandoned": 0, "overflowed": 0, "answer_rate": None}]
    svg = calls_chart(rows)
    assert svg.count("<rect") == 2 + 5 and "<b>" not in svg and "&lt;b&gt;" in svg
    assert "无数据" in calls_chart([])


def test_exports_never_turn_a_spoofed_caller_id_into_a_formula():
    import io

    from openpyxl import load_workbook

    from supervisor.export import to_xlsx

    report = {"rows": [], "total": {}}
    wb = load_workbook(io.BytesIO(to_xlsx(report, [{"caller_number": '=HYPERLINK("http://x")', "linkedid": "L1"}])))
    row = list(wb["放弃来电"].iter_rows(values_only=True))[1]
    assert row[1] == "'=HYPERLINK(\"http://x\")" and wb["放弃来电"].cell(2, 2).data_type == "s"
