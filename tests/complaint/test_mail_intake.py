"""Intake by mail (issue 17 §2): a mail delivered to the complaints mailbox becomes exactly one
written complaint (书面投诉), also after a second poll — against a real IMAP server (Debian's
dovecot-imapd) that the test starts with a config of its own, and the real ``kefu`` CLI."""

from __future__ import annotations

import base64
import imaplib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from conftest import ROOT, wait_for

from runtime.ports import free_port
from tasks.complaint.intake import IntakeError
from tasks.complaint.mail_intake import complaint_from_mail
from tasks.mail_reader import IncomingMail

USER, PASSWORD = "kefu", "mailbox-secret"
DOVECOT_MISSING = ("DOVECOT IS NOT INSTALLED OR DID NOT START ({why}): the mail-intake tests NOT "
                   "run — `apt-get install dovecot-imapd` (scripts/setup does it as root)")


@dataclass
class ImapServer:
    port: int
    tls_port: int  # imaps with a self-signed certificate nobody trusts

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def deliver(self, raw: bytes) -> None:
        """Put a mail into the INBOX as a mail server's delivery does (IMAP APPEND)."""
        with imaplib.IMAP4("127.0.0.1", self.port, timeout=10) as client:
            client.login(USER, PASSWORD)
            status, answer = client.append("INBOX", None, None, raw)
            assert status == "OK", answer


