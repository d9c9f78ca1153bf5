"""The applicant withdraws a 立项申请书 still in the approval chain: the project ends, every
open question is withdrawn, and the company may be applied for again; after 立项 only the
review group ends a project (000 D8 §4.3). Steps on a real (SQLite) database."""

from __future__ import annotations

import pytest
from test_new_customer_steps import (  # noqa: F401  (db: the steps tests' fixture)
    apply,
    db,
    decide_as_assignee,
    pass_chain,
)
from typer.testing import CliRunner

from models import ApprovalTask
from models.db import session_scope
from policy.load import load_policy
from tasks.approvals import ApprovalError, inbox_tasks
from tasks.new_customer import case
from tasks.new_customer.card import prospect_view
from tasks.new_customer.rules import ProspectError


def test_the_applicant_withdraws_an_application_and_its_questions_go_away(db):
    from cli.main import app

    policy = load_policy()
    number = apply(policy)
    feasibility = case.request_chain_step(policy, number, "application", 0, 1)
    done = CliRunner().invoke(app, ["new-customer", "withdraw", number, "--reason", "客户已被竞争对手签下"])
    assert done.exit_code == 0, done.output
    assert "立项申请已撤回" in done.output
    view = prospect_view(number)
    assert view["status"] == "withdrawn"
    assert [a["status"] for a in view["approvals"]] == ["cancelled"]
    assert view["events"][-1]["kind"] == "withdrawn"
    assert view["events"][-1]["reason"] == "客户已被竞争对手签下"
    with session_scope() as session:
        assert inbox_tasks(session, "lin.dev") == []
    with pytest.raises(ApprovalError, match="already decided"):
        decide_as_assignee(policy, feasibility)
    with session_scope() as session:
        assert session.get(ApprovalTask, feasibility).status == "cancelled"
    assert apply(policy) != number                      # the company may be applied for again


def test_an_approved_project_or_a_withdrawal_without_a_reason_is_refused(db):
    policy = load_policy()
    number = apply(policy)
    with pytest.raises(ProspectError, match="--reason: say why"):
        case.withdraw(policy, number, "  ")
    assert pass_chain(policy, number, "application") == "approved"
    with pytest.raises(ProspectError, match="--reason: .* is budget_due: only an application"):
        case.withdraw(policy, number, "不做了")
    assert prospect_view(number)["status"] == "budget_due"
