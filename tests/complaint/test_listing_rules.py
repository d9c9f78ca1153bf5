"""Who sees which complaints (issue 17 §3) and how a case's timing is judged: plain rules,
read from the shipped policy, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tasks.complaint.listing import ComplaintFilter, departments_visible_to, may_see, timing_of


def test_case_viewers_see_every_department_and_a_head_only_their_own(policy):
    assert departments_visible_to(policy, "sun.admin") is None       # head:marketing_admin
    assert departments_visible_to(policy, "wang.gm") is None         # role:general_manager
    assert departments_visible_to(policy, "liu.quality") == {"quality"}
    assert departments_visible_to(policy, "chen.qe") == frozenset()
    assert departments_visible_to(policy, "nobody") == frozenset()
    assert may_see(None, None) and may_see({"quality"}, "quality")
    assert not may_see({"quality"}, None) and not may_see({"quality"}, "ops_office")


def test_a_case_is_overdue_once_a_clock_passed_and_at_risk_within_the_span():
    moment = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    risk_from = moment + timedelta(hours=4)
    assert timing_of(moment - timedelta(minutes=1), moment, risk_from) == "overdue"
    assert timing_of(moment + timedelta(hours=3), moment, risk_from) == "at_risk"
    assert timing_of(moment + timedelta(hours=5), moment, risk_from) == "on_time"
    assert timing_of(None, moment, risk_from) == "on_time"


@pytest.mark.parametrize(("wanted", "field"), [
    (ComplaintFilter(status="lost"), "status"), (ComplaintFilter(timing="late"), "timing"),
    (ComplaintFilter(limit=0), "limit"), (ComplaintFilter(offset=-1), "offset"),
    (ComplaintFilter(received_from=datetime(2026, 12, 2, tzinfo=UTC),
                     received_to=datetime(2026, 12, 1, tzinfo=UTC)), "received_to"),
])
def test_a_filter_that_can_match_nothing_names_its_field(wanted, field):
    assert wanted.problem()[0] == field


def test_a_case_viewer_the_organisation_does_not_know_is_refused_naming_it():
    import yaml
    from pydantic import ValidationError

    from policy.load import DEFAULT_POLICY
    from policy.schema import Policy

    raw = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    raw["complaint"]["case_viewers"] = ["role:nobody_has_it"]
    with pytest.raises(ValidationError, match=r"complaint\.case_viewers\[0\]"):
        Policy.model_validate(raw)
