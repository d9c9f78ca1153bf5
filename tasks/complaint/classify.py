"""Classification of a complaint's text into the policy's categories (000 D2 §2.3)."""

from __future__ import annotations

from policy.complaint.schema import Category
from tasks.text import simplified


def classify(content: str, categories: list[Category]) -> str | None:
    """The category whose keywords occur most often in the text; on a tie, the one listed
    first in the policy. None when no keyword occurs: 营销办管理部 classifies it by hand.
    Text and keywords are compared in Simplified Chinese, so 發霉 matches the keyword 发霉."""
    text = simplified(content).casefold()
    best: tuple[int, str] | None = None
    for category in categories:
        hits = sum(text.count(simplified(word).casefold()) for word in category.keywords if word)
        if hits and (best is None or hits > best[0]):
            best = (hits, category.key)
    return None if best is None else best[1]
