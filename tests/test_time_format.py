"""One time format for people (issue 21 §4): every time a person reads — a CLI line, a
message, an error, a case card, an inbox page — is ``2027-01-19 10:00`` in the policy's time
zone, with its UTC offset when that zone is not Beijing time; JSON keeps ISO-8601 with the
offset."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import yaml

from notifications.render import LOCALES, compose
from policy.load import DEFAULT_POLICY
from tasks.deadlines import local_time

PEOPLE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
# What a person must never read: ISO's T, an offset of +00:00, seconds with microseconds.
RAW_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}|\+00:00|:\d{2}\.\d{6}")
FILING = ("complaint", "file", "--channel", "phone", "--customer", "张三", "--phone",
          "13800000000", "--content", "酒的口感不对")
NOW = "2026-12-02T10:00"


def assert_for_people(text: str) -> None:
    assert PEOPLE_TIME.search(text), text
    assert not RAW_TIME.search(text), text


def _policy_in(tmp_path, timezone: str) -> str:
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    data["calendar"]["timezone"] = timezone
    path = tmp_path / f"policy-{timezone.replace('/', '-')}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_a_time_reads_to_the_minute_in_beijing_time_without_a_label():
    moment = datetime(2027, 1, 19, 2, 0, 30, 123456, tzinfo=UTC)
    assert local_time(moment, "Asia/Shanghai") == "2027-01-19 10:00"
    assert local_time(moment.isoformat(), "Asia/Shanghai") == "2027-01-19 10:00"
    assert local_time(None, "Asia/Shanghai") == ""


def test_a_time_outside_beijing_time_carries_its_offset():
    moment = datetime(2027, 1, 19, 1, 0, tzinfo=UTC)
    assert local_time(moment, "Asia/Tokyo") == "2027-01-19 10:00 UTC+09:00"
    assert local_time(moment, "UTC") == "2027-01-19 01:00 UTC+00:00"
    assert local_time(moment, "America/St_Johns") == "2027-01-18 21:30 UTC-03:30"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_message_shows_due_times_in_the_policy_zone_labelled_outside_beijing_time(policy, locale):
    from test_templates import _contexts

    context = _contexts(policy, routed=True)["approval_requested"]  # due 2026-12-02 10:00 UTC
    beijing = compose("approval_requested", locale, context)
    tokyo = compose("approval_requested", locale, {**context, "tz": "Asia/Tokyo"})
    assert "2026-12-02 18:00" in beijing.title and "UTC+" not in beijing.body
    assert "2026-12-02 19:00 UTC+09:00" in tokyo.title
    assert "2026-12-02 19:00 UTC+09:00" in tokyo.body
    assert_for_people(beijing.title + beijing.body)


def test_cli_lines_show_times_for_people_and_json_keeps_iso_with_offset(offline_kefu):
    number = offline_kefu.run(*FILING, now=NOW).stdout.strip()
    special = offline_kefu.run("complaint", "special", number, "--as", "liu.quality",
                               "--reason", "需送检", now=NOW).stdout
    # 7 working days from Wed 2 Dec 2026 10:00: Fri 11 Dec at close of business.
    assert special.strip() == f"{number}: handling now due 2026-12-11 18:00"
    delegated = offline_kefu.run("users", "delegate", "wang.gm", "--to", "xu.deputy",
                                 "--until", "2026-12-31T18:00", now=NOW).stdout
    assert delegated.strip() == "xu.deputy may decide wang.gm's approvals until 2026-12-31 18:00"
    offline_kefu.run("api-keys", "create", "--name", "hotline", "--scope", "intake", now=NOW)
    offline_kefu.run("api-keys", "revoke", "hotline", now=NOW)
    keys = offline_kefu.run("api-keys", "list", now=NOW).stdout
    assert "revoked 2026-12-02 10:00" in keys
    for text in (special, delegated, keys, offline_kefu.run("complaint", "show", number).stdout):
        assert_for_people(text)
    shown = json.loads(offline_kefu.run("complaint", "show", number, "--json").stdout)
    assert datetime.fromisoformat(shown["received_at"]).utcoffset() is not None
    assert shown["received_at"] == "2026-12-02T02:00:00+00:00"


def test_cli_times_carry_the_offset_when_the_policy_is_not_on_beijing_time(offline_kefu, tmp_path):
    offline_kefu.env["KEFU_POLICY"] = _policy_in(tmp_path, "Asia/Tokyo")
    number = offline_kefu.run(*FILING, now=NOW).stdout.strip()
    special = offline_kefu.run("complaint", "special", number, "--as", "liu.quality",
                               "--reason", "需送检", now=NOW).stdout
    assert special.strip() == f"{number}: handling now due 2026-12-11 18:00 UTC+09:00"
    card = offline_kefu.run("complaint", "show", number).stdout
    assert "2026-12-02 10:00 UTC+09:00" in card  # received, in Tokyo time


def test_a_login_lock_in_the_audit_log_ends_at_a_time_for_people():
    from inbox.throttle import Lock

    lock = Lock("account", "chen.qe", datetime(2027, 1, 19, 2, 0, 7, 250000, tzinfo=UTC))
    assert lock.describe("Asia/Shanghai") == "account chen.qe locked until 2027-01-19 10:00"
