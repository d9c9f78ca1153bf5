"""The survey's steps without Prefect (each one transaction, idempotent): a plan sent back and a
plan found not effective each start a new corrective-action round, due from the decision that
ended the one before; results that meet the target open none; a second import is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import ApprovalTask
from models.db import session_scope


@pytest.fixture()
def steps(offline_kefu, monkeypatch):
    for key in ("KEFU_DATABASE_URL", "KEFU_DATA_DIR"):
        monkeypatch.setenv(key, offline_kefu.env[key])
    monkeypatch.setenv("KEFU_NOW", "2026-11-23T10:00:00+08:00")
    from policy.load import load_policy
    from tasks.survey import case

    return load_policy(), case, monkeypatch


def _answers(path: Path, service: list[int]) -> Path:
    path.write_text("客户,服务质量\n" + "\n".join(f"c{i},{s}" for i, s in enumerate(service)),
                    encoding="utf-8")
    return path


def _decide(policy, task_id: int, actor: str, decision: str) -> None:
    from tasks.approvals import decide

    with session_scope() as session:
        decide(session, policy, task_id, actor=actor, decision=decision, comment="c")


def _due(task_id: int) -> str:
    with session_scope() as session:
        return session.get(ApprovalTask, task_id).due_at.isoformat()


def test_a_plan_sent_back_and_one_not_effective_each_start_a_new_round(steps, tmp_path):
    policy, case, monkeypatch = steps
    number = case.open_round(policy, 2026)
    assert case.open_round(policy, 2026) == number            # once a year
    case.request_results(policy, number)
    case.import_results(policy, number, _answers(tmp_path / "a.csv", [5, 5, 2]), "sun.admin")
    with pytest.raises(ValueError, match="^--round: MY-2026 is not waiting for its results"):
        case.import_results(policy, number, _answers(tmp_path / "b.csv", [5]), "sun.admin")
    assert case.apply_results(policy, number) == ["service"]

    plan = case.open_capa(policy, number, 1)
    assert case.open_capa(policy, number, 1) == plan           # idempotent
    case.submit_plan(policy, number, "sun.admin", "培训", "2026-12-18")
    assert case.apply_plan(policy, number, 1, plan) == "approval"
    approval = case.request_plan_approval(policy, number, 1)
    monkeypatch.setenv("KEFU_NOW", "2026-11-25T10:00:00+08:00")
    _decide(policy, approval, "zhao.director", "send_back")
    assert case.apply_plan_approval(policy, number, 1, approval) == "send_back"

    # Round 2: its plan is due 5 working days after the send-back (11-25 → 12-02).
    plan = case.open_capa(policy, number, 2)
    assert _due(plan).startswith("2026-12-02T10:00")
    _decide(policy, plan, "sun.admin", "approve")              # confirmed in the inbox
    assert case.apply_plan(policy, number, 2, plan) == "approval"
    view = case.survey_view(number)
    assert view["capa"][1]["plan"] == "c" and view["capa"][1]["due_at"].startswith("2026-12-25")
    approval = case.request_plan_approval(policy, number, 2)
    _decide(policy, approval, "zhao.director", "approve")
    assert case.apply_plan_approval(policy, number, 2, approval) == "approved"
    check = case.request_effect_check(policy, number, 2)
    monkeypatch.setenv("KEFU_NOW", "2026-12-26T10:00:00+08:00")
    from tasks.approvals import open_scheduled

    with session_scope() as session:
        assert open_scheduled(session, policy, check)
    _decide(policy, check, "zhao.director", "reject")
    assert case.apply_effect_check(policy, number, 2, check) == "not_effective"
    case.open_capa(policy, number, 3)
    assert [c["status"] for c in case.survey_view(number)["capa"]] == [
        "sent_back", "not_effective", "planning"]


def test_results_at_the_target_open_no_corrective_actions(steps, tmp_path):
    policy, case, _ = steps
    number = case.open_round(policy, 2025)
    case.request_results(policy, number)
    case.import_results(policy, number, _answers(tmp_path / "a.csv", [5] * 9 + [1]), "sun.admin")
    assert case.apply_results(policy, number) == []
    assert case.close_round(policy, number) == "met_target"


def test_only_the_organiser_enters_the_results_and_nothing_is_written_otherwise(steps, tmp_path):
    policy, case, _ = steps
    number = case.open_round(policy, 2024)
    case.request_results(policy, number)
    with pytest.raises(ValueError, match="assigned to sun.admin|sun.admin"):
        case.import_results(policy, number, _answers(tmp_path / "a.csv", [5]), "zheng.sales")
    assert case.survey_view(number)["responses"] is None
