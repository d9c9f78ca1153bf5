"""One company is one company whatever script its name is written in (000 D8 §2: a new
customer is outside the current customer list; one open project per prospect): 华东铸造厂 and
華東鑄造廠 are the same. Steps on a real (SQLite) database."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from test_new_customer_steps import apply, db  # noqa: F401  (db: the steps tests' fixture)

from models import Customer, Prospect
from models.db import session_scope
from policy.load import load_policy
from tasks.new_customer.rules import ProspectError, company_key


def prospects() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Prospect))


def test_a_name_in_traditional_script_is_the_same_company_as_in_simplified():
    assert company_key("華東鑄造廠") == company_key("华东铸造厂") == company_key(" 华东 铸造厂 ")
    assert company_key("ＡＢＣ铸造") == company_key("abc鑄造")
    assert company_key("华东铸造厂") != company_key("华南铸造厂")


def test_an_open_project_under_the_other_script_refuses_the_application(db):
    policy = load_policy()
    first = apply(policy, name="华东铸造厂")
    with pytest.raises(ProspectError, match=f"--name: 華東鑄造廠 已有进行中的开发项目 {first}（华东铸造厂）"):
        apply(policy, name="華東鑄造廠")
    assert prospects() == 1


def test_a_customer_under_the_other_script_is_not_a_new_customer(db):
    policy = load_policy()
    with session_scope() as session:
        session.add(Customer(name="華東鑄造廠", phone="021-55550000",
                             created_at=datetime.fromisoformat("2025-01-01T09:00:00+08:00")))
    for name in ("华东铸造厂", "華東鑄造廠"):
        with pytest.raises(ProspectError, match=r"--name: .* 已是客户（華東鑄造廠）.*000 D8 第二条"):
            apply(policy, name=name)
    assert prospects() == 0
