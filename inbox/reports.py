"""The complaint statistics page in the inbox (issue 17 §4; 000 D2 §5: 营销办管理部 counts the
complaints for the weekly or monthly meeting): the rates the documents name, charts of the
period (SVG, same origin) and the same figures as an Excel workbook. For the policy's
``complaint.case_viewers``, who see every case; anybody else is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import FastAPI, Path, Request
from fastapi.responses import HTMLResponse, Response

from inbox.i18n import translator
from policy.schema import Policy
from tasks import audit
from tasks.complaint.listing import departments_visible_to
from tasks.complaint.report import complaint_report
from tasks.complaint.report_views import CHARTS, chart_svg, kpi_rows, workbook_bytes

PERIOD = Annotated[Literal["weekly", "monthly"], Path()]
CHART = Annotated[str, Path(max_length=32)]


def add_report_routes(app: FastAPI, policy: Policy, *, page: Callable, read_session: Callable,
                      to_login: Callable, locale_of: Callable) -> None:

    def viewer(request: Request) -> tuple[dict, str | None, Response | None]:
        """(session data, user, the answer when they may not see reports)."""
        data = read_session(request)
        user = data.get("u")
        if not user:
            return data, None, to_login(request)
        if departments_visible_to(policy, user) is not None:
            audit.record_alone(actor=user, action="view_report", outcome="refused",
                               via="inbox", reason="not a case viewer of the policy")
            message = translator(locale_of(request, user))("not_a_report_viewer")
            return data, user, page(request, "message.html", data,
                                    {"kind": "refused", "message": message}, 403)
        return data, user, None

    @app.get("/reports/complaints", response_class=HTMLResponse)
    def report_page(request: Request, period: Literal["weekly", "monthly"] = "weekly") -> Response:
        data, user, refused = viewer(request)
        if refused is not None:
            return refused
        report = complaint_report(policy, period)
        audit.record_alone(actor=user, action="view_report", via="inbox", period=period)
        return page(request, "report.html", data, {
            "period": period, "report": report,
            "kpis": kpi_rows(report, locale_of(request, user)), "charts": list(CHARTS)})

    @app.get("/reports/complaints/{period}/{chart}.svg")
    def chart(request: Request, period: PERIOD, chart: CHART) -> Response:
        _, user, refused = viewer(request)
        if refused is not None:
            return Response(status_code=403) if user else refused
        if chart not in CHARTS:
            return Response(status_code=404)
        svg = chart_svg(complaint_report(policy, period), policy, chart,
                        locale_of(request, user))
        return Response(svg, media_type="image/svg+xml")

    @app.get("/reports/complaints/{period}.xlsx")
    def workbook(request: Request, period: PERIOD) -> Response:
        _, user, refused = viewer(request)
        if refused is not None:
            return refused
        report = complaint_report(policy, period)
        audit.record_alone(actor=user, action="export_report", via="inbox", period=period)
        name = f"complaints-{period}-{report['to'][:10]}.xlsx"
        return Response(workbook_bytes(report, policy, locale_of(request, user)),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
