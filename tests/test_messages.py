"""Messages look like a company's and carry nothing a customer wrote as markup, a link or a
header: an approval request goes out as plain text with its lines and as HTML with a table of
the case and a button to the signed link, through the outbox to a real SMTP server; the group
robots get their platform's rich message; a customer's e-mail address is one recipient or
none (issue 16 §2–3, issue 19 §2–3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from types import SimpleNamespace

import opencc
import pytest
import responses
import yaml
from aiosmtpd.controller import Controller
from conftest import Mailbox, free_port, wait_for

from models import Customer, Notification
from models.db import session_scope
from models.migrate import upgrade
from notifications.send import deliver
from tasks.addresses import checked_email
from tasks.notify import dispatch_pending, notify_customer, notify_person

LINK = "https://inbox.distillery.example/l/eyJ0YXNrIjoxN30.abc-DEF_123"
IMG = "<img src=x onerror=alert(1)>"
PHISH = "<a href=http://evil/phish>请点此批准</a>"
MD_PHISH = "[请点此批准](http://evil/phish)"
CONTENT = f"酒的口感有异味{IMG}\n第二瓶也一样 {PHISH} {MD_PHISH}"
INJECTED = ("c3@b.example&from=gm%40distillery.example&name=王總&reply=attacker%40evil.example"
            "&bcc=attacker%40evil.example&smtp=localhost")
_t2s = opencc.OpenCC("t2s")


@pytest.fixture()
def outbox_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.delenv("KEFU_NOW", raising=False)
    upgrade(url)
    return url


@pytest.fixture()
def smtp(monkeypatch):
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    monkeypatch.setenv("KEFU_MAIL_URL",
                       f"mailto://127.0.0.1:{box.port}?from=kefu@distillery.example&mode=insecure")
    yield box
    controller.stop()


def _approval_context(policy, label: str = "投诉处理") -> dict:
    org = policy.organisation
    complaint = SimpleNamespace(
        number="TS-2026-000042", content=CONTENT, received_at=datetime(2026, 11, 27, 8, tzinfo=UTC),
        procedure=None, resolution=None)
    task = SimpleNamespace(id=17, label=label, step="handling", round=1,
                           due_at=datetime(2026, 12, 2, 10, tzinfo=UTC),
                           allowed_decisions=["approve", "reject", "send_back"])
    return {"complaint": complaint, "category": policy.complaint.category("quality"),
            "department": org.department("quality"), "handler": org.person("chen.qe"),
            "task": task, "link": LINK, "form_code": "K7QM-P3XW"}


def _ask(policy, person: str = "chen.qe", label: str = "投诉处理") -> None:
    with session_scope() as session:
        notify_person(session, policy, key="TS-2026-000042:approval:17:requested",
                      process="complaint", case_number="TS-2026-000042",
                      event="approval_requested", person_key=person,
                      context=_approval_context(policy, label))


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))


def _parts(message) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    return (message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content())


def test_an_approval_mail_has_its_lines_in_plain_text_and_a_table_and_button_in_html(
        outbox_db, smtp, policy):
    _ask(policy)
    assert dispatch_pending() == {"sent": 1, "failed": 0}
    wait_for(lambda: smtp.messages, what="the approval mail")
    [mail] = smtp.messages
    assert mail["to"] == [policy.organisation.person("chen.qe").email]
    plain, html = _parts(mail["message"])

    lines = [line for line in plain.splitlines() if line.strip()]
    assert len(lines) >= 6
    assert "投诉内容：酒的口感有异味" in plain and LINK in plain
    assert "Prefect 表单验证码：K7QM-P3XW" in plain
    assert "kefu approvals decide" not in plain and "--as" not in plain

    anchors = _Anchors()
    anchors.feed(html)
    assert {"p", "br", "table", "th", "td"} <= anchors.tags
    assert anchors.hrefs and set(anchors.hrefs) == {LINK}   # the signed link, nothing else
    assert "<th" in html and "投诉内容" in html and "打开并办理" in html


def test_a_complaint_with_markup_is_text_in_both_parts(outbox_db, smtp, policy):
    _ask(policy)
    dispatch_pending()
    wait_for(lambda: smtp.messages, what="the approval mail")
    plain, html = _parts(smtp.messages[0]["message"])

    assert IMG in plain and PHISH in plain                  # literal, as the customer wrote
    assert "<img" not in html and "onerror=alert(1)&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;a href=http://evil/phish&gt;请点此批准&lt;/a&gt;" in html
    anchors = _Anchors()
    anchors.feed(html)
    assert "img" not in anchors.tags
    assert not [h for h in anchors.hrefs if "evil" in (h or "")]


def test_the_subject_is_one_line_of_simplified_chinese_whatever_the_case_holds(
        outbox_db, smtp, policy):
    _ask(policy, label="投诉处理\r\nBcc: attacker@evil.example\x1b[2J")
    dispatch_pending()
    wait_for(lambda: smtp.messages, what="the approval mail")
    [mail] = smtp.messages
    subject = mail["subject"]
    assert "\n" not in subject and "\r" not in subject and "\x1b" not in subject
    assert subject.startswith("【待审批】投诉 TS-2026-000042：投诉处理 Bcc: attacker")
    assert _t2s.convert(subject) == subject
    assert mail["message"]["Bcc"] is None
    assert mail["to"] == [policy.organisation.person("chen.qe").email]


def test_an_injected_customer_email_is_refused_naming_the_field():
    with pytest.raises(ValueError) as refused:
        checked_email(INJECTED)
    message = str(refused.value)
    assert message.startswith("email: ") and "\n" not in message
    assert "&" in message.split("contains", 1)[1]
    for bad in ("a b@c.example", '"x"@c.example', "a,b@c.example", "<a@c.example>",
                "a+tag@c.example", "a?x=1@c.example", "a@c", "a@-c.example", "@c.example",
                "a@c.example\nBcc: d@e.example", "x" * 65 + "@c.example"):
        with pytest.raises(ValueError, match=r"^email: "):
            checked_email(bad)
    assert checked_email(" li.ming@kehu-163.example ") == "li.ming@kehu-163.example"


def _reply(policy, email: str) -> int:
    customer = Customer(name="王總", phone="13800000000", email=email,
                        created_at=datetime(2026, 11, 27, tzinfo=UTC))
    context = {"complaint": SimpleNamespace(number="TS-2026-000042", content="x",
                                            received_at=datetime(2026, 11, 27, tzinfo=UTC)),
               "department": None, "handler": None, "promise": None}
    with session_scope() as session:
        return notify_customer(session, policy, key=f"TS-2026-000042:reply:{email[:20]}",
                               process="complaint", case_number="TS-2026-000042",
                               event="complaint_reply", customer=customer, context=context).id


def test_a_customer_with_the_injected_email_gets_no_mail_and_nobody_else_does(
        outbox_db, smtp, policy):
    row_id = _reply(policy, INJECTED)
    dispatch_pending(ignore_backoff=True)
    assert smtp.messages == []
    with session_scope() as session:
        row = session.get(Notification, row_id)
        assert row.status == "no_channel" and row.last_error.startswith("email: ")
        assert row.address is None

    _reply(policy, "c3@b.example")              # the same customer, the address alone
    assert dispatch_pending() == {"sent": 1, "failed": 0}
    wait_for(lambda: smtp.messages, what="the reply")
    [mail] = smtp.messages
    assert mail["to"] == ["c3@b.example"] and mail["sender"] == "kefu@distillery.example"
    headers = mail["message"]
    assert headers["From"] == "kefu@distillery.example"
    assert headers["Reply-To"] is None and headers["Bcc"] is None


def test_a_policy_with_an_injected_email_does_not_load_and_names_the_key(tmp_path):
    from policy.load import DEFAULT_POLICY, PolicyError, load_policy

    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    data["organisation"]["people"][0]["email"] = INJECTED
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"organisation\.people.*\.email: .*not allowed in an e-mail address"):
        load_policy(path)


def test_filing_a_complaint_with_the_injected_email_exits_2_naming_the_email(offline_kefu):
    done = offline_kefu.run("complaint", "file", "--channel", "phone", "--customer", "王總",
                            "--phone", "13800000000", "--content", "酒味不对", "--email", INJECTED,
                            check=False)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: --email: ") and "not allowed in an e-mail address" in line
    assert offline_kefu.json("complaint", "list") == []


# --- group robots --------------------------------------------------------------------------

DINGTALK = "https://oapi.dingtalk.com/robot/send"
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
FEISHU = "https://open.feishu.cn/open-apis/bot/v2/hook/feishutoken123/"
ROBOTS = ["dingtalk://dingsecret@dingtoken123/", "wecombot://wecomkey123",
          "feishu://feishutoken123"]


def _robots_policy(policy):
    people = [p.model_copy(update={"apprise": ROBOTS}) if p.key == "chen.qe" else p
              for p in policy.organisation.people]
    return policy.model_copy(update={"organisation": policy.organisation.model_copy(
        update={"people": people})})


def _posted(calls, url: str) -> dict:
    [call] = [c for c in calls if c.request.url.split("?")[0] == url]
    return json.loads(call.request.body)


def _no_markup_from_the_case(text: str) -> None:
    assert "<img" not in text and "<a href" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert MD_PHISH not in text and r"\[请点此批准\](http://evil/phish)" in text  # escaped


def test_each_group_robot_gets_its_rich_message_with_the_signed_link(outbox_db, smtp, policy):
    with responses.RequestsMock() as robots:
        robots.post(DINGTALK, json={"errcode": 0, "errmsg": "ok"})
        robots.post(WECOM, json={"errcode": 0, "errmsg": "ok"})
        robots.post(FEISHU, json={"code": 0, "msg": "success"})
        _ask(_robots_policy(policy))
        assert dispatch_pending() == {"sent": 1, "failed": 0}
        calls = list(robots.calls)
    wait_for(lambda: smtp.messages, what="the mail, sent as well")

    dingtalk = _posted(calls, DINGTALK)
    assert dingtalk["msgtype"] == "markdown"
    assert dingtalk["markdown"]["title"].startswith("【待审批】投诉 TS-2026-000042")
    assert f"[打开并办理]({LINK})" in dingtalk["markdown"]["text"]
    assert "TS-2026-000042" in dingtalk["markdown"]["text"]
    _no_markup_from_the_case(dingtalk["markdown"]["text"])
    signed = [c for c in calls if c.request.url.startswith(DINGTALK)][0].request.url
    assert "timestamp=" in signed and "sign=" in signed     # the URL's secret signs it

    wecom = _posted(calls, WECOM)
    assert wecom["msgtype"] == "markdown"
    assert f"[打开并办理]({LINK})" in wecom["markdown"]["content"]
    _no_markup_from_the_case(wecom["markdown"]["content"])
    assert [c for c in calls if c.request.url.startswith(WECOM)][0].request.url.endswith(
        "key=wecomkey123")

    feishu = _posted(calls, FEISHU)
    assert feishu["msg_type"] == "interactive"
    card = feishu["card"]
    assert card["header"]["title"]["content"].startswith("【待审批】投诉 TS-2026-000042")
    [buttons] = [e["actions"] for e in card["elements"] if e["tag"] == "action"]
    assert buttons == [{"tag": "button", "type": "primary", "url": LINK,
                        "text": {"tag": "plain_text", "content": "打开并办理"}}]
    texts = [e["text"] for e in card["elements"] if e["tag"] == "div"]
    assert texts and {t["tag"] for t in texts} == {"plain_text"}  # nothing read as markup
    assert any(IMG in t["content"] for t in texts)


def test_a_robot_that_answers_with_an_error_code_is_retried_later():
    with responses.RequestsMock() as robots:
        robots.post(WECOM, json={"errcode": 93000, "errmsg": "invalid webhook url"})
        error = deliver(["wecombot://wecomkey123"], "标题", "内容")
    assert error and "93000" in error
