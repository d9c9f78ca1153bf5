"""The complaint variants end to end (README "Complaint variants"): each shipped variant file
runs the real complaint flow on a Prefect server of this module's own, the real ``kefu worker``
and the real SMTP sink, with ``KEFU_NOW`` moving through its deadlines; one deadline missed in
each, so its escalation mail is in the sink.

One server stack for the module; each variant gets its own SQLite database and a worker started
with ``KEFU_POLICY`` naming it (the previous variant's worker is stopped first). The worker's
clock stays on the filing's Monday; the decisions and sweeps carry their own ``KEFU_NOW``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import Kefu, kefu_env, start_prefect, stop_prefect, wait_for

from runtime.ports import free_port

MONDAY = "2026-12-07T10:00:00+08:00"


class Variants:
    def __init__(self, prefect_api: str, mailbox, tmp_path_factory) -> None:
        self.prefect_api, self.mailbox, self.tmp = prefect_api, mailbox, tmp_path_factory
        self.current: Kefu | None = None

    def use(self, name: str) -> Kefu:
        """A fresh database under the shipped variant ``name``, its worker serving the flows."""
        self.stop()
        data = self.tmp.mktemp(name)
        env = {**kefu_env(data, f"sqlite:///{data / 'kefu.db'}", self.prefect_api,
                          self.mailbox.port), "KEFU_POLICY": name}
        kefu = Kefu(env={**env, "KEFU_NOW": MONDAY})
        kefu.run("init")
        kefu.start_worker()
        self.current = kefu
        return kefu

    def stop(self) -> None:
        if self.current is not None:
            self.current.kill_worker()
            self.current = None


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> Iterator[Variants]:
    """Prefect, SMTP sink and workers of this module's own: no other module's worker serves
    the same deployments with another database."""
    from aiosmtpd.controller import Controller
    from conftest import Mailbox

    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    port = free_port()
    server = start_prefect(tmp_path_factory.mktemp("variants-prefect"), port)
    runner = Variants(f"http://127.0.0.1:{port}/api", box, tmp_path_factory)
    yield runner
    runner.stop()
    stop_prefect(server)
    controller.stop()


def _file(kefu: Kefu, content: str, *extra: str, customer: str = "赵先生") -> str:
    return kefu.json("complaint", "file", "--channel", "phone", "--customer", customer,
                     "--phone", "13800000000", "--email", "zhao@customer.example",
                     "--content", content, *extra, now=MONDAY)["number"]


def _decide(kefu: Kefu, task: dict, by: str, now: str, *extra: str) -> None:
    kefu.run("approvals", "decide", str(task["id"]), "--as", by, "--decision", "approve",
             *extra, now=now)


def _mails(mailbox, address: str, number: str, word: str) -> list[dict]:
    return [m for m in mailbox.to(address) if number in m["subject"] and word in m["subject"]]


def _wait_mail(mailbox, address: str, number: str, word: str) -> dict:
    return wait_for(lambda: _mails(mailbox, address, number, word),
                    what=f"a mail to {address} about {number} ({word})")[0]


def _finish(kefu: Kefu, number: str, now: str) -> dict:
    """The 客户处理反馈单 goes by mail; the customer is satisfied; the case is archived."""
    _decide(kefu, kefu.pending(number, "customer_feedback"), "wu.ops", now)
    return kefu.status(number, "archived")


def _kinds(view: dict) -> list[str]:
    return [e["kind"] for e in view["events"]]


def _refused(kefu: Kefu, *args: str) -> str:
    done = kefu.run(*args, now=MONDAY, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_car_dealer_major_complaint_is_warned_up_the_ladder_and_compensation_goes_by_amount(
        variants):
    """004 D5: a complaint with negative media coverage is major; its warning is not reported
    within 24 h, so brand business unit and legal are told at the deadline and VP operations
    and the CEO a working day later; then the warning reaches brand and legal; the 8,000 元
    compensation the handling proposes is approved by the general manager (2,001–20,000 元)."""
    kefu = variants.use("004-d5-car-dealer")
    mailbox = variants.mailbox
    line = _refused(kefu, "complaint", "file", "--channel", "phone", "--customer", "赵先生",
                    "--phone", "13800000000", "--content", "车辆异响", "--trigger", "tv")
    assert line.startswith("error: --trigger: 'tv' is not a flag of this policy") or \
        "--trigger: 'tv'" in line, line
    assert kefu._peek("SELECT count(*) FROM complaints") == 0

    number = _file(kefu, "新车交付时包装破损，客户已联系电视台", "--trigger", "media")
    warning = kefu.pending(number, "major_warning")
    assert warning["assignee"] == "gao.cr" and "媒体负面报道" in warning["label"]
    assert "major_complaint" in _kinds(kefu.show(number))

    kefu.run("escalations", "run", now="2026-12-08T10:30:00+08:00")     # 24 h passed
    for address in ("fang.brand@dealer.example", "lu.legal@dealer.example"):
        assert "第1级" in _wait_mail(mailbox, address, number, "逾期升级")["subject"]
    assert not _mails(mailbox, "yan.ceo@dealer.example", number, "逾期升级")
    kefu.run("escalations", "run", now="2026-12-09T18:30:00+08:00")     # a working day later
    for address in ("song.vp@dealer.example", "yan.ceo@dealer.example"):
        assert "第2级" in _wait_mail(mailbox, address, number, "逾期升级")["subject"]

    _decide(kefu, warning, "gao.cr", "2026-12-09T19:00:00+08:00", "--comment", "客户已联系电视台")
    body = _wait_mail(mailbox, "fang.brand@dealer.example", number, "重大投诉预警")["body"]
    assert "客户已联系电视台" in body
    assert _wait_mail(mailbox, "lu.legal@dealer.example", number, "重大投诉预警")

    handling = kefu.pending(number, "handling")
    _decide(kefu, handling, "chen.qe", "2026-12-10T09:00:00+08:00", "--amount", "8000",
            "--comment", "补偿保养券")
    compensation = kefu.pending(number, "compensation")
    assert compensation["assignee"] == "wang.gm" and "8000" in compensation["label"]
    _decide(kefu, compensation, "wang.gm", "2026-12-10T10:00:00+08:00")
    view = _finish(kefu, number, "2026-12-10T11:00:00+08:00")
    kinds = _kinds(view)
    assert kinds.count("major_warning_sent") == 1 and kinds.count("compensation_approved") == 1
    assert "赔偿 8000 元" in view["resolution"]


def test_d15_major_complaint_meets_first_then_a_fix_in_a_working_day_and_the_gm(variants):
    """004 D15: a major complaint calls an emergency meeting (its attendees are required);
    the fix is due in one working day — missed, so the handler's superior is told — and the
    general manager approves it."""
    kefu = variants.use("004-d15")
    mailbox = variants.mailbox
    number = _file(kefu, "酒的口感不对，已多次反映", "--trigger", "major", customer="钱女士")
    meeting = kefu.pending(number, "emergency_meeting")
    assert meeting["assignee"] == "sun.admin"
    assert _wait_mail(mailbox, "wang.gm@distillery.example", number, "抄送")   # invited
    line = _refused(kefu, "approvals", "decide", str(meeting["id"]), "--as", "sun.admin",
                    "--decision", "approve")
    assert "--attendee: the meeting's attendees are required" in line
    assert kefu._peek("SELECT count(*) FROM approval_tasks WHERE id = :i AND status = 'pending'",
                      i=meeting["id"]) == 1
    _decide(kefu, meeting, "sun.admin", "2026-12-07T11:00:00+08:00", "--attendee", "wang.gm",
            "--attendee", "liu.quality", "--comment", "更换批次并上门致歉")

    fix = kefu.pending(number, "propose_fix")
    assert fix["assignee"] == "chen.qe"
    kefu.run("escalations", "run", now="2026-12-09T10:00:00+08:00")     # the working day passed
    assert "第1级" in _wait_mail(mailbox, "liu.quality@distillery.example", number,
                                  "逾期升级")["subject"]
    _decide(kefu, fix, "chen.qe", "2026-12-09T11:00:00+08:00", "--comment", "更换批次")
    gm = kefu.pending(number, "gm_approval")
    assert gm["assignee"] == "wang.gm"
    _decide(kefu, gm, "wang.gm", "2026-12-09T12:00:00+08:00")
    view = _finish(kefu, number, "2026-12-09T15:00:00+08:00")
    held = [e for e in view["events"] if e["kind"] == "emergency_meeting_held"]
    assert len(held) == 1 and held[0]["attendees"] == ["wang.gm", "liu.quality"]


def test_a_grumble_not_resolved_in_three_days_is_fined_and_the_customer_may_be_handed_on(variants):
    """000 D5 §3: a grumble about a staff member's attitude, complained to the GM, is not
    resolved within 3 days: the manager is told at the deadline, 500 元 each is recorded for
    the manager and the staff member, and the manager hands the customer to another employee."""
    kefu = variants.use("000-d5")
    mailbox = variants.mailbox
    number = _file(kefu, "业务员服务态度很差，不理人", "--staff", "小李", "--trigger", "to_gm",
                   customer="孙女士")
    handling = kefu.pending(number, "handling")
    assert handling["assignee"] == "zhou.ops"                 # the service category's head
    kefu.run("escalations", "run", now="2026-12-10T18:30:00+08:00")     # 3 days passed
    assert _wait_mail(mailbox, "zhao.director@distillery.example", number, "逾期升级")
    _decide(kefu, handling, "zhou.ops", "2026-12-11T09:00:00+08:00", "--comment", "已当面致歉")

    offer = kefu.pending(number, "reassign_customer")
    assert offer["assignee"] == "zhou.ops"
    view = kefu.show(number)
    fines = sorted((e["person"], e["amount"], e["rule"])
                   for e in view["events"] if e["kind"] == "fined")
    assert fines == [("zhou.ops", 500, "C"), ("小李", 500, "C")]
    _decide(kefu, offer, "zhou.ops", "2026-12-11T10:00:00+08:00", "--person", "wu.ops")
    view = _finish(kefu, number, "2026-12-11T11:00:00+08:00")
    moved = [e for e in view["events"] if e["kind"] == "customer_reassigned"]
    assert len(moved) == 1 and moved[0]["to"] == "wu.ops"
    assert _kinds(view).count("fined") == 2


def test_the_first_responsible_keeps_the_case_until_the_written_hand_over(variants):
    """000 D12: who took the call handles the case; their written hand-over moves it (and its
    task) to the quality engineer, whose missed deadline reaches his superior."""
    kefu = variants.use("000-d12")
    mailbox = variants.mailbox
    line = _refused(kefu, "complaint", "file", "--channel", "phone", "--customer", "周先生",
                    "--phone", "13800000000", "--content", "酒的口感不对")
    assert "--taken-by: required by this policy" in line
    number = _file(kefu, "酒的口感不对", "--taken-by", "wu.ops", customer="周先生")
    handling = kefu.pending(number, "handling")
    assert handling["assignee"] == "wu.ops"
    line = _refused(kefu, "complaint", "hand-over", number, "--to", "chen.qe", "--as", "chen.qe",
                    "--note", "我来处理")
    assert "--as: chen.qe is not the first responsible person" in line
    kefu.run("complaint", "hand-over", number, "--to", "chen.qe", "--as", "wu.ops", "--note",
             "质量问题，书面移交质量工程师", now="2026-12-07T11:00:00+08:00")
    view = kefu.show(number)
    assert view["handler"] == "chen.qe"
    assert [a for a in view["approvals"] if a["step"] == "handling"][0]["assignee"] == "chen.qe"
    assert "handed_over" in _kinds(view)
    kefu.run("escalations", "run", now="2026-12-10T18:30:00+08:00")     # 3 working days passed
    assert _wait_mail(mailbox, "liu.quality@distillery.example", number, "逾期升级")
