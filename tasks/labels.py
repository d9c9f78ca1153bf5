"""The words people read for the codes kefu stores: one helper per kind of code.

Decisions, statuses, outcomes, channels and clocks are the product's own codes, worded here in
zh-CN (Simplified), zh-TW (Traditional) and en; territories, product lines and people are the
policy's, worded there. A CLI flag, the JSON output and the database keep the codes; every
text a person reads (mails, cards, CLI tables, reports, Excel) shows these words instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from policy.base import Named, Organisation
from policy.schema import Policy

LOCALES = ("zh-CN", "zh-TW", "en")

Words = tuple[str, str, str]  # zh-CN, zh-TW, en

DECISIONS: dict[str, Words] = {
    "approve": ("同意", "同意", "Approve"),
    "reject": ("驳回", "駁回", "Reject"),
    "send_back": ("退回", "退回", "Send back"),
}
# A task whose only decision is "approve" is a to-do (prepare the budget, call the
# customer, pre-grade the territory): doing it is "done", not "agreed".
DONE: Words = ("已办结", "已辦結", "Done")

STATUSES: dict[str, Words] = {
    # approval tasks
    "pending": ("待办", "待辦", "pending"),
    "decided": ("已决定", "已決定", "decided"),
    "cancelled": ("已取消", "已取消", "cancelled"),
    # complaints
    "received": ("已受理", "已受理", "received"),
    "triage": ("待人工分类", "待人工分類", "to classify"),
    "handling": ("处理中", "處理中", "handling"),
    "feedback": ("待客户反馈", "待客戶反饋", "awaiting feedback"),
    "archived": ("已归档", "已歸檔", "archived"),
    # development projects
    "applied": ("立项审批中", "立項審批中", "applied"),
    "rejected": ("已驳回", "已駁回", "rejected"),
    "budget_due": ("待编制预算", "待編制預算", "budget due"),
    "budget_review": ("预算审批中", "預算審批中", "budget in review"),
    "developing": ("开发中", "開發中", "developing"),
    "registering": ("待备案", "待備案", "registering"),
    "won": ("已移交销售公司", "已移交銷售公司", "won"),
    "suspended": ("已暂停", "已暫停", "suspended"),
    "terminated": ("已终止", "已終止", "terminated"),
    # reviews and spends
    "met": ("已完成", "已完成", "met"),
    "overdue": ("已逾期", "已逾期", "overdue"),
    "at_risk": ("即将到期", "即將到期", "due soon"),
    "on_time": ("正常", "正常", "on time"),
    "scheduled": ("已排期", "已排期", "scheduled"),
    "recorded": ("已入账", "已入賬", "recorded"),
    "awaiting_approval": ("待批准", "待批准", "awaiting approval"),
    "refused": ("未批准", "未批准", "refused"),
    # callbacks (回访)
    "not_sampled": ("未抽中", "未抽中", "not sampled"),
    "calling": ("待回访", "待回訪", "to call back"),
    "satisfied": ("回访满意", "回訪滿意", "satisfied"),
    "dissatisfied": ("回访不满意", "回訪不滿意", "not satisfied"),
    # tier assessments
    "pregrading": ("片区初评中", "片區初評中", "pre-grading"),
    "meeting": ("待评定会议", "待評定會議", "meeting"),
    "published": ("已公布", "已公布", "published"),
    "open": ("审批中", "審批中", "open"),
    "approved": ("已批准", "已批准", "approved"),
    # visit plans and site-visit requests (004 拜访, 002 参观)
    "plan_due": ("待提交计划", "待提交計劃", "plan due"),
    "plan_review": ("主管审核中", "主管審核中", "plan in review"),
    "plan_approved": ("执行中", "執行中", "visiting"),
    "plan_closed": ("已完成", "已完成", "closed"),
    "requested": ("待核准", "待核准", "requested"),
    # archive requests (000 D9 §1.5, 004 第19条, 001 §6.10)
    "on_loan": ("借阅中", "借閱中", "on loan"),
    "returned": ("已归还", "已歸還", "returned"),
    "destroyed": ("已销毁", "已銷毀", "destroyed"),
}

OUTCOMES: dict[str, Words] = {
    "continue": ("继续开发", "繼續開發", "continue"),
    "suspend": ("暂停", "暫停", "suspend"),
    "terminate": ("终止", "終止", "terminate"),
    "hand_over": ("结案并移交销售公司", "結案並移交銷售公司", "hand over"),
    # a callback's result (004 D14 回访)
    "satisfied": ("客户满意", "客戶滿意", "satisfied"),
    "dissatisfied": ("客户不满意", "客戶不滿意", "not satisfied"),
}

CHANNELS: dict[str, Words] = {
    "phone": ("电话", "電話", "phone"),
    "written": ("书面", "書面", "written"),
    "in_person": ("口头", "口頭", "in person"),
    "transferred": ("转交", "轉交", "transferred"),
    "hotline": ("热线", "熱線", "hotline"),
}

CLOCKS: dict[str, Words] = {
    "register": ("登记", "登記", "registration"),
    "reply": ("答复客户", "答覆客戶", "reply"),
    "handling": ("处理", "處理", "handling"),
    "feedback": ("反馈", "反饋", "feedback"),
    "tracking": ("跟踪记录", "跟蹤記錄", "tracking record"),
    "tracking_reminder": ("跟踪记录提醒", "跟蹤記錄提醒", "tracking reminder"),
    "attention_90": ("三个月特别关注", "三個月特別關注", "90-day attention"),
    "special_study_180": ("六个月专题研究", "六個月專題研究", "180-day special study"),
    "report_365": ("一年书面报告", "一年書面報告", "365-day report"),
    # the development project's review clocks by their own names (000 D8 §4)
    "review:tracking": ("30天跟踪记录", "30天跟蹤記錄", "30-day tracking record"),
    "review:tracking-reminder": ("跟踪记录提醒", "跟蹤記錄提醒", "tracking reminder"),
    "review:attention": ("三个月特别关注", "三個月特別關注", "90-day attention"),
    # an archive loan's to-do: the record back by the loan's end (004 第19条)
    "approval:return": ("归还借阅档案", "歸還借閱檔案", "archive return"),
    # a callback's clock: the caller's 回访 by its window (004 D14 §1.3)
    "approval:callback": ("客户回访", "客戶回訪", "callback"),
}

# 004 D22 客户价值评估方法: the tier assessment's ``method``.
METHODS: dict[str, Words] = {
    "credit": ("资信", "資信", "credit"),
    "order_value": ("订单价值", "訂單價值", "order value"),
    "potential": ("发展潜力", "發展潛力", "potential"),
    "profit": ("利润", "利潤", "profit"),
    "composite": ("综合评分", "綜合評分", "composite score"),
}

# Where a customer's final grade came from (000 D7 §5.1.2).
GRADE_SOURCES: dict[str, Words] = {
    "proposal": ("评分建议", "評分建議", "score proposal"),
    "pregrade": ("片区初评", "片區初評", "section chief's pre-grade"),
    "meeting": ("评定会议", "評定會議", "meeting"),
}

# Reasons our rules give in English (the JSON and the log keep them), by how they begin.
REASONS: dict[str, Words] = {
    "already on the customer list": ("已在现有客户名录中（不属于新客户）",
                                     "已在現有客戶名錄中（不屬於新客戶）",
                                     "already on the customer list"),
    "expected annual revenue": ("预计年新增业务量低于该产品线的立项标准",
                                "預計年新增業務量低於該產品線的立項標準",
                                "expected annual revenue below the product line's threshold"),
}


# What happened to a case (CaseEvent.kind), as its story on a card reads.
EVENTS: dict[str, Words] = {
    "received": ("受理", "受理", "received"),
    "classified": ("分类", "分類", "classified"),
    "triage_needed": ("转人工分类", "轉人工分類", "sent to manual classification"),
    "routed": ("分派责任部门", "分派責任部門", "routed"),
    "customer_replied": ("答复客户", "答覆客戶", "customer replied to"),
    "approval_requested": ("提请审批/办理", "提請審批/辦理", "task requested"),
    "approval_scheduled": ("排定待办", "排定待辦", "task scheduled"),
    "approval_opened": ("待办开始", "待辦開始", "task opened"),
    "approval_decided": ("作出决定", "作出決定", "decided"),
    "approval_cancelled": ("撤销待办", "撤銷待辦", "task withdrawn"),
    "approval_reassigned": ("改派", "改派", "reassigned"),
    "signer_added": ("加签", "加簽", "signer added"),
    "nudged": ("催办", "催辦", "reminded"),
    "decision_refused": ("决定被拒绝", "決定被拒絕", "decision refused"),
    "handled": ("处理完毕", "處理完畢", "handled"),
    "marked_special": ("列为特殊情况", "列為特殊情況", "marked special"),
    "public_criticism": ("通报批评", "通報批評", "public criticism"),
    "feedback_form_sent": ("发出客户处理反馈单", "發出客戶處理反饋單", "feedback form sent"),
    "customer_satisfied": ("客户满意", "客戶滿意", "customer satisfied"),
    "customer_not_satisfied": ("客户不满意", "客戶不滿意", "customer not satisfied"),
    "new_round": ("重新处理", "重新處理", "handled again"),
    "escalated": ("逾期升级", "逾期升級", "escalated"),
    "escalation_skipped": ("跳过的升级级别", "跳過的升級級別", "escalation level skipped"),
    "archived": ("归档", "歸檔", "archived"),
    "drawn": ("抽中回访", "抽中回訪", "drawn for a callback"),
    "called_back": ("回访", "回訪", "called back"),
    "closed": ("结案", "結案", "closed"),
    "applied": ("提交立项申请", "提交立項申請", "applied"),
    "project_approved": ("立项批准", "立項批准", "project approved"),
    "budget_approved": ("预算批准", "預算批准", "budget approved"),
    "rejected": ("驳回", "駁回", "rejected"),
    "tracked": ("跟踪记录", "跟蹤記錄", "tracking record"),
    "spend": ("费用支出", "費用支出", "spend"),
    "outcome": ("评审结论", "評審結論", "outcome"),
    "registered": ("客户备案", "客戶備案", "registered"),
    "review_moved": ("评审日期调整", "評審日期調整", "review moved"),
    "reward_proposed": ("拟定开发奖励", "擬定開發獎勵", "reward proposed"),
    "reward_approved": ("开发奖励批准", "開發獎勵批准", "reward approved"),
    "reward_rejected": ("开发奖励驳回", "開發獎勵駁回", "reward rejected"),
    "assessment_opened": ("开始等级评定", "開始等級評定", "assessment opened"),
    "pregrading_done": ("片区初评完成", "片區初評完成", "pre-grading done"),
    "published": ("公布结果", "公布結果", "published"),
    "opened": ("提出申请", "提出申請", "opened"),
    "approved": ("批准", "批准", "approved"),
    "archive_requested": ("提出档案申请", "提出檔案申請", "archive request"),
    "archive_lent": ("档案借出", "檔案借出", "archive lent"),
    "archive_returned": ("档案归还", "檔案歸還", "archive returned"),
    "archive_refused": ("档案申请未获批准", "檔案申請未獲批准", "archive request refused"),
    "archive_destroyed": ("档案销毁", "檔案銷毀", "archive destroyed"),
    # The complaint variants (README "Complaint variants").
    "major_complaint": ("判定为重大投诉", "判定為重大投訴", "judged a major complaint"),
    "general_complaint": ("判定为一般投诉", "判定為一般投訴", "judged a general complaint"),
    "major_warning_sent": ("重大投诉预警报备", "重大投訴預警報備", "major-complaint warning sent"),
    "emergency_meeting_held": ("召开紧急会议", "召開緊急會議", "emergency meeting held"),
    "compensation_asked": ("提请审批赔偿", "提請審批賠償", "compensation submitted"),
    "compensation_approved": ("赔偿获批", "賠償獲批", "compensation approved"),
    "fined": ("罚款", "罰款", "fined"),
    "no_fine": ("无人罚款", "無人罰款", "nobody fined"),
    "customer_reassigned": ("顾客移交其他员工", "顧客移交其他員工", "customer handed to another employee"),
    "customer_kept": ("顾客不移交", "顧客不移交", "customer kept"),
    "handed_over": ("书面移交", "書面移交", "handed over in writing"),
}


def _pick(words: Words | None, code: str | None, locale: str) -> str:
    if code is None:
        return "—"
    if words is None:
        return code
    return words[LOCALES.index(locale) if locale in LOCALES else 0]


def is_todo(decisions: Iterable[str]) -> bool:
    """A task with nothing to decide but that it is done (not an approval: no 待审批)."""
    return list(decisions) == ["approve"]


def decision(code: str | None, locale: str = "zh-CN", *, todo: bool = False) -> str:
    """同意 / 驳回 / 退回 — or 已办结 for a to-do's "approve"."""
    if todo and code == "approve":
        return _pick(DONE, code, locale)
    return _pick(DECISIONS.get(code or ""), code, locale)


