"""The zh-CN pages: /wallboard (live, WebSocket) and /reports (server-rendered table and SVG chart)."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from hotline.auth import Principal, Role, require_page_roles
from hotline.db import utcnow
from hotline.deps import KernelDep, SessionDep
from hotline.web import render
from supervisor.access import visible_centers
from supervisor.alarms import METRIC_LABELS
from supervisor.api import ReportQuery, compute, report_request
from supervisor.charts import calls_chart
from supervisor.export import ABANDONED_COLUMNS, COLUMNS
from supervisor.reports import GROUPS

router = APIRouter(include_in_schema=False)
GROUP_LABELS = {"day": "按日", "hour": "按小时", "center": "按中心", "prefecture": "按地市", "skill": "按业务",
                "seat": "按坐席"}


@router.get("/wallboard", response_class=HTMLResponse)
async def wallboard_page(request: Request, kernel: KernelDep,
                         principal: Annotated[Principal, Depends(require_page_roles(Role.SUPERVISOR, Role.ADMIN))]):
    """The live wallboard."""
    centers = visible_centers(principal, kernel.directory)
    phones = [p for p in kernel.directory.supervisor_phones if centers is None or p.center in centers]
    return render(request, "supervisor/wallboard.html", {"title": "监控大屏", "phones": phones,
                                                          "metric_labels": METRIC_LABELS}, principal=principal)


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, kernel: KernelDep, session: SessionDep,
                       principal: Annotated[Principal, Depends(require_page_roles(Role.SUPERVISOR, Role.ADMIN,
                                                                                  Role.AUDITOR))]):
    """Report form, chart, table, the abandoned calls and export links."""
    qp = request.query_params
    today = utcnow().astimezone(ZoneInfo(kernel.directory.hours.timezone)).date()
    values = {"from": qp.get("from") or (today - timedelta(days=6)).isoformat(), "to": qp.get("to") or today.isoformat(),
              "group_by": qp.get("group_by") or "day", "queue": qp.get("queue") or None, "center": qp.get("center") or None}
    ctx = {"title": "报表", "values": values, "groups": [(g, GROUP_LABELS[g]) for g in GROUPS], "columns": COLUMNS,
           "abandoned_columns": ABANDONED_COLUMNS, "report": None, "error": None,
           "centers": [c for c in kernel.directory.centers
                       if (v := visible_centers(principal, kernel.directory)) is None or c.code in v]}
    try:
        q = ReportQuery.model_validate({k: v for k, v in values.items() if v is not None})
        req = await report_request(q, principal, kernel, session, request)
    except HTTPException as exc:
        return render(request, "supervisor/reports.html", {**ctx, "error": exc.detail}, principal=principal,
                      status_code=exc.status_code)
    except ValueError as exc:
        return render(request, "supervisor/reports.html", {**ctx, "error": f"参数错误 (invalid parameters): {exc}"},
                      principal=principal, status_code=422)
    report, abandoned = await compute(req, kernel, session)
    query = urlencode({k: v for k, v in values.items() if v})
    return render(request, "supervisor/reports.html",
                  {**ctx, "report": report, "abandoned": abandoned, "chart": Markup(calls_chart(report["rows"])),
                   "query": query}, principal=principal)
