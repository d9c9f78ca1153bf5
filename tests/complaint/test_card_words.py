"""Issue 21 §10: the 客户投诉表 card (``kefu complaint show``, the dashboard) names people by
name and title and says 同意/处理中/电话 — not chen.qe, approve, handling, phone."""

from __future__ import annotations

from policy.load import load_policy
from tasks.complaint.card import case_card_markdown, case_card_text
from tests.complaint.test_complaint_steps import db, file, run_to_feedback  # noqa: F401
from tests.test_words_not_codes import codes_in

COMPLAINT_CODES = ("phone", "handling", "feedback", "reply", "register", "chen.qe", "liu.quality",
                   "zhou.ops", "wu.ops", "sun.admin")


def test_the_complaint_card_shows_words_where_it_stored_codes(db):
    policy = load_policy()
    number = file(policy, "酒的口感不对，有异味")
    run_to_feedback(policy, number)
    for card in (case_card_text(number), case_card_markdown(number)):
        assert codes_in(card) == []
        assert [code for code in COMPLAINT_CODES if code in card] == []
        assert "待客户反馈" in card and "电话" in card
        assert "陈工（质量工程师）" in card and "同意 · " in card
        assert "答复客户" in card and "处理完毕" in card and "发出客户处理反馈单" in card
