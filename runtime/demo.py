"""``kefu demo``: the whole product on sample complaints, end to end, in about a minute.

It starts what a real installation runs (a local Prefect server on SQLite, the worker that
serves the flows, a local mail server standing in for the company's), files one complaint of
each kind through the same code as ``kefu complaint file``, takes the decisions people would
take through the same code as ``kefu approvals decide``, simulates an overdue case and runs
the escalation sweep, then says where to look.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from models import ApprovalTask, Complaint
from models.db import PROJECT_ROOT, data_dir, database_url, session_scope
from models.migrate import upgrade
from policy.load import load_policy
from runtime import server
from runtime.polling import until
from runtime.ports import free_port, port_is_free
from runtime.runs import PrefectUnavailable, start_complaint_run, wait_for_deployment, wake_task
from tasks.approvals import decide
from tasks.complaint.intake import file_complaint, parse_complaint
from tasks.deadlines import calendar_for, now
from tasks.escalation import sweep
from tasks.notify import dispatch_pending
from tasks.organisation import sync_organisation


@dataclass
class Sample:
    title: str
    channel: str
    customer: str
    phone: str
    email: str
    content: str
    shipped_days_ago: int | None = None
    important: bool = False
    days_ago: int = 0


SAMPLES = [
    Sample("product quality", "phone", "张伟", "13800001111", "zhang.wei@customer.example",
           "新买的一箱酒口感发苦，风味和以前不一样。"),
    Sample("return (mould within 15 days)", "written", "李娜", "13800002222",
           "li.na@customer.example", "收到的酒瓶口发霉，要求退货。", shipped_days_ago=10),
    Sample("service / staff attitude", "hotline", "王芳", "13800003333",
           "wang.fang@customer.example", "送货员态度恶劣，还把货扔在门口。", important=True),
    Sample("misunderstanding of staff", "in_person", "刘洋", "13800004444",
           "liu.yang@customer.example", "业务员说的优惠我误会了，以为是买一送一。"),
    Sample("no rule matches → classified by hand", "transferred", "陈静", "13800005555",
           "chen.jing@customer.example", "上周打过电话，到现在没有人联系我。"),
    Sample("overdue (filed 6 days ago, never handled)", "phone", "赵磊", "13800006666",
           "zhao.lei@customer.example", "酒的包装破损，味道也变了。", days_ago=6),
]


def say(message: str = "") -> None:
    print(message, flush=True)


def run_demo(stop_server: bool = False) -> None:
    started = time.monotonic()
    policy = load_policy()
    say(f"kefu demo — policy {policy.name} ({policy.title})")
    say(f"  database: {database_url()}")
    upgrade()
    with session_scope() as session:
        sync_organisation(session, policy)

    mail = _start_mailbox()
    os.environ["KEFU_MAIL_URL"] = (f"mailto://127.0.0.1:{mail.port}"
                                   f"?from=kefu@distillery.example&mode=insecure")
    say(f"  mail: a local SMTP server on 127.0.0.1:{mail.port}; messages saved in {mail.folder}")
    url = server.start(progress=lambda m: say(f"  {m}"))
    say(f"  Prefect server: {url}")
    inbox_url, password = _start_inbox(policy)
    worker = _start_worker()
    try:
        wait_for_deployment()
        numbers = _file_samples(policy)
        _decide_like_people(numbers)
        _call_back(policy)
        _major_complaint(policy)  # issue 18 §6: one major complaint (004 D5)
        say("\n[4/5] the escalation sweep (what the 15-minute schedule runs)")
        for row in sweep(policy):
            say(f"  {row['case']} {row['clock']} overdue → level {row['level']}: "
                f"notified {', '.join(row['notified'])}")
        dispatch_pending()
        _summary(numbers, mail, url, started)
        say(f"Approvers' inbox: {inbox_url}/ — log in as any person of the policy (e.g. "
            f"chen.qe, wu.ops) with the demo password {password}; the links in the mails "
            f"open there. Stop it with: kill $(cat {data_dir() / 'inbox.pid'})")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        mail.controller.stop()
        if stop_server:
            server.stop()
            say("Prefect server stopped.")


# --- the pieces -----------------------------------------------------------------------------

@dataclass
class _Mailbox:
    port: int
    folder: Path
    controller: object

    def count(self) -> int:
        return len(list((self.folder / "new").glob("*")))


def _start_mailbox() -> _Mailbox:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    folder = data_dir() / "demo-mail"
    port = 8025 if port_is_free(8025) else free_port()
    controller = Controller(Mailbox(folder), hostname="127.0.0.1", port=port)
    controller.start()
    return _Mailbox(port=port, folder=folder, controller=controller)


def _start_inbox(policy) -> tuple[str, str]:
    """``kefu inbox`` in the background (8700, or a free port), every person of the policy
    with one demo password; links in approval mails point at it."""
    import secrets

    from inbox.auth import set_password

    port = 8700 if port_is_free(8700) else free_port()
    url = f"http://127.0.0.1:{port}"
    os.environ["KEFU_INBOX_URL"] = url
    password = os.environ.get("KEFU_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    with session_scope() as session:
        for person in policy.organisation.people:
            set_password(session, policy, person.key, password)
    log = data_dir() / "inbox.log"
    inbox = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "inbox", "--port", str(port)], cwd=PROJECT_ROOT,
        env=os.environ.copy(), stdout=log.open("ab"), stderr=subprocess.STDOUT,
        start_new_session=True)
    (data_dir() / "inbox.pid").write_text(str(inbox.pid))
    say(f"  inbox: {url}/ (log: {log})")
    return url, password


def _start_worker() -> subprocess.Popen:
    log = data_dir() / "worker.log"
    say(f"  worker: serving the flows of prefect.yaml (log: {log})")
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker"], cwd=PROJECT_ROOT, env=os.environ.copy(),
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def _file_samples(policy) -> dict[str, str]:
    say("\n[1/5] filing one complaint of each kind")
    calendar = calendar_for(policy.calendar)
    numbers: dict[str, str] = {}
    for sample in SAMPLES:
        moment = now() - timedelta(days=sample.days_ago)
        shipped = (None if sample.shipped_days_ago is None else
                   (moment - timedelta(days=sample.shipped_days_ago)).astimezone(calendar.tz)
                   .date().isoformat())
        os.environ["KEFU_NOW"] = moment.isoformat()  # the filing time, for the overdue sample
        try:
            data = parse_complaint(policy, channel=sample.channel, customer=sample.customer,
                                   phone=sample.phone, content=sample.content, email=sample.email,
                                   shipped_on=shipped, important=sample.important)
            complaint = file_complaint(policy, data)
        finally:
            del os.environ["KEFU_NOW"]
        start_complaint_run(complaint.number)
        numbers[sample.title] = complaint.number
        say(f"  {complaint.number}  {sample.title}")
    return numbers


def _decide_like_people(numbers: dict[str, str]) -> None:
    policy = load_policy()
    quality, returned, service, misunderstanding, triage, overdue = numbers.values()
    say("\n[2/5] people decide (the same code as `kefu approvals decide`)")
    _decide(policy, _wait(triage, "triage"), "sun.admin", "approve",
            "客户反映产品质量，转质量部", category="quality")
    for number, comment in ((quality, "抽检同批次，确认口感偏差，为客户更换两箱"),
                            (returned, "出库10天内发霉，按退货流程无条件退货"),
                            (misunderstanding, "营管办负责人已向客户解释优惠规则")):
        task = _wait(number, "handling")
        _decide(policy, task, task.assignee_key, "approve", comment)
    task = _wait(service, "handling")
    _decide(policy, task, task.assignee_key, "approve", "对送货员通报批评，罚款100元",
            person="送货员 小孙")

    say("\n[3/5] customers give their opinion (营管办 records it)")
    _decide(policy, _wait(quality, "customer_feedback"), "wu.ops", "approve", "客户满意")
    _decide(policy, _wait(returned, "customer_feedback"), "wu.ops", "approve", "已退货，客户满意")
    _decide(policy, _wait(service, "customer_feedback"), "wu.ops", "reject",
            "客户希望公司书面道歉")
    task = _wait(service, "handling", round_=2)
    _decide(policy, task, task.assignee_key, "approve", "已寄出书面道歉信")
    _decide(policy, _wait(service, "customer_feedback", round_=2), "wu.ops", "approve",
            "客户接受道歉")
    for number in (quality, returned, service):
        _wait_status(number, "archived")
    _wait(misunderstanding, "customer_feedback")
    _wait(triage, "handling")
    _wait(overdue, "handling")
    _wait_runs_settled(list(numbers.values()))


# --- callbacks (回访, 004 D14; issue 18 §1) -------------------------------------------------

def _call_back(policy) -> None:
    """The handled complaints are drawn for callbacks (what the daily callback plan does);
    the important one is always drawn and its department head records a satisfied customer.
    Others drawn wait for their caller, as real callbacks would."""
    from models import Callback
    from runtime.callback_runs import draw_and_start

    say("\n[3b/5] callbacks (回访, 004 D14): the handled complaints drawn for a callback")
    draw_and_start()
    with session_scope() as session:
        rows = list(session.scalars(select(Callback).order_by(Callback.id)))
    for row in rows:
        say(f"  {row.source_number}  " + (f"drawn → {row.number}, caller {row.caller_key}"
                                          if row.chosen else "not drawn")
            + f" (score {row.sample_score:.2f} vs share {row.sample_share:.0%}"
            + (", important: always" if row.important else "") + ")")
    shown = next((r for r in rows if r.chosen and r.important), None)
    if shown is None:
        return
    task = _wait(shown.number, "callback")
    _decide(policy, task, task.assignee_key, "approve", "电话回访：客户对道歉满意",
            outcome="satisfied")

    def settled() -> bool:
        """The callback closed and its run completed; every other callback's run parked for
        its caller (none left Crashed when the demo stops its worker)."""
        from prefect import get_client

        with session_scope() as session:
            runs = dict(session.execute(select(Callback.number, Callback.flow_run_id)
                                        .where(Callback.chosen.is_(True))).all())

        async def states() -> dict:
            async with get_client() as client:
                return {number: (await client.read_flow_run(run_id)).state.type.value
                        for number, run_id in runs.items() if run_id}

        found = asyncio.run(states())
        return found.get(shown.number) == "COMPLETED" and len(found) == len(runs) and all(
            state in {"COMPLETED", "PAUSED"} for state in found.values())

    _until(settled, f"{shown.number}: the callbacks' runs did not settle")
    say(f"  {shown.number}  closed: 客户满意")


# --- a major complaint (重大投诉, 004 D5; issue 18 §6) --------------------------------------

MAJOR_SAMPLE = Sample("major complaint (negative media coverage)", "phone", "孙强",
                      "13800007777", "sun.qiang@customer.example",
                      "整箱酒包装破损，客户说已联系电视台曝光。")


def _major_complaint(policy) -> None:
    """What 004 D5 does with a major complaint, from its shipped file: the trigger, who is
    warned within what time and after it, who approves an 8,000 元 compensation. (The demo's
    six cases run under the policy in force; its decisions are the default's, so the variant's
    own case runs in tests/complaint/test_variants_flow.py.)"""
    say("\n[3c/5] a major complaint (重大投诉, 004 D5)")
    _major_as_the_car_dealer_would_judge_it(policy)


def _major_as_the_car_dealer_would_judge_it(policy) -> None:
    from policy.load import SHIPPED, read_policy
    from tasks.complaint.variant_rules import compensation_approver, major_triggers
    from tasks.people import resolve_assignee

    dealer = read_policy(SHIPPED / "variants" / "004-d5-car-dealer.yaml")
    major = dealer.complaint.major
    found = major_triggers(major, ["media"], now(), None)
    words = {t.key: t.label for t in major.triggers}
    people = dealer.organisation
    warned = [people.person(resolve_assignee(r, dealer)).name for r in major.warning.notify]
    later = [people.person(resolve_assignee(r, dealer)).name
             for r in major.warning.escalation.ladder[-1].notify if ":" in r]
    approver = people.person(resolve_assignee(
        compensation_approver(8000, dealer.complaint.compensation), dealer))
    say(f"  policy {policy.name}: {'has' if policy.complaint.major else 'has no'} major "
        f"complaints; under "
        f"KEFU_POLICY=004-d5-car-dealer the complaint 「{MAJOR_SAMPLE.content}」 filed with "
        f"--trigger media is major ({'、'.join(words[k] for k in found)}):")
    say(f"  warned within {major.warning.within} to {'、'.join(warned)}, late → "
        f"{'、'.join(later)}; an 8000 元 compensation is approved by {approver.name}"
        f"（{approver.title}）")


def _decide(policy, task: ApprovalTask, actor: str, decision: str, comment: str, **data) -> None:
    with session_scope() as session:
        decide(session, policy, task.id, actor=actor, decision=decision, comment=comment,
               data=data, via="demo")
    say(f"  {task.case_number}  #{task.id} {task.label}: {decision} by {actor} — {comment}")
    try:
        wake_task(task.id)
    except PrefectUnavailable as exc:  # as `kefu approvals decide`: the worker wakes it later
        say(f"    (Prefect did not answer; the worker resumes the run when it does: {exc})")


def _until(found, failure: str, timeout: float = 120):
    """Poll ``found()`` until it returns something; after ``timeout`` seconds, fail saying
    ``failure`` and where the worker's log is."""
    return until(found, timeout=timeout, every=0.3, failure=lambda waited: RuntimeError(
        f"{failure} after {waited:.0f} s; see {data_dir() / 'worker.log'}"))


