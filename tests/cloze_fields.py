"""Form fields with the right answer of every gap of a cloze question, read off its page."""

from __future__ import annotations

import re
from typing import Any


def cloze_right_fields(question: Any, block: str) -> dict[str, list[str]]:
    """The right answer of every gap of a cloze; choice gaps by the token shown for it."""
    fields = {}
    for gap in question.gaps:
        name = f"q-{question.id}-g{gap.key}"
        if gap.options:
            select = re.search(rf'<select name="{name}".*?</select>', block, re.S).group(0)
            right = next(o.text for o in gap.options if o.is_correct)
            fields[name] = [re.search(rf'<option value="(\d+)"[^>]*>{re.escape(right)}</option>',
                                      select).group(1)]
        else:
            fields[name] = [gap.answers[0] if gap.answers else f"{gap.number_answer.value:g}"]
    return fields
