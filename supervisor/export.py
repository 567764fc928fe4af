"""Report export: CSV (UTF-8 with BOM, so Excel opens Chinese text) and XLSX (openpyxl)."""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from openpyxl import Workbook
from openpyxl.styles import Font

COLUMNS = (  # (key, zh-CN heading); rates as fractions, times in seconds
    ("label", "分组"), ("offered", "呼入(进入队列)"), ("answered", "接通"), ("abandoned", "放弃"),
    ("short_abandoned", "短时放弃"), ("abandoned_in_ivr", "IVR中挂机"), ("overflowed", "溢出"),
    ("answer_rate", "接听率"), ("service_level", "服务水平"), ("service_level_inclusive", "服务水平(含放弃)"),
    ("asa_seconds", "平均应答时长"), ("aht_seconds", "平均处理时长"), ("acw_avg_seconds", "平均话后处理"),
    ("longest_wait_seconds", "最长等待"), ("occupancy", "占用率"), ("callbacks_requested", "预约回拨"),
    ("callbacks_placed", "外呼回访"), ("callbacks_answered", "回访接通"), ("satisfaction_rate", "满意率"),
    ("qa_coverage", "质检率"), ("legal_consultations", "法律咨询数量"), ("legal_aid_matters", "法律援助事项数量"),
    ("disputes_mediated", "调处矛盾纠纷数量"), ("phone_answer_rate", "电话接听率"),
)
ABANDONED_COLUMNS = (("offered_at", "来电时间"), ("caller_number", "来电号码"), ("prefecture", "地市"),
                     ("queue", "队列"), ("wait_seconds", "等待(秒)"), ("short", "短时放弃"),
                     ("reached_later", "已再次接通"), ("linkedid", "呼叫编号"))


def _cell(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spoofed caller ID must not become a spreadsheet formula
    return "" if value is None else value


def _rows(report: Mapping) -> list[list]:
    rows = [[_cell(r.get(k)) for k, _ in COLUMNS] for r in report["rows"]]
    rows.append([_cell("合计" if k == "label" else report["total"].get(k)) for k, _ in COLUMNS])
    return rows


def to_csv(report: Mapping) -> bytes:
    """The report's rows and total as CSV."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([h for _, h in COLUMNS])
    w.writerows(_rows(report))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(report: Mapping, abandoned: list[Mapping]) -> bytes:
    """A workbook: 统计 (rows and total) and 放弃来电 (the calls to call back)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "统计"
    ws.append([h for _, h in COLUMNS])
    for row in _rows(report):
        ws.append(row)
    ws2 = wb.create_sheet("放弃来电")
    ws2.append([h for _, h in ABANDONED_COLUMNS])
    for a in abandoned:
        ws2.append([_cell(a.get(k)) for k, _ in ABANDONED_COLUMNS])
    for sheet in (ws, ws2):
        for c in sheet[1]:
            c.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
