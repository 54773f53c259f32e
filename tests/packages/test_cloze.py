"""Cloze questions in packages: keys hashed per gap, the player's grading equal to the core's
(partial points per gap), gaps as labelled fields inline in the stem, keyboard-only and
accessible."""

from __future__ import annotations

import io
import itertools
import json
import subprocess  # nosec B404
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from learner import read_unit
from scorm_session import launch

from lernmodul.content import load_course
from lernmodul.core.grading import grade
from lernmodul.core.model import Course, GapKind, Question, QuestionType
from lernmodul.packages.data import player_data
from lernmodul.packages.keys import answer_hash, number_token, unseal
from lernmodul.packages.texts import texts_for

COURSE_MD = """---
format: 1
id: lueckentexte
title: Lückentexte
version: "1"
language: de
units:
  - 01-luecken
---
"""

UNIT_MD = """---
id: luecken
title: Lücken
---

Text.

::: question cloze id=lz-teil scoring=partial points=3
Die [[Straße|Strasse|Weg]] ist [[= 3,5 ± 0,5]] km lang und [[*breit|schmal|kurz]].
:::

::: question cloze id=lz-alle points=2
Rufen Sie [[110]] oder [[= 112]]; melden Sie es der [[*Leitung|Presse]].

> Die Nummern gelten bundesweit.
:::

::: question cloze id=lz-zahl scoring=partial
Genau [[= -2,25]] Grad, etwa [[= 1000 ± 0]] Meter, [[= 0 ± 0,1]] Fehler.
:::
"""

ASSETS = Path(__file__).resolve().parents[2] / "src" / "lernmodul" / "packages" / "assets"

#: candidate answers per gap kind; a choice gap tries every option and no choice
TEXT_TRIES = ["Straße", "  STRASSE ", "weg", "110", " 110", "Wege", "", "   "]
NUMBER_TRIES = ["3,5", "4", "3.0", "4,0000001", "2,9", "112", "112,0", " 1 000 ", "1000",
                "-2,25", "-2.250", "0,1", "-0.1", "0.1000001", "zwölf", "", "3 km"]


@pytest.fixture(scope="module")
def cloze_course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    folder = tmp_path_factory.mktemp("cloze-course")
    (folder / "course.md").write_text(COURSE_MD, encoding="utf-8")
    (folder / "01-luecken.md").write_text(UNIT_MD, encoding="utf-8")
    result = load_course(folder)
    assert result.course is not None and result.ok, result
    return result.course


def files_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _tries(question: Question) -> list[tuple[str, ...]]:
    """Every combination of candidate values per gap (choice gaps: option ids, "" = none)."""
    per_gap = []
    for gap in question.gaps:
        if gap.kind is GapKind.CHOICE:
            per_gap.append([o.id for o in gap.options] + [""])
        elif gap.kind is GapKind.NUMBER:
            per_gap.append(NUMBER_TRIES)
        else:
            per_gap.append(TEXT_TRIES)
    return list(itertools.product(*per_gap))


