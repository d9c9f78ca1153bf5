"""The inbox's words in zh-CN (Simplified, the default), zh-TW (Traditional) and en."""

from __future__ import annotations

from tasks import labels

LOCALES = ("zh-CN", "zh-TW", "en")

TEXT: dict[str, dict[str, str]] = {
    "reassign": {"zh-CN": "改派（办理人不在）", "zh-TW": "改派（辦理人不在）",
                 "en": "Reassign (assignee away)"},
    "reason": {"zh-CN": "原因", "zh-TW": "原因", "en": "Reason"},
    "delegations": {"zh-CN": "委托代办", "zh-TW": "委託代辦", "en": "Standing delegations"},
    "delegated_to": {"zh-CN": "我的审批由此人代办：", "zh-TW": "我的審批由此人代辦：",
                     "en": "My approvals are handled by"},
    "delegated_from": {"zh-CN": "我代办此人的审批：", "zh-TW": "我代辦此人的審批：",
                       "en": "I handle the approvals of"},
    "until": {"zh-CN": "至", "zh-TW": "至", "en": "until"},
    # issue 21 §5: a year the calendar only estimates (admins' header, an affected case's card).
    "calendar_estimate": {
        "zh-CN": "{year} 年的节假日为估算（python-holidays 的规则，不含调休），该年的期限可能不准",
        "zh-TW": "{year} 年的節假日為估算（python-holidays 的規則，不含調休），該年的期限可能不準",
        "en": "{year}'s holidays are an estimate (python-holidays' rules, without the 调休 "
              "make-up working days); deadlines in {year} may be off"},
    "calendar_weekends": {
        "zh-CN": "{year} 年没有节假日数据，只按周末计算，该年的期限可能不准",
        "zh-TW": "{year} 年沒有節假日資料，只按週末計算，該年的期限可能不準",
        "en": "no holiday data for {year}: weekends only; deadlines in {year} may be off"},
    "calendar_fix": {
        "zh-CN": "；请在政策文件 calendar.years.{year} 中录入国务院公布的放假安排",
        "zh-TW": "；請在政策文件 calendar.years.{year} 中錄入國務院公佈的放假安排",
        "en": "; enter the State Council's schedule under calendar.years.{year} in the policy"},
    # The process owner's cases page (issue 17 §3).
    "cases": {"zh-CN": "案件一览", "zh-TW": "案件一覽", "en": "Cases"},
    "any": {"zh-CN": "全部", "zh-TW": "全部", "en": "Any"},
    "department": {"zh-CN": "责任部门", "zh-TW": "責任部門", "en": "Department"},
    "timing": {"zh-CN": "时限情况", "zh-TW": "時限情況", "en": "Timing"},
    "received_from": {"zh-CN": "受理日期自", "zh-TW": "受理日期自", "en": "Received from"},
    "received_to": {"zh-CN": "至", "zh-TW": "至", "en": "to"},
    "filter": {"zh-CN": "筛选", "zh-TW": "篩選", "en": "Filter"},
    "waiting_on": {"zh-CN": "当前事项 · 办理人", "zh-TW": "當前事項 · 辦理人",
                   "en": "Waiting on"},
    "first_rows": {"zh-CN": "只显示最新的 200 件，请缩小筛选范围",
                   "zh-TW": "只顯示最新的 200 件，請縮小篩選範圍",
                   "en": "Only the newest 200 are shown: narrow the filter"},
    "no_cases": {"zh-CN": "没有符合条件的案件", "zh-TW": "沒有符合條件的案件",
                 "en": "No case matches"},
    "not_an_owner": {"zh-CN": "案件一览只对流程负责人（部门负责人、营销办管理部等）开放",
                     "zh-TW": "案件一覽只對流程負責人（部門負責人、營銷辦管理部等）開放",
                     "en": "The cases page is for process owners (department heads and the "
                           "policy's case viewers)"},
    "archive_refused": {"zh-CN": "这是机密档案：须经批准借阅（本部门经理或总经理批准），借阅期内方可查阅",
                        "zh-TW": "這是機密檔案：須經批准借閱（本部門經理或總經理批准），借閱期內方可查閱",
                        "en": "This is a confidential archive: you may read it only during an approved "
                              "loan (your department manager or the general manager approves)"},
    "no_such_case": {"zh-CN": "没有这个案件，或不在您的查看范围内",
                     "zh-TW": "沒有這個案件，或不在您的查看範圍內",
                     "en": "No such case, or not one you may see"},
    "prefect_run": {"zh-CN": "在 Prefect 中查看流程", "zh-TW": "在 Prefect 中查看流程",
                    "en": "Its flow run in Prefect"},
    "clock": {"zh-CN": "时限", "zh-TW": "時限", "en": "Clock"},
    "met": {"zh-CN": "完成于", "zh-TW": "完成於", "en": "Met"},
    "escalated": {"zh-CN": "已升级", "zh-TW": "已升級", "en": "Escalated"},
    # The complaint statistics page (issue 17 §4).
    "report": {"zh-CN": "投诉统计", "zh-TW": "投訴統計", "en": "Complaint statistics"},
    "weekly": {"zh-CN": "本周（近 7 天）", "zh-TW": "本週（近 7 天）", "en": "Last 7 days"},
    "monthly": {"zh-CN": "本月（近 30 天）", "zh-TW": "本月（近 30 天）", "en": "Last 30 days"},
    "download_xlsx": {"zh-CN": "下载 Excel", "zh-TW": "下載 Excel", "en": "Download Excel"},
    "not_a_report_viewer": {
        "zh-CN": "投诉统计只对政策中可查看全部案件的人员（营销办管理部等）开放",
        "zh-TW": "投訴統計只對政策中可查看全部案件的人員（營銷辦管理部等）開放",
        "en": "Complaint statistics are for the policy's case viewers"},
    "title": {"zh-CN": "审批收件箱", "zh-TW": "審批收件箱", "en": "Approvals inbox"},
    "login": {"zh-CN": "登录", "zh-TW": "登錄", "en": "Log in"},
    "logout": {"zh-CN": "退出", "zh-TW": "退出", "en": "Log out"},
    "user": {"zh-CN": "账号", "zh-TW": "帳號", "en": "Account"},
    "password": {"zh-CN": "密码", "zh-TW": "密碼", "en": "Password"},
    "bad_login": {"zh-CN": "账号或密码不正确", "zh-TW": "帳號或密碼不正確", "en": "Wrong account or password"},
    "my_pending": {"zh-CN": "我的待办审批", "zh-TW": "我的待辦審批", "en": "My pending approvals"},
    "none_pending": {"zh-CN": "没有待办的审批", "zh-TW": "沒有待辦的審批", "en": "Nothing waits for you"},
    "case": {"zh-CN": "案件", "zh-TW": "案件", "en": "Case"},
    "step": {"zh-CN": "事项", "zh-TW": "事項", "en": "Step"},
    "due": {"zh-CN": "期限", "zh-TW": "期限", "en": "Due"},
    "assignee": {"zh-CN": "办理人", "zh-TW": "辦理人", "en": "Assignee"},
    "overdue": {"zh-CN": "已逾期", "zh-TW": "已逾期", "en": "Overdue"},
    "at_risk": {"zh-CN": "即将到期", "zh-TW": "即將到期", "en": "Due soon"},
    "on_time": {"zh-CN": "正常", "zh-TW": "正常", "en": "On time"},
    "on_behalf": {"zh-CN": "代办（委托人）", "zh-TW": "代辦（委託人）", "en": "On behalf of"},
    "customer": {"zh-CN": "客户", "zh-TW": "客戶", "en": "Customer"},
    "content": {"zh-CN": "投诉内容", "zh-TW": "投訴內容", "en": "Complaint"},
    "staff": {"zh-CN": "被投诉人员", "zh-TW": "被投訴人員", "en": "Staff complained about"},
    "route": {"zh-CN": "责任部门 / 经办人", "zh-TW": "責任部門 / 經辦人", "en": "Department / handler"},
    "category": {"zh-CN": "类别", "zh-TW": "類別", "en": "Category"},
    "status": {"zh-CN": "状态", "zh-TW": "狀態", "en": "Status"},
    "clocks": {"zh-CN": "时限", "zh-TW": "時限", "en": "Clocks"},
    "history": {"zh-CN": "处理记录", "zh-TW": "處理記錄", "en": "History"},
    "attachments": {"zh-CN": "附件", "zh-TW": "附件", "en": "Attachments"},
    "no_attachments": {"zh-CN": "无附件", "zh-TW": "無附件", "en": "No attachments"},
    "approvals": {"zh-CN": "审批", "zh-TW": "審批", "en": "Approvals"},
    "decide": {"zh-CN": "提交决定", "zh-TW": "提交決定", "en": "Submit decision"},
    "decision": {"zh-CN": "决定", "zh-TW": "決定", "en": "Decision"},
    "comment": {"zh-CN": "意见", "zh-TW": "意見", "en": "Comment"},
    "recorded": {"zh-CN": "已记录您的决定", "zh-TW": "已記錄您的決定", "en": "Your decision is recorded"},
    "refused": {"zh-CN": "无法办理", "zh-TW": "無法辦理", "en": "Refused"},
    "back": {"zh-CN": "返回收件箱", "zh-TW": "返回收件箱", "en": "Back to the inbox"},
    "not_yours": {"zh-CN": "您不能决定此事项（仅可查看）",
                  "zh-TW": "您不能決定此事項（僅可查看）", "en": "You may not decide this (view only)"},
    "link_forged": {"zh-CN": "链接无效（签名不符），已记录。", "zh-TW": "鏈接無效（簽名不符），已記錄。",
                    "en": "This link is not valid; the attempt was logged."},
    "link_expired": {"zh-CN": "链接已过期，请从收件箱打开。", "zh-TW": "鏈接已過期，請從收件箱打開。",
                     "en": "This link has expired; open the task from your inbox."},
    "link_replayed": {"zh-CN": "链接已使用过，每个链接只能使用一次。", "zh-TW": "鏈接已使用過，每個鏈接只能使用一次。",
                      "en": "This link was already used; each link works once."},
    "link_other_person": {"zh-CN": "此链接不是发给您的账号的，已记录。", "zh-TW": "此鏈接不是發給您的帳號的，已記錄。",
                          "en": "This link was sent to someone else; the attempt was logged."},
    "csrf": {"zh-CN": "表单已失效（CSRF 校验失败），请重新打开页面。",
             "zh-TW": "表單已失效（CSRF 校驗失敗），請重新打開頁面。",
             "en": "The form is stale (CSRF check failed); reload the page."},
    "no_task": {"zh-CN": "找不到此事项，或您无权查看", "zh-TW": "找不到此事項，或您無權查看",
                "en": "No such task, or it is not yours to see"},
    "locked": {"zh-CN": "登录尝试次数过多，请稍后再试", "zh-TW": "登錄嘗試次數過多，請稍後再試",
               "en": "Too many login attempts; try again later"},
    "received": {"zh-CN": "受理时间", "zh-TW": "受理時間", "en": "Received"},
    "delegate": {"zh-CN": "转交", "zh-TW": "轉交", "en": "Hand over"},
    "add_signer": {"zh-CN": "加签", "zh-TW": "加簽", "en": "Add a signer"},
    "before": {"zh-CN": "在我之前", "zh-TW": "在我之前", "en": "before me"},
    "after": {"zh-CN": "在我之后", "zh-TW": "在我之後", "en": "after me"},
    "nudge": {"zh-CN": "催办", "zh-TW": "催辦", "en": "Remind the assignee"},
    "person": {"zh-CN": "人员", "zh-TW": "人員", "en": "Person"},
}

