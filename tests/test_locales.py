"""zh-CN is Simplified Chinese in every text a person reads; zh-TW is Traditional (OpenCC
is the judge of which characters belong to which script)."""

from __future__ import annotations

import re
from pathlib import Path

import opencc
import pytest
import yaml

from inbox.i18n import TEXT
from notifications.render import TEMPLATES

ROOT = Path(__file__).resolve().parents[1]
_CJK = re.compile(r"[\u4e00-\u9fff]")
_t2s = opencc.OpenCC("t2s")


def traditional_only(text: str) -> list[str]:
    """Characters of ``text`` that OpenCC turns into another character in Simplified."""
    return sorted({a for a, b in zip(text, _t2s.convert(text), strict=True) if a != b})


def _yaml_strings(node) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _yaml_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _yaml_strings(v)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.zh-CN.j2")), ids=lambda p: p.name)
def test_zh_cn_templates_are_simplified(path: Path):
    assert traditional_only(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.zh-CN.j2")), ids=lambda p: p.name)
def test_every_template_has_a_traditional_twin(path: Path):
    twin = path.with_name(path.name.replace(".zh-CN.", ".zh-TW."))
    assert twin.exists(), f"{twin.name} is missing"
    assert traditional_only(twin.read_text(encoding="utf-8")), f"{twin.name} is not Traditional"


def test_inbox_words_are_simplified_in_zh_cn_and_traditional_in_zh_tw():
    simplified = {key: words["zh-CN"] for key, words in TEXT.items()}
    assert {k: traditional_only(v) for k, v in simplified.items() if traditional_only(v)} == {}
    assert all(set(words) >= {"zh-CN", "zh-TW", "en"} for words in TEXT.values())
    assert traditional_only("".join(words["zh-TW"] for words in TEXT.values()))


@pytest.mark.parametrize("path", sorted((ROOT / "policy").rglob("*.yaml")), ids=lambda p: p.name)
def test_shipped_policies_are_simplified(path: Path):
    strings = _yaml_strings(yaml.safe_load(path.read_text(encoding="utf-8")))
    bad = {s: traditional_only(s) for s in strings if _CJK.search(s) and traditional_only(s)}
    assert bad == {}


def test_a_zh_tw_person_reads_traditional_and_a_zh_cn_person_simplified(policy, tmp_path, monkeypatch):
    """``locale: zh-TW`` on a person in the policy: their messages come in Traditional."""
    from models import Notification
    from models.db import session_scope
    from models.migrate import upgrade
    from tasks.notify import notify_person

    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    upgrade(url)
    people = [p.model_copy(update={"locale": "zh-TW"}) if p.key == "chen.qe" else p
              for p in policy.organisation.people]
    taiwan = policy.model_copy(update={"organisation": policy.organisation.model_copy(
        update={"people": people})})
    context = {"by": taiwan.organisation.person("liu.quality"), "inbox_url": "http://inbox/",
               "task": {"id": 1, "label": "投诉处理", "due_at": "2026-12-07T18:00:00+08:00"},
               "complaint": None, "case_number": "TS-2026-000001"}
    with session_scope() as session:
        for person in ("chen.qe", "liu.quality"):
            notify_person(session, taiwan, key="nudge", process="complaint",
                          case_number="TS-2026-000001", event="approval_nudge",
                          person_key=person, context=context)
    with session_scope() as session:
        rows = {r.recipient: r for r in session.query(Notification)}
    assert rows["chen.qe"].locale == "zh-TW" and rows["liu.quality"].locale == "zh-CN"
    assert "催辦" in rows["chen.qe"].title and traditional_only(rows["chen.qe"].body)
    assert "催办" in rows["liu.quality"].title
    assert traditional_only(rows["liu.quality"].title + rows["liu.quality"].body) == []