def _player_grades(data: dict[str, Any], cases: list[dict[str, Any]], tmp_path: Path) -> list[float]:
    """The points the player's questions.js gives each case ({"q": index, "r": response})."""
    (tmp_path / "data.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    script = tmp_path / "grade.js"
    script.write_text(
        "const fs = require('fs');"
        "global.window = { LERNMODUL_COURSE: JSON.parse(fs.readFileSync(process.argv[3], 'utf8')) };"
        "for (const name of ['keys.js', 'cloze.js', 'questions.js']) require(process.argv[2] + '/' + name);"
        "const C = window.LERNMODUL_COURSE, Q = window.LernmodulQuestions;"
        "const cases = JSON.parse(fs.readFileSync(process.argv[4], 'utf8'));"
        "console.log(JSON.stringify(cases.map(c => Q.grade(C.questions[c.q], c.r).points)));")
    out = subprocess.run(["node", str(script), str(ASSETS), str(tmp_path / "data.json"),  # nosec B603 B607
                          str(tmp_path / "cases.json")],
                         capture_output=True, text=True, check=True, timeout=120)
    return [float(x) for x in json.loads(out.stdout)]


def test_player_grades_cloze_as_the_core_does(cloze_course: Course, sample_course: Course,
                                              tmp_path: Path) -> None:
    """Every combination of right, varied, wrong and missing answers per gap gets the same
    points from lernmodul.core.grading and from the player's JavaScript."""
    expected: list[float] = []
    cases: list[dict[str, Any]] = []
    datas = []
    for course in (cloze_course, sample_course):
        data = player_data(course, runtime="scorm12", texts=texts_for("de"), interactions=False)
        index = {q["id"]: n for n, q in enumerate(data["questions"])}
        datas.append((course, data, index))
    # one data set for node: the sample course's cloze joins the synthetic course's
    course, data, index = datas[0]
    sample_data, sample_index = datas[1][1], datas[1][2]
    data["questions"].append(sample_data["questions"][sample_index["pr-notruf"]])
    questions = [*(q for q in course.questions().values() if q.type is QuestionType.CLOZE),
                 sample_course.questions()["pr-notruf"]]
    for question in questions:
        qi = len(data["questions"]) - 1 if question.id == "pr-notruf" else index[question.id]
        shown = data["questions"][qi]["gaps"]
        for values in _tries(question):
            core = {g.key: v for g, v in zip(question.gaps, values, strict=True) if v != ""}
            player: list[Any] = []
            for gap, value, gap_data in zip(question.gaps, values, shown, strict=True):
                if gap.kind is GapKind.CHOICE:
                    option = gap.option(value)
                    player.append(None if option is None else gap_data["options"].index(option.text))
                else:
                    player.append(value if value.strip() else None)
            expected.append(grade(question, core).points)
            cases.append({"q": qi, "r": player if any(v is not None for v in player) else None})
    got = _player_grades(data, cases, tmp_path)
    assert len(got) == len(expected) > 2000
    mismatches = [(c, e, g) for c, e, g in zip(cases, expected, got, strict=True)
                  if abs(e - g) > 1e-9]
    assert mismatches == []
    # the cases cover full, partial and no points
    assert {0.0, 1.0, 2.0, 3.0} <= set(expected) and any(e % 1 > 0 for e in expected)


def test_cloze_keys_are_hashed_per_gap(export: Callable[..., bytes],
                                       sample_course: Course) -> None:
    files = files_of(export("scorm12"))
    data = json.loads(files["course-data.js"].decode().split("=", 1)[1].rstrip(";\n"))
    (cloze,) = [q for q in data["questions"] if q["id"] == "pr-notruf"]
    salt = cloze["salt"]
    text_gap, number_gap, choice_gap = cloze["gaps"]
    assert text_gap == {"kind": "text", "hashes": [answer_hash(salt + "/g1", "110")]}
    assert number_gap == {"kind": "number", "hashes": [answer_hash(salt + "/g2", number_token(112))]}
    source = [o.text for o in sample_course.questions()["pr-notruf"].gaps[2].options]
    assert sorted(choice_gap["options"]) == sorted(source)
    assert choice_gap["options"] != source  # the right one is written first: not shown first
    secret = json.loads(unseal(cloze["sealed"], salt + "|key"))
    assert choice_gap["options"][secret["g"][2]] == "zuständige Stelle"
    assert secret["g"][:2] == [None, None]  # the typed gaps are decided by their hashes
    assert "Die Notrufnummern sind bundesweit gleich." not in files["course-data.js"].decode()
    assert cloze["parts"][0].startswith("<p>Bei akuter Gefahr")
    html = files["index.html"].decode()
    assert "110" not in html and "zuständige Stelle" not in html


def test_cloze_in_the_player_keyboard_only_and_accessible(
        page: Any, package_site: Callable[[bytes], str], export: Callable[..., bytes],
        sample_course: Course, assert_accessible: Callable[[Any], None]) -> None:
    base = package_site(export("scorm2004"))
    page.goto(f"{base}/pkg/index.html")
    page.wait_for_function("window.LernmodulPlayer && window.LernmodulPlayer.ready")
    unit = sample_course.units[1]
    read_unit(page.main_frame, unit.id)
    page.evaluate(f"window.location.hash = '#quiz-{unit.id}'")
    cloze = page.locator('#lm-quiz fieldset[data-question="pr-notruf"]')
    cloze.wait_for()
    stem = cloze.locator(".cloze-stem")
    # the gaps stand inline in the stem, each labelled "Lücke N von 3"
    assert stem.locator(".cloze-gap").count() == 3
    assert stem.inner_text().startswith("Bei akuter Gefahr rufen Sie die Polizei unter")
    first = cloze.get_by_label("Lücke 1 von 3", exact=True)
    number = cloze.get_by_label("Lücke 2 von 3", exact=True)
    choice = cloze.get_by_label("Lücke 3 von 3", exact=True)
    assert first.get_attribute("type") == "text" and number.get_attribute("inputmode") == "decimal"
    assert choice.evaluate("e => e.tagName") == "SELECT"
    hint = cloze.get_attribute("aria-describedby")
    assert "-hint" in hint and cloze.locator(".field-hint").first.inner_text() == (
        "Füllen Sie die Lücken im Text aus.")
    assert "110" not in page.content()  # the form names no answer
    assert_accessible(page)
    # keyboard only: type the text gap, tab to the number gap, tab to the choice and pick it
    first.focus()
    page.keyboard.type("110")
    page.keyboard.press("Tab")
    page.keyboard.type("113")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "SELECT"
    page.keyboard.type("zust")
    assert choice.evaluate("e => e.options[e.selectedIndex].text") == "zuständige Stelle"
    page.evaluate("document.querySelector('#lm-quiz form button[type=submit]').focus()")
    page.keyboard.press("Enter")
    feedback = page.locator("#lm-quiz section.feedback").filter(has_text="Bei akuter Gefahr")
    feedback.wait_for()
    text = " ".join(feedback.text_content().split())
    assert "teilweise richtig" in text and "(0,67 von 1 Punkten)" in text  # 2 of 3 gaps, partial
    assert "Lücke 2 von 3: 113 (nicht richtig)" in text  # an exact number is only a hash
    assert "Lücke 3 von 3: zuständige Stelle (richtig)" in text
    assert "Die Notrufnummern sind bundesweit gleich." in text  # the explanation
    assert_accessible(page)


def test_cloze_feedback_names_the_right_choice(page: Any, package_site: Callable[[bytes], str],
                                               export: Callable[..., bytes],
                                               sample_course: Course) -> None:
    base = package_site(export("scorm12"))
    page.goto(f"{base}/pkg/index.html")
    page.wait_for_function("window.LernmodulPlayer && window.LernmodulPlayer.ready")
    unit = sample_course.units[1]
    page.evaluate(f"window.location.hash = '#quiz-{unit.id}'")
    cloze = page.locator('#lm-quiz fieldset[data-question="pr-notruf"]')
    cloze.get_by_label("Lücke 3 von 3", exact=True).select_option(label="Presse")
    page.locator("#lm-quiz form button[type=submit]").click()
    feedback = page.locator("#lm-quiz section.feedback").filter(has_text="Bei akuter Gefahr")
    text = " ".join(feedback.text_content().split())
    assert "Lücke 1 von 3: keine Antwort (nicht richtig)" in text
    assert "Lücke 3 von 3: Presse (nicht richtig; Richtige Antwort: zuständige Stelle)" in text
    assert "(0 von 1 Punkten)" in text


def test_cloze_interaction_is_valid_scorm2004(page: Any, package_site: Callable[[bytes], str],
                                              export: Callable[..., bytes]) -> None:
    """With interactions on, a cloze is reported as fill-in, one string per gap, in a form
    the SCORM 2004 runtime accepts."""
    base = package_site(export("scorm2004", interactions=True))
    frame = launch(page, base, "scorm2004")
    item = frame.evaluate("""() => {
      const q = window.LERNMODUL_COURSE.questions.find(q => q.id === "pr-notruf");
      const r = ["110", " 112 ", q.gaps[2].options.indexOf("zuständige Stelle")];
      return window.LernmodulQuestions.interaction(q, r, window.LernmodulQuestions.grade(q, r));
    }""")
    assert item["type2004"] == "fill-in" and item["correct"] is True
    assert item["response2004"] == "110[,]112[,]zuständige Stelle"  # typed gaps trimmed
    errors = page.evaluate("""item => {
      const api = window.API_1484_11, p = "cmi.interactions.0.";
      return [["id", item.id], ["type", item.type2004], ["learner_response", item.response2004],
              ["result", "correct"]].map(([k, v]) => { api.SetValue(p + k, v); return api.GetLastError(); });
    }""", item)
    assert [str(e) for e in errors] == ["0", "0", "0", "0"]
    assert page.evaluate("window.value('cmi.interactions.0.learner_response')") == item["response2004"]
