"""Classification of a complaint's text into the policy's categories (000 D2 §2.3)."""

from __future__ import annotations

from policy.schema import Category


def classify(content: str, categories: list[Category]) -> str | None:
    """The category whose keywords occur most often in the text; on a tie, the one listed
    first in the policy. None when no keyword occurs: 營銷辦管理部 classifies it by hand."""
    text = content.casefold()
    best: tuple[int, str] | None = None
    for category in categories:
        hits = sum(text.count(word.casefold()) for word in category.keywords if word)
        if hits and (best is None or hits > best[0]):
            best = (hits, category.key)
    return None if best is None else best[1]
