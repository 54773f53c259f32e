"""Feedback under a text or number answer is shown to a learner who typed that answer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def post(client: Any, url: str, data: dict[str, str], page: str) -> Any:
    token = CSRF.search(client.get(page).get_data(as_text=True))
    assert token is not None
    return client.post(url, data={"csrf_token": token.group(1), **data})

UNIT = """---
id: zahlen
title: Zahlen
---

# Zahlen

::: question text id=wer inline
Wer ist im Grabmal bestattet?

- = niemand
  > Richtig: Grant und seine Frau ruhen dort über der Erde.
- = keiner
:::

::: question number id=wieviele inline
Wie viele Personen ruhen dort?

- = 2
  > Richtig: zwei Sarkophage.
:::
"""


def _course(folder: Path) -> Path:
    folder.mkdir()
    (folder / "course.md").write_text(
        '---\nformat: 1\nid: rueckmeldung\ntitle: Rückmeldung\nversion: "1"\nlanguage: de\n'
        "---\n\nText.\n", encoding="utf-8")
    (folder / "01-zahlen.md").write_text(UNIT, encoding="utf-8")
    return folder


def test_typed_answer_shows_its_feedback(tmp_path: Path, client: Any, make_user: Any,
                                         login: Any, import_course: Any) -> None:
    import_course(_course(tmp_path / "kurs"))
    make_user(("learner",), email="lea@example.org", name="Lea Lernende")
    assert login(client, "lea@example.org").status_code == 302
    unit = "/courses/rueckmeldung/units/zahlen"

    def check(question: str, answer: str) -> str:
        response = post(client, f"{unit}/check/{question}", {f"q-{question}": answer}, page=unit)
        assert response.status_code == 200
        return str(response.get_data(as_text=True))

    right = check("wer", " Niemand ")
    assert "feedback-right" in right and "Grant und seine Frau" in right
    assert "Grant und seine Frau" not in check("wer", "keiner")  # right, no feedback of its own
    assert "Grant und seine Frau" not in check("wer", "Grant")
    assert "zwei Sarkophage" in check("wieviele", "2")
    assert "zwei Sarkophage" not in check("wieviele", "3")