# A decision or a status on a page: the one set of words for codes (tasks/labels.py).
_CODES = {**labels.DECISIONS, **{code: labels.STATUSES[code] for code in (
    "pending", "decided", "cancelled", "triage", "handling", "feedback", "archived")},
    "received_status": labels.STATUSES["received"]}
TEXT.update({code: dict(zip(LOCALES, words, strict=True)) for code, words in _CODES.items()})


TEXT.update({
    "done": dict(zip(LOCALES, labels.DONE, strict=True)),
    "overrides": {"zh-CN": "调整等级（每行：客户=等级:理由）", "zh-TW": "調整等級（每行：客戶=等級:理由）",
                  "en": "Grade changes (one a line: CUSTOMER=GRADE:REASON)"},
    "attendees": {"zh-CN": "出席人员", "zh-TW": "出席人員", "en": "Attendees"},
    "a_support_plan": {"zh-CN": "A类客户支持计划", "zh-TW": "A類客戶支持計劃", "en": "A customers' support plan"},
    "outcome": {"zh-CN": "评审结论", "zh-TW": "評審結論", "en": "Outcome"},
    "grade": {"zh-CN": "等级", "zh-TW": "等級", "en": "Grade"},
    # 004 D5 §2.9: a handling decision may propose a compensation, approved by the authority table.
    "amount": {"zh-CN": "赔偿金额（元，不赔偿则留空）", "zh-TW": "賠償金額（元，不賠償則留空）",
               "en": "Compensation, yuan (leave empty for none)"},
    "amount_recorded": {"zh-CN": "赔偿金额（元）", "zh-TW": "賠償金額（元）",
                        "en": "Compensation, yuan"},
})


def worder(locale: str, policy):
    """``w(kind, code)`` for a page: a code's words (tasks/labels.py) in the reader's locale."""
    chosen = locale if locale in LOCALES else LOCALES[0]

    def w(kind: str, code: str | None) -> str:
        if kind == "person":
            return labels.person(code, policy.organisation, chosen)
        if kind in ("territory", "product_line"):
            return getattr(labels, kind)(code, policy, chosen)
        return getattr(labels, kind)(code, chosen)

    return w


def translator(locale: str):
    chosen = locale if locale in LOCALES else LOCALES[0]

    def t(key: str) -> str:
        return TEXT.get(key, {}).get(chosen, key)

    return t
