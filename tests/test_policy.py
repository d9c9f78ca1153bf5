"""The policy file: the shipped default and variants load; a bad file names the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policy.base import Duration
from policy.load import DEFAULT_POLICY, SHIPPED, PolicyError, load_policy, policy_path


def _default_data() -> dict:
    return yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict, name: str = "policy.yaml") -> Path:
    path = tmp_path.resolve() / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _load_error(tmp_path: Path, data: dict) -> str:
    with pytest.raises(PolicyError) as caught:
        load_policy(_write(tmp_path, data))
    return str(caught.value)


# --- the shipped policies ---------------------------------------------------------------

def test_shipped_default_is_the_distillery_complaint_policy():
    policy = load_policy(DEFAULT_POLICY)
    deadlines = policy.complaint.deadlines
    assert policy.name == "distillery-d2"
    assert deadlines.registration == Duration(24, "hours")
    assert deadlines.reply == Duration(24, "hours")
    assert deadlines.handling == Duration(3, "working_days")
    assert deadlines.handling_special == Duration(7, "working_days")
    assert deadlines.feedback == Duration(24, "hours")
    assert [s.key for s in policy.complaint.handling_steps] == ["handling"]
    assert policy.complaint.return_rule.unconditional_return_days == 15
    assert policy.complaint.scoring.points_per_complaint == 1
    assert policy.complaint.retention.normal == Duration(365, "days")
    assert policy.complaint.retention.important is None


def test_default_policy_is_used_when_kefu_policy_is_unset(monkeypatch):
    monkeypatch.delenv("KEFU_POLICY", raising=False)
    assert policy_path() == DEFAULT_POLICY
    assert load_policy().name == "distillery-d2"


def test_doc13_variant_needs_quality_lead_then_manager_approval():
    policy = load_policy(SHIPPED / "variants" / "doc13.yaml")
    steps = policy.complaint.handling_steps
    assert policy.name == "complaint-doc13"
    assert [s.key for s in steps] == ["quality_review", "manager_approval"]
    assert [s.assignee for s in steps] == ["role:quality_lead", "role:general_manager"]
    assert steps[0].due == Duration(3, "days")
    assert all(s.on_reject == "restart" for s in steps)


def test_doc13_variant_replies_within_one_day_and_closes_within_a_week():
    deadlines = load_policy(SHIPPED / "variants" / "doc13.yaml").complaint.deadlines
    assert deadlines.reply == Duration(1, "days")
    assert deadlines.handling == Duration(7, "days")
    # Not overridden: inherited from the default through `extends`.
    assert deadlines.registration == Duration(24, "hours")


def test_doc13_variant_keeps_the_default_organisation():
    default = load_policy(DEFAULT_POLICY)
    doc13 = load_policy(SHIPPED / "variants" / "doc13.yaml")
    assert doc13.organisation == default.organisation
    assert doc13.complaint.categories == default.complaint.categories


def test_kefu_policy_names_a_shipped_variant(monkeypatch):
    monkeypatch.setenv("KEFU_POLICY", "doc13")
    assert policy_path() == SHIPPED / "variants" / "doc13.yaml"
    assert load_policy().name == "complaint-doc13"


def test_kefu_policy_may_be_a_path(monkeypatch, tmp_path):
    data = _default_data()
    data["name"] = "my-company"
    monkeypatch.setenv("KEFU_POLICY", str(_write(tmp_path, data)))
    assert load_policy().name == "my-company"


def test_kefu_policy_naming_nothing_is_refused(monkeypatch):
    monkeypatch.setenv("KEFU_POLICY", "no-such-variant")
    with pytest.raises(PolicyError, match="KEFU_POLICY"):
        policy_path()


def test_missing_policy_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "absent.yaml")


# --- durations as policies write them ---------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("24h", Duration(24, "hours")),
    ("24 hours", Duration(24, "hours")),
    ("3 working days", Duration(3, "working_days")),
    ("3 working_days", Duration(3, "working_days")),
    ("3 工作日", Duration(3, "working_days")),
    ("7 days", Duration(7, "days")),
    ("1 week", Duration(7, "days")),
    ("2 weeks", Duration(14, "days")),
    ("24小时", Duration(24, "hours")),
    ("30 min", Duration(30, "minutes")),
    (24, Duration(24, "hours")),
])
def test_durations_read_as_the_policy_states_them(text, expected):
    assert Duration.parse(text) == expected


# --- a bad policy file names the bad key ------------------------------------------------

def test_unknown_key_is_named(tmp_path):
    data = _default_data()
    data["complaint"]["deadlines"]["lunch_break"] = "1h"
    message = _load_error(tmp_path, data)
    assert "complaint.deadlines.lunch_break: unknown key" in message
    assert "policy.yaml" in message


def test_unknown_top_level_key_is_named(tmp_path):
    data = _default_data()
    data["colour"] = "red"
    assert "colour: unknown key" in _load_error(tmp_path, data)


def test_bad_duration_names_the_deadline(tmp_path):
    data = _default_data()
    data["complaint"]["deadlines"]["handling"] = "3 fortnights"
    message = _load_error(tmp_path, data)
    assert "complaint.deadlines.handling" in message
    assert "3 fortnights" in message


def test_category_with_unknown_department_is_refused(tmp_path):
    data = _default_data()
    data["complaint"]["categories"][0]["department"] = "logistics"
    message = _load_error(tmp_path, data)
    assert "complaint.categories #1 (quality).department" in message
    assert "logistics" in message


def test_person_whose_superior_does_not_exist_is_refused(tmp_path):
    data = _default_data()
    chen = next(p for p in data["organisation"]["people"] if p["key"] == "chen.qe")
    chen["superior"] = "ghost.boss"
    message = _load_error(tmp_path, data)
    assert "superior" in message
    assert "ghost.boss" in message


def test_escalation_ladder_must_number_its_levels_from_one(tmp_path):
    data = _default_data()
    ladder = data["complaint"]["escalation"]["ladder"]
    data["complaint"]["escalation"]["ladder"] = [ladder[0], {**ladder[2], "level": 3}]
    message = _load_error(tmp_path, data)
    assert "complaint.escalation.ladder" in message
    assert "[1, 3]" in message


def test_step_assigned_to_a_role_nobody_has_is_refused(tmp_path):
    data = _default_data()
    data["complaint"]["handling_steps"][0]["assignee"] = "role:astronaut"
    message = _load_error(tmp_path, data)
    assert "complaint.handling_steps #1 (handling).assignee" in message
    assert "astronaut" in message


def test_not_yaml_is_a_policy_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(path)


# --- extends ----------------------------------------------------------------------------

def test_extends_merges_mappings_over_the_parent(tmp_path):
    child = {"extends": str(DEFAULT_POLICY), "name": "child",
             "complaint": {"deadlines": {"handling": "5 working days"}}}
    policy = load_policy(_write(tmp_path, child))
    assert policy.name == "child"
    assert policy.complaint.deadlines.handling == Duration(5, "working_days")
    assert policy.complaint.deadlines.reply == Duration(24, "hours")


def test_extends_cycle_is_refused(tmp_path):
    _write(tmp_path, {"extends": "b.yaml", "name": "a"}, "a.yaml")
    _write(tmp_path, {"extends": "a.yaml", "name": "b"}, "b.yaml")
    with pytest.raises(PolicyError, match="cycle"):
        load_policy(tmp_path.resolve() / "a.yaml")


def test_policy_extending_itself_is_refused(tmp_path):
    path = _write(tmp_path, {"extends": "self.yaml", "name": "self"}, "self.yaml")
    with pytest.raises(PolicyError, match="cycle"):
        load_policy(path)


def test_extends_of_a_missing_file_is_a_policy_error(tmp_path):
    path = _write(tmp_path, {"extends": "nowhere.yaml", "name": "orphan"})
    with pytest.raises(PolicyError, match="extends"):
        load_policy(path)


# --- extends: a bad parent file is a PolicyError too ------------------------------------

def test_extending_an_empty_file_is_a_policy_error(tmp_path):
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    path = _write(tmp_path, {"extends": "empty.yaml", "name": "child"})
    with pytest.raises(PolicyError):
        load_policy(path)


def test_extending_a_file_that_is_not_yaml_is_a_policy_error(tmp_path):
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    path = _write(tmp_path, {"extends": "broken.yaml", "name": "child"})
    with pytest.raises(PolicyError):
        load_policy(path)


def test_extends_must_name_a_file(tmp_path):
    path = _write(tmp_path, {"extends": [1], "name": "child"})
    with pytest.raises(PolicyError, match="extends"):
        load_policy(path)