def _wait(number: str, step: str, round_: int | None = None) -> ApprovalTask:
    def pending() -> ApprovalTask | None:
        with session_scope() as session:
            query = select(ApprovalTask).where(ApprovalTask.case_number == number,
                                               ApprovalTask.step == step,
                                               ApprovalTask.status == "pending")
            if round_:
                query = query.where(ApprovalTask.round == round_)
            return session.scalar(query)

    return _until(pending, f"{number}: no pending {step} task")


def _wait_status(number: str, status: str) -> None:
    def reached() -> bool:
        with session_scope() as session:
            return session.scalar(select(Complaint.status)
                                  .where(Complaint.number == number)) == status

    _until(reached, f"{number} did not reach {status}")


def _wait_runs_settled(numbers: list[str]) -> None:
    """Every case's run completed or parked for a person. An archived case's run still sends
    its last messages and publishes its card after the archive step: stopping the worker
    before that would leave the run Crashed on the dashboard."""
    from prefect import get_client

    with session_scope() as session:
        run_ids = list(session.scalars(select(Complaint.flow_run_id)
                                       .where(Complaint.number.in_(numbers))))

    async def settled() -> bool:
        async with get_client() as client:
            runs = [await client.read_flow_run(run_id) for run_id in run_ids]
        return all(r.state and r.state.type.value in {"COMPLETED", "PAUSED"} for r in runs)

    _until(lambda: asyncio.run(settled()), "the cases' runs did not settle")