def status(code: str | None, locale: str = "zh-CN") -> str:
    """A task's, complaint's, project's, review's or assessment's status."""
    return _pick(STATUSES.get(code or ""), code, locale)


def outcome(code: str | None, locale: str = "zh-CN") -> str:
    """The special study's or the year report's outcome (000 D8 §4.2)."""
    return _pick(OUTCOMES.get(code or ""), code, locale)


def channel(code: str | None, locale: str = "zh-CN") -> str:
    return _pick(CHANNELS.get(code or ""), code, locale)


def clock(name: str | None, locale: str = "zh-CN") -> str:
    """A clock or review by name; an approval's clock (``approval:STEP``) is its task's."""
    return _pick(CLOCKS.get(name or ""), name, locale)


def event(kind: str | None, locale: str = "zh-CN") -> str:
    """A line of a case's story: what happened."""
    return _pick(EVENTS.get(kind or ""), kind, locale)


def grade_source(code: str | None, locale: str = "zh-CN") -> str:
    return _pick(GRADE_SOURCES.get(code or ""), code, locale)


def method(code: str | None, locale: str = "zh-CN") -> str:
    return _pick(METHODS.get(code or ""), code, locale)


def reason(text: str | None, locale: str = "zh-CN") -> str:
    """A reason our rules wrote in English, in the reader's words (English as written)."""
    if not text:
        return "—"
    if locale == "en":
        return text
    found = next((words for start, words in REASONS.items() if text.startswith(start)), None)
    return _pick(found, text, locale)


