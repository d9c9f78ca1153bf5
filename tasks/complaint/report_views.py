"""The complaint statistics (000 D2 §5) as people look at them: charts for the inbox's report
page and an Excel workbook with the same figures and native Excel charts, in the reader's
words (categories and departments by name, never their codes)."""

from __future__ import annotations

import io

from policy.schema import Policy
from tasks import labels
from tasks.charts import bar_chart, line_chart, stacked_bar_chart

# Each chart: its title per locale (zh-CN, zh-TW, en).
CHARTS: dict[str, tuple[str, str, str]] = {
    "by_category": ("投诉类别", "投訴類別", "Complaints by category"),
    "by_department": ("责任部门", "責任部門", "Complaints by department"),
    "trend": ("投诉趋势（各期受理数）", "投訴趨勢（各期受理數）", "Complaints received per period"),
    "handling": ("处理时限（按部门）", "處理時限（按部門）", "Handling against its deadline"),
    "points": ("各部门扣分", "各部門扣分", "Points per department"),
}
HANDLING_PARTS: dict[str, tuple[str, str, str]] = {
    "on_time": ("按时处理", "按時處理", "On time"),
    "late": ("超时处理", "超時處理", "Late"),
    "open": ("未处理完", "未處理完", "Open"),
}
# What the report counts when a complaint has no category or department yet.
UNSET: dict[str, tuple[str, str, str]] = {
    "unclassified": ("未分类", "未分類", "Not classified"),
    "unrouted": ("未分派", "未分派", "Not routed"),
}
HEADERS: dict[str, tuple[str, str, str]] = {
    "summary": ("汇总", "匯總", "Summary"), "figure": ("指标", "指標", "Figure"),
    "value": ("数值", "數值", "Value"), "period": ("统计期间", "統計期間", "Period"),
    "count": ("件数", "件數", "Complaints"), "points": ("扣分", "扣分", "Points"),
    "period_from": ("期间起始", "期間起始", "Period from"),
    "received": ("受理数", "受理數", "Received"),
    "charts": ("图表与 Excel", "圖表與 Excel", "Charts and Excel"),
}
KPI_WORDS: dict[str, tuple[str, str, str]] = {
    "received": ("受理投诉", "受理投訴", "Received"),
    "handling_rate": ("处理率（目标 100%）", "處理率（目標 100%）", "Handling rate (target 100%)"),
    "on_time_rate": ("按时处理率", "按時處理率", "On-time rate"),
    "satisfaction_rate": ("客户满意率", "客戶滿意率", "Satisfaction"),
    "overdue": ("升级（逾期）案件", "升級（逾期）案件", "Escalated (overdue) cases"),
    "average_handling_hours": ("平均处理时长（小时）", "平均處理時長（小時）",
                               "Average handling time (hours)"),
}


def _word(words: tuple[str, str, str], locale: str) -> str:
    return words[labels.LOCALES.index(locale)] if locale in labels.LOCALES else words[0]


def category_name(policy: Policy, key: str | None, locale: str) -> str:
    """产品质量 for ``quality``: the policy's complaint category in the reader's words."""
    if not key:
        return "—"
    if key in UNSET:
        return _word(UNSET[key], locale)
    try:
        found = policy.complaint.category(key)
    except KeyError:
        return key
    return (found.label_en or found.label) if locale == "en" else found.label


def department_name(policy: Policy, key: str | None, locale: str) -> str:
    if key in UNSET:
        return _word(UNSET[key], locale)
    return labels.department(key, policy.organisation, locale)


