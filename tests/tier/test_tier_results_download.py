"""Issue 21 §10: a mail never points at a server path. The published tier results are linked
through the inbox, where the people told of them download the workbook after logging in."""

from __future__ import annotations

import subprocess
from types import SimpleNamespace

import httpx
from conftest import KEFU, ROOT

from runtime.ports import free_port
from tests.test_inbox import PASSWORD, Site, serve_inbox
from tests.tier.test_tier_outputs import assessment  # noqa: F401

SERVER_PATH = "/var/lib/kefu/tiers/DJ-2027.xlsx"
URL = "https://inbox.distillery.example/files/tiers/DJ-2027.xlsx"


def test_the_results_mail_links_the_workbook_in_the_inbox_not_a_server_path(policy):
    from notifications.render import compose

    context = {"policy": policy, "tz": "Asia/Shanghai", "recipient": policy.organisation.person("he.sales"),
               "assessment": SimpleNamespace(year=2027, result_file=SERVER_PATH),
               "counts": {"A": 1, "B": 0, "C": 0}, "grades": ["A", "B", "C"], "a_list": ["某酒行"],
               "decision": {"a_support_plan": "", "special_policies": [], "credit_terms": []},
               "file_url": URL}
    for locale in ("zh-CN", "zh-TW", "en"):
        message = compose("tier_published", locale, context)
        assert SERVER_PATH not in message.body and "/var/" not in message.body
        assert URL in message.body
        assert message.document["action"]["url"] == URL


def test_the_people_told_download_the_results_after_login_and_nobody_else(offline_kefu, assessment,  # noqa: F811
                                                                          tmp_path):
    from models import ApprovalTask
    from models.db import session_scope
    from policy.load import load_policy
    from tasks.tier.case import get, results_url, write_workbook
    from tasks.tier.rules import final_grades

    policy = load_policy()
    with session_scope() as session:
        found = get(session, assessment)
        found.results = final_grades(found.proposals, {}, {})
        found.result_file = str(write_workbook(policy, found, ApprovalTask(decided_by="ma.promo",
                                                                           decision_data={})))
        found.status = "published"
    for person in ("he.sales", "chen.qe"):
        done = subprocess.run([*KEFU, "users", "set-password", person, "--password-stdin"],
                              env=offline_kefu.env, cwd=ROOT, input=PASSWORD + "\n", text=True,
                              capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
    port = free_port()
    env = {**offline_kefu.env, "KEFU_INBOX_URL": f"http://127.0.0.1:{port}"}
    with serve_inbox(env, port, tmp_path / "inbox.log") as base:
        site = Site(env, base, None)
        path = results_url(policy, assessment).removeprefix(_inbox(policy))
        assert path == f"/files/tiers/{assessment}.xlsx"
        anonymous = httpx.get(base + path, follow_redirects=False)
        assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
        sales = site.login("he.sales").get(path)         # 销售部长: the results were sent to sales
        assert sales.status_code == 200 and sales.content.startswith(b"PK")
        assert "spreadsheetml" in sales.headers["content-type"]
        assert site.login("chen.qe").get(path).status_code == 404    # quality: not told
        assert site.login("he.sales").get("/files/tiers/DJ-2099.xlsx").status_code == 404


def _inbox(policy) -> str:
    from tasks.links import inbox_url

    return inbox_url(policy)