def _summary(numbers: dict[str, str], mail: _Mailbox, url: str, started: float) -> None:
    ui = url.removesuffix("/api")
    say("\n[5/5] where every case stands")
    with session_scope() as session:
        for number in numbers.values():
            complaint = session.scalar(select(Complaint).where(Complaint.number == number))
            waiting = session.scalar(select(ApprovalTask).where(
                ApprovalTask.case_number == number, ApprovalTask.status == "pending"))
            state = (f"waiting for {waiting.assignee_key}: {waiting.label}" if waiting
                     else complaint.status)
            say(f"  {number}  {complaint.category or '—':<16} {state}")
            say(f"      {ui}/runs/flow-run/{complaint.flow_run_id}")
    say(f"\n{mail.count()} messages delivered to the local mail server ({mail.folder}/new).")
    say(f"Prefect dashboard: {ui}/runs  (runs are named 'complaint TS-… <category>'; each has "
        f"the case card under Artifacts)")
    say("Try: kefu complaint list · kefu complaint show NUMBER · kefu approvals list · "
        "kefu report weekly")
    say("The Prefect server keeps running for you; stop it with `kefu server stop`. "
        "Run `kefu worker` to keep serving flows and the 15-minute sweep.")
    say(f"Demo finished in {time.monotonic() - started:.0f} s.")
