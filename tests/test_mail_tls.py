"""Mail over STARTTLS to a real SMTP server with a self-signed certificate: verification is
still what the URL asks for (notifications/mail_tls.py defers and shares the TLS context
Apprise's mailer builds for every message), and plain mail loads no CA bundle at all."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import Mailbox, free_port

from models.db import PROJECT_ROOT
from notifications.send import deliver


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kefu test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "smtp.pem", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture()
def tls_mailbox(tmp_path):
    cert_file, key_file = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port, tls_context=server_context,
                            require_starttls=True)
    controller.start()
    box.cert_file = cert_file
    yield box
    controller.stop()


def _url(box: Mailbox, extra: str = "") -> str:
    return (f"mailto://127.0.0.1:{box.port}?from=kefu@test.example&to=ops@test.example"
            f"&mode=starttls{extra}")


def test_a_server_with_an_untrusted_certificate_is_refused(tls_mailbox, caplog):
    with caplog.at_level(logging.DEBUG, logger="apprise"):
        error = deliver([_url(tls_mailbox)], "标题", "内容")
    assert error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    assert tls_mailbox.messages == []


def test_verify_no_sends_to_the_same_server_and_leaves_verification_on_for_others(tls_mailbox):
    assert deliver([_url(tls_mailbox, "&verify=no")], "不验证", "内容") is None
    assert [m["subject"] for m in tls_mailbox.messages] == ["不验证"]
    # The unverified context was the mailer's own: the next verifying send still refuses.
    assert deliver([_url(tls_mailbox)], "验证", "内容") is not None
    assert len(tls_mailbox.messages) == 1


def test_a_trusted_server_gets_every_message_over_one_ca_bundle_load(tls_mailbox):
    """In a fresh process that trusts the test certificate (SSL_CERT_FILE), three verified
    messages are delivered and the CA bundle is loaded once."""
    script = textwrap.dedent(f"""
        import ssl
        loads = []
        original = ssl.SSLContext.load_default_certs
        def counted(self, *args, **kwargs):
            loads.append(1)
            return original(self, *args, **kwargs)
        ssl.SSLContext.load_default_certs = counted
        from notifications.send import deliver
        for n in range(3):
            assert deliver([{_url(tls_mailbox)!r}], f"第{{n}}封", "内容") is None
        print(len(loads))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, text=True,
                          capture_output=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "SSL_CERT_FILE": str(tls_mailbox.cert_file),
                               "PYTHONPATH": str(PROJECT_ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    assert sorted(m["subject"] for m in tls_mailbox.messages) == ["第0封", "第1封", "第2封"]


def test_plain_mail_loads_no_ca_bundle(mailbox, monkeypatch):
    loads = []
    original = ssl.SSLContext.load_default_certs

    def counted(self, *args, **kwargs):
        loads.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_default_certs", counted)
    url = f"mailto://127.0.0.1:{mailbox.port}?from=kefu@test.example&mode=insecure&to=plain@test.example"
    assert deliver([url], "明文", "内容") is None
    assert loads == []
    assert [m["subject"] for m in mailbox.to("plain@test.example")] == ["明文"]