def kpi_rows(report: dict, locale: str) -> list[tuple[str, str]]:
    """(what, value) for the summary: rates as percentages, '—' where nothing was counted."""
    kpis = report["kpis"]

    def percent(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    values = {"received": str(kpis["received"]),
              "handling_rate": percent(kpis["handling_rate"]),
              "on_time_rate": percent(kpis["on_time_rate"]),
              "satisfaction_rate": percent(kpis["satisfaction_rate"]),
              "overdue": str(report["overdue"]),
              "average_handling_hours": "—" if report["average_handling_hours"] is None
              else str(report["average_handling_hours"])}
    return [(_word(KPI_WORDS[key], locale), value) for key, value in values.items()]


def kpi_markdown(report: dict, locale: str, page_url: str) -> str:
    """The summary for the dashboard (a Markdown artifact of the report's flow run), pointing
    at the inbox page with the charts and the workbook."""
    from tasks.markdown import cell

    heading = (_word(HEADERS["figure"], locale), _word(HEADERS["value"], locale))
    lines = [f"| {heading[0]} | {heading[1]} |", "|---|---|",
             *(f"| {cell(what)} | {cell(value)} |" for what, value in kpi_rows(report, locale))]
    return "\n".join([*lines, "", f"{_word(HEADERS['charts'], locale)}: {page_url}"])


def chart_svg(report: dict, policy: Policy, name: str, locale: str) -> str:
    """One chart of the report as SVG; ``name`` is a key of :data:`CHARTS` (else KeyError)."""
    title = _word(CHARTS[name], locale)
    if name == "by_category":
        items = sorted(report["by_category"].items(), key=lambda kv: -kv[1])
        return bar_chart(title, [category_name(policy, k, locale) for k, _ in items],
                         [v for _, v in items])
    if name == "by_department":
        items = sorted(report["by_department"].items(), key=lambda kv: -kv[1])
        return bar_chart(title, [department_name(policy, k, locale) for k, _ in items],
                         [v for _, v in items])
    if name == "points":
        items = sorted(report["points_by_department"].items(), key=lambda kv: -kv[1])
        return bar_chart(title, [department_name(policy, k, locale) for k, _ in items],
                         [v for _, v in items])
    if name == "trend":
        return line_chart(title, [row["from"][5:] for row in report["trend"]],
                          [row["count"] for row in report["trend"]])
    departments = sorted(report["handling_by_department"])
    return stacked_bar_chart(
        title, [department_name(policy, d, locale) for d in departments],
        {_word(words, locale): [report["handling_by_department"][d][part] for d in departments]
         for part, words in HANDLING_PARTS.items()})


def workbook_bytes(report: dict, policy: Policy, locale: str = "zh-CN") -> bytes:
    """The report as an .xlsx: a summary sheet, one sheet per breakdown with a native Excel
    bar chart beside it, and the trend with a line chart."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference

    from tasks.tables import finish_sheet

    book = Workbook()
    summary = book.active
    summary.title = _word(HEADERS["summary"], locale)
    summary.append([_word(HEADERS["figure"], locale), _word(HEADERS["value"], locale)])
    summary.append([_word(HEADERS["period"], locale),
                    f"{report['from'][:10]} – {report['to'][:10]}"])
    for row in kpi_rows(report, locale):
        summary.append(list(row))
    finish_sheet(summary)
    for name, names in (("by_category", category_name), ("by_department", department_name),
                        ("points", department_name)):
        key = "points_by_department" if name == "points" else name
        sheet = book.create_sheet(_word(CHARTS[name], locale)[:31])
        sheet.append([_word(CHARTS[name], locale),
                      _word(HEADERS["points" if name == "points" else "count"], locale)])
        for code, count in sorted(report[key].items(), key=lambda kv: -kv[1]):
            sheet.append([names(policy, code, locale), count])
        finish_sheet(sheet)
        _chart(sheet, BarChart(), Reference, _word(CHARTS[name], locale))
    trend = book.create_sheet(_word(CHARTS["trend"], locale)[:31])
    trend.append([_word(HEADERS["period_from"], locale), _word(HEADERS["received"], locale)])
    for row in report["trend"]:
        trend.append([row["from"], row["count"]])
    finish_sheet(trend)
    _chart(trend, LineChart(), Reference, _word(CHARTS["trend"], locale))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _chart(sheet, chart, reference, title: str) -> None:  # noqa: ANN001 (openpyxl objects)
    if sheet.max_row < 2:
        return
    chart.title = title
    chart.legend = None
    chart.add_data(reference(sheet, min_col=2, min_row=1, max_row=sheet.max_row),
                   titles_from_data=True)
    chart.set_categories(reference(sheet, min_col=1, min_row=2, max_row=sheet.max_row))
    sheet.add_chart(chart, "D2")
