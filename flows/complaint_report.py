"""The weekly / monthly complaint statistics as a scheduled flow (prefect.yaml)."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from policy.load import load_policy
from runtime.leases import record_run_process
from tasks import markdown
from tasks.complaint.report import complaint_report as build_report
from tasks.complaint.report import report_rows
from tasks.complaint.report_views import kpi_markdown
from tasks.links import inbox_url


@flow(name="complaint-report", persist_result=False, on_running=[record_run_process])
async def complaint_report(period: str = "weekly") -> dict:
    policy = load_policy()
    report = build_report(policy, period)
    # The meeting's summary on the dashboard, with the charts a click away in the inbox.
    await acreate_markdown_artifact(
        key=f"complaint-report-{period}-summary",
        markdown=kpi_markdown(report, policy.locale,
                              f"{inbox_url(policy)}/reports/complaints?period={period}"),
        description=f"投诉统计 {report['from'][:10]} – {report['to'][:10]}（指标）",
    )
    await acreate_table_artifact(
        key=f"complaint-report-{period}",
        table=markdown.table([{"section": s, "key": k, "value": v}
                              for s, k, v in report_rows(report)]),
        description=f"投诉统计 {report['from'][:10]} – {report['to'][:10]}",
    )
    return report