def _named(named: Named | None, code: str | None, locale: str) -> str:
    if code is None or code == "":
        return "—"
    if named is None:
        return code
    return named.name_en or named.name if locale == "en" else named.name


def territory(code: str | None, policy: Policy, locale: str = "zh-CN") -> str:
    """华东片区 for ``east``: the policy's ``organisation.territories``."""
    return _named(policy.organisation.territories.get(code or ""), code, locale)


def product_line(code: str | None, policy: Policy, locale: str = "zh-CN") -> str:
    """铸球 for ``cast_balls``: the policy's ``new_customer.product_lines``."""
    lines = policy.new_customer.product_lines if policy.new_customer else {}
    return _named(lines.get(code or ""), code, locale)


def department(key: str | None, org: Organisation, locale: str = "zh-CN") -> str:
    """质量部 for ``quality``: the policy's ``organisation.departments``; an unknown key stays."""
    if not key:
        return "—"
    try:
        found = org.department(key)
    except KeyError:
        return key
    return (found.name_en or found.name) if locale == "en" else found.name


def person(key: str | None, org: Organisation, locale: str = "zh-CN") -> str:
    """陈工（质量工程师）: a person by name and title; a key the policy no longer knows (a
    person who left, ``kefu`` itself, an OS user) stays as it is."""
    if not key:
        return "—"
    try:
        found = org.person(key)
    except KeyError:
        return key
    if not found.title:
        return found.name
    return f"{found.name} ({found.title})" if locale == "en" else f"{found.name}（{found.title}）"