def _accounts() -> tuple[int, int, str]:
    """The uid/gid mail is stored as, and the settings for who runs what: dovecot refuses to
    read mail as root, so as root the mail belongs to nobody and the auth service, which reads
    the users file in tmp_path (not open to others), runs as root; otherwise everything runs
    as this user."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid, "service auth {\n  user = root\n}"
    me = pwd.getpwuid(os.geteuid()).pw_name
    return os.geteuid(), os.getegid(), (f"default_login_user = {me}\ndefault_internal_user = {me}\n"
                                        f"default_internal_group = {me}")


@pytest.fixture()
def imap_server(tmp_path):
    """dovecot on 127.0.0.1 and a free port, with its own config, run directory, state, log
    and maildir; a passwd-file user. No system service is touched (``-F``: it stays our
    child, own ``base_dir`` and ``instance_name``), and it is stopped at the end."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        pytest.skip(DOVECOT_MISSING.format(why="no dovecot binary"))
    uid, gid, settings = _accounts()
    mail = Path(tempfile.mkdtemp(prefix="kefu-maildir-"))  # outside tmp_path: nobody reads it
    os.chown(mail, uid, gid)
    port, tls_port = free_port(), free_port()
    _self_signed(tmp_path)
    (tmp_path / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
    (tmp_path / "users").chmod(0o644)
    (tmp_path / "dovecot.conf").write_text(f"""
instance_name = kefu-test-{port}
base_dir = {tmp_path}/run
state_dir = {tmp_path}/state
log_path = {tmp_path}/dovecot.log
{settings}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{tmp_path}/cert.pem
ssl_key = <{tmp_path}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{mail}/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {tmp_path}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
""", encoding="utf-8")
    server = subprocess.Popen([binary, "-F", "-c", str(tmp_path / "dovecot.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    box = ImapServer(port, tls_port)

    def answers() -> bool:
        if server.poll() is not None:
            return True
        try:
            with imaplib.IMAP4("127.0.0.1", port, timeout=2) as client:
                return client.login(USER, PASSWORD)[0] == "OK"
        except (OSError, imaplib.IMAP4.error):
            return False

    try:
        wait_for(answers, timeout=30, what="dovecot")
    except AssertionError:
        server.kill()
        server.wait()
    if server.poll() is not None:
        log = tmp_path / "dovecot.log"
        why = (server.stderr.read().decode(errors="replace") if server.stderr else "") or (
            log.read_text(errors="replace") if log.exists() else "no log")
        shutil.rmtree(mail, ignore_errors=True)
        pytest.skip(DOVECOT_MISSING.format(why=why.strip().splitlines()[-1] if why.strip() else "?"))
    yield box
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    shutil.rmtree(mail, ignore_errors=True)


def _self_signed(folder: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=7)).sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _mail(message_id: str, sender: str, headers: str, body: bytes, subject: str = "") -> bytes:
    head = (f"From: {sender}\r\nTo: kefu@distillery.example\r\nMessage-ID: {message_id}\r\n"
            f"Date: Sat, 05 Dec 2026 09:00:00 +0800\r\nMIME-Version: 1.0\r\n")
    if subject:
        head += f"Subject: {subject}\r\n"
    return (head + headers + "\r\n").encode("ascii") + body


def _gb18030_mail() -> bytes:
    """As Foxmail sends it: labelled GB2312, base64, with a name only GB18030 has (䶮)."""
    name = base64.b64encode("王䶮".encode("gb18030")).decode()
    subject = base64.b64encode("酒的口感不对".encode("gb18030")).decode()
    body = base64.b64encode("上周买的白酒有异味，口感不对。\r\n我的电话：138-0013-8000\r\n".encode("gb18030"))
    return _mail("<gb18030-1@foxmail.example>", f"=?GB2312?B?{name}?= <wangyan@example.cn>",
                 'Content-Type: text/plain; charset="gb2312"\r\nContent-Transfer-Encoding: base64\r\n',
                 body + b"\r\n", subject=f"=?GB2312?B?{subject}?=")


def _html_only_mail() -> bytes:
    html = ("<html><head><style>p {color: red}</style><title>投诉</title></head><body>"
            "<p>收到的酒瓶盖扭断了，&lt;包装&gt;也破损，\n要求退货。</p>"
            "<div>联系电话：021-55550000</div><script>alert(1)</script></body></html>")
    import quopri

    return _mail("<html-1@webmail.example>", "=?UTF-8?B?5p2O5aic?= <lina@example.cn>",
                 'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n',
                 quopri.encodestring(html.encode("utf-8")) + b"\r\n")


def _mail_without_phone() -> bytes:
    return _mail("<plain-1@example.cn>", "zhao@example.cn",
                 'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n',
                 "客服的态度很差，电话打不通。\r\n".encode(), subject="=?UTF-8?B?5oqV6K+J?=")


def _empty_mail() -> bytes:
    return _mail("<empty-1@example.cn>", "nobody@example.cn",
                 'Content-Type: text/plain; charset="utf-8"\r\n', b"\r\n")


def _numbers(kefu) -> set[str]:
    return {row["number"] for row in kefu.json("complaint", "list")}


def test_a_mail_to_the_complaints_mailbox_becomes_exactly_one_written_complaint(imap_server, offline_kefu):
    offline_kefu.env["KEFU_MAILBOX_URL"] = imap_server.url
    for raw in (_gb18030_mail(), _html_only_mail(), _mail_without_phone(), _empty_mail()):
        imap_server.deliver(raw)

    first = offline_kefu.run("mailbox", "poll").stdout.splitlines()

    assert first[-1] == f"imap://{USER}@127.0.0.1:{imap_server.port}/INBOX: 4 new mail(s), 3 filed, 1 not filed"
    refused = [line for line in first if line.startswith("not filed")]
    assert refused == ["not filed  nobody@example.cn  <empty-1@example.cn>: --content: the "
                       "complaint's content is empty (recorded; not tried again)"]
    cases = {number: offline_kefu.show(number) for number in _numbers(offline_kefu)}
    assert len(cases) == 3
    by_email = {case["customer"]["email"]: case for case in cases.values()}
    assert set(by_email) == {"wangyan@example.cn", "lina@example.cn", "zhao@example.cn"}
    assert {case["channel"] for case in cases.values()} == {"written"}

    gb = by_email["wangyan@example.cn"]
    assert gb["customer"]["name"] == "王䶮"
    assert gb["customer"]["phone"] == "138-0013-8000"
    assert gb["content"] == "酒的口感不对\n\n上周买的白酒有异味，口感不对。\n我的电话：138-0013-8000"

    html = by_email["lina@example.cn"]
    assert html["customer"]["name"] == "李娜"
    assert html["customer"]["phone"] == "021-55550000"
    assert html["content"] == "收到的酒瓶盖扭断了，<包装>也破损， 要求退货。\n\n联系电话：021-55550000"

    no_phone = by_email["zhao@example.cn"]
    assert no_phone["customer"]["name"] == "zhao@example.cn"
    assert no_phone["customer"]["phone"] == "00000000000"  # the policy's phone_when_missing

    second = offline_kefu.run("mailbox", "poll").stdout.splitlines()

    assert second == [f"imap://{USER}@127.0.0.1:{imap_server.port}/INBOX: 0 new mail(s), 0 filed, 0 not filed"]
    assert _numbers(offline_kefu) == cases.keys()

    imap_server.deliver(_mail("<later-1@example.cn>", "wangyan@example.cn",
                              'Content-Type: text/plain; charset="utf-8"\r\n',
                              "又发现一瓶有沉淀。13800138000\r\n".encode()))
    third = offline_kefu.run("mailbox", "poll").stdout.splitlines()

    assert third[0].startswith("filed ") and third[0].endswith("<later-1@example.cn>")
    assert len(_numbers(offline_kefu)) == 4


def _from(name: str, address: str, text: str) -> IncomingMail:
    return IncomingMail(message_id=f"<{address}>", sender_name=name, sender_address=address,
                        recipients=("kefu@distillery.example",), subject="投诉", text=text, automatic=False)


def test_two_senders_of_one_name_without_a_phone_number_are_two_customers(policy):
    first = complaint_from_mail(policy, _from("王先生", "a@example.cn", "酒有异味"))
    second = complaint_from_mail(policy, _from("王先生", "b@example.cn", "酒有异味"))
    with_phone = complaint_from_mail(policy, _from("王先生", "c@example.cn", "酒有异味，电话13900139000"))

    assert (first.customer, first.phone) == ("王先生（a@example.cn）", "00000000000")
    assert (second.customer, second.phone) == ("王先生（b@example.cn）", "00000000000")
    assert (with_phone.customer, with_phone.phone) == ("王先生", "13900139000")
    assert first.channel == "written" and first.content == "投诉\n\n酒有异味"


def test_an_auto_reply_or_a_mail_to_another_address_is_not_a_complaint(policy):
    auto = IncomingMail(message_id="<x>", sender_name="", sender_address="a@example.cn",
                        recipients=(), subject="自动回复", text="我在休假", automatic=True)
    with pytest.raises(IntakeError, match="automatic"):
        complaint_from_mail(policy, auto)
    shared = policy.model_copy(update={"complaint": policy.complaint.model_copy(update={
        "mailbox": policy.complaint.mailbox.model_copy(update={"address": "kefu@distillery.example"})})})
    with pytest.raises(IntakeError, match="not addressed to the complaints address"):
        complaint_from_mail(shared, replace(_from("李娜", "l@example.cn", "x"),
                                            recipients=("sales@distillery.example",)))


def test_a_bad_mailbox_url_an_unreachable_mailbox_or_a_refused_login_is_one_line(imap_server, offline_kefu):
    offline_kefu.env["KEFU_MAILBOX_URL"] = "pop3://kefu:x@127.0.0.1/INBOX"
    bad = offline_kefu.run("mailbox", "poll", check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: KEFU_MAILBOX_URL: 'pop3' is not imap:// or imaps://"

    offline_kefu.env["KEFU_MAILBOX_URL"] = f"imaps://kefu:x@127.0.0.1:{free_port()}/INBOX"
    down = offline_kefu.run("mailbox", "poll", check=False)
    assert down.returncode == 2
    assert down.stderr.startswith("error: mailbox: imaps://kefu@127.0.0.1:") and "cannot connect" in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1

    offline_kefu.env["KEFU_MAILBOX_URL"] = imap_server.url.replace(PASSWORD, "wrong")
    refused = offline_kefu.run("mailbox", "poll", check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (f"error: mailbox: imap://{USER}@127.0.0.1:{imap_server.port}/INBOX: "
                                      "[AUTHENTICATIONFAILED] Authentication failed.")

    offline_kefu.env["KEFU_MAILBOX_URL"] = imap_server.url.replace("/INBOX", "/没有")
    missing = offline_kefu.run("mailbox", "poll", check=False)
    assert missing.returncode == 2 and missing.stderr.strip().endswith("no folder '没有'")


def test_a_folder_with_a_chinese_name_is_read(imap_server, offline_kefu):
    with imaplib.IMAP4("127.0.0.1", imap_server.port, timeout=10) as client:
        client.login(USER, PASSWORD)
        assert client.create('"&YpWLyQ-"')[0] == "OK"  # 投诉, as IMAP writes it (modified UTF-7)
        assert client.append('"&YpWLyQ-"', None, None, _html_only_mail())[0] == "OK"
    offline_kefu.env["KEFU_MAILBOX_URL"] = imap_server.url.replace("/INBOX", "/%E6%8A%95%E8%AF%89")

    polled = offline_kefu.run("mailbox", "poll").stdout.splitlines()

    assert polled[-1] == (f"imap://{USER}@127.0.0.1:{imap_server.port}/投诉: "
                          "1 new mail(s), 1 filed, 0 not filed")



def test_the_scheduled_mailbox_flow_files_new_mail_once(imap_server, offline_kefu, prefect_api):
    """The ``mailbox`` deployment's flow (prefect.yaml), run twice against a real Prefect server."""
    imap_server.deliver(_gb18030_mail())
    env = {**offline_kefu.env, "KEFU_MAILBOX_URL": imap_server.url,
           "KEFU_PREFECT_API_URL": prefect_api, "PREFECT_API_URL": prefect_api}
    script = "from flows.mailbox_intake import mailbox_intake; print(mailbox_intake()['filed'])"
    runs = [subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=180, check=True).stdout.splitlines()[-1] for _ in range(2)]

    assert runs == [f"[{sorted(_numbers(offline_kefu))[0]!r}]", "[]"]
    assert len(_numbers(offline_kefu)) == 1


def test_imaps_refuses_a_certificate_nobody_trusts_unless_the_url_says_verify_no(imap_server, offline_kefu):
    imap_server.deliver(_mail_without_phone())
    url = f"imaps://{USER}:{PASSWORD}@127.0.0.1:{imap_server.tls_port}/INBOX"
    offline_kefu.env["KEFU_MAILBOX_URL"] = url

    refused = offline_kefu.run("mailbox", "poll", check=False)

    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: mailbox: imaps://{USER}@127.0.0.1:{imap_server.tls_port}/INBOX: "
                                     "certificate not trusted (self-signed certificate)")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert _numbers(offline_kefu) == set()

    offline_kefu.env["KEFU_MAILBOX_URL"] = url + "?verify=no"
    accepted = offline_kefu.run("mailbox", "poll").stdout.splitlines()

    assert accepted[-1].endswith("1 new mail(s), 1 filed, 0 not filed")


def test_two_polls_at_once_file_each_mail_once(imap_server, offline_kefu):
    for raw in (_gb18030_mail(), _html_only_mail(), _mail_without_phone()):
        imap_server.deliver(raw)
    env = {**offline_kefu.env, "KEFU_MAILBOX_URL": imap_server.url}
    polls = [subprocess.Popen([sys.executable, "-m", "cli.main", "mailbox", "poll"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [poll.communicate(timeout=120) for poll in polls]

    assert [poll.returncode for poll in polls] == [0, 0], outputs
    filed = [line for out, _ in outputs for line in out.splitlines() if line.startswith("filed ")]
    assert len(filed) == 3
    assert len(_numbers(offline_kefu)) == 3
