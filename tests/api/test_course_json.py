"""The compiled-course JSON: valid against the shipped schema, and no answer key without --with-keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

import lernmodul

REPO = Path(__file__).resolve().parents[2]
FLAGSHIP = REPO / "courses" / "bedrohungsmanagement"
SAMPLE = REPO / "tests" / "core" / "fixtures" / "sample-course"
KEY_FIELDS = {"is_correct", "feedback_html", "match_html", "match_text", "number_answers",
              "text_answers", "explanation_html", "answers", "value", "tolerance"}


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], Resource.from_contents(s))
        for s in (lernmodul.course_schema(), lernmodul.check_schema()))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry,
                                           format_checker=jsonschema.FormatChecker())


def course(path: Path) -> lernmodul.Course:
    result = lernmodul.compile_folder(path)
    assert result.course is not None, [d.format() for d in result.diagnostics]
    return result.course


def keys_in(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def test_the_schema_is_shipped_with_an_id_and_a_version() -> None:
    schema = lernmodul.course_schema()
    assert schema["$id"] == lernmodul.COURSE_SCHEMA_ID == "urn:lernmodul:schema:course:1"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert lernmodul.COURSE_SCHEMA_VERSION == 1
    assert (REPO / "src" / "lernmodul" / "schema" / "course-1.json").is_file()


@pytest.mark.parametrize("with_keys", [False, True])
@pytest.mark.parametrize("path", [FLAGSHIP, SAMPLE], ids=["flagship", "sample"])
def test_compiled_courses_are_valid_against_the_schema(path: Path, with_keys: bool) -> None:
    document = json.loads(lernmodul.course_to_json(course(path), with_keys=with_keys))
    errors = sorted(validator(lernmodul.course_schema()).iter_errors(document), key=str)
    assert errors == [], errors[0].message + " at " + errors[0].json_path
    assert document["with_keys"] is with_keys and document["schema"] == lernmodul.COURSE_SCHEMA_ID


def test_every_question_type_is_in_the_sample_and_the_schema() -> None:
    types = {q.type.value for q in course(SAMPLE).questions().values()}
    assert types == {t.value for t in lernmodul.QuestionType}
    schema_types = lernmodul.course_schema()["$defs"]["question"]["properties"]["type"]["enum"]
    assert set(schema_types) == {t.value for t in lernmodul.QuestionType}


def test_without_keys_nothing_says_what_is_right() -> None:
    compiled = course(SAMPLE)
    document = lernmodul.course_to_dict(compiled)
    assert keys_in(document) & KEY_FIELDS == set()
    questions = {q["id"]: q for u in document["units"] for q in u["questions"]}
    order = compiled.questions()["gl-schritte"]
    shown = [o["id"] for o in questions["gl-schritte"]["options"]]
    assert sorted(shown) == sorted(o.id for o in order.options)
    assert shown != [o.id for o in order.options]  # never in the solution order
    match = questions["pr-zuordnung"]
    assert "choices" in match and all(set(c) == {"html", "text"} for c in match["choices"])
    assert [c["text"] for c in match["choices"]] == sorted(
        (c["text"] for c in match["choices"]), key=str.casefold)


def test_with_keys_the_document_is_complete() -> None:
    compiled = course(SAMPLE)
    document = lernmodul.course_to_dict(compiled, with_keys=True)
    questions = {q["id"]: q for u in document["units"] for q in u["questions"]}
    single = compiled.questions()["gl-leakage"]
    assert [o["is_correct"] for o in questions["gl-leakage"]["options"]] \
        == [o.is_correct for o in single.options]
    number = compiled.questions()["pr-stufen"]
    assert [a["value"] for a in questions["pr-stufen"]["number_answers"]] \
        == [a.value for a in number.number_answers]
    order = compiled.questions()["gl-schritte"]
    assert [o["id"] for o in questions["gl-schritte"]["options"]] == [o.id for o in order.options]
    assert questions["gl-begriff"]["text_answers"][0]["text"] \
        == compiled.questions()["gl-begriff"].text_answers[0]


def test_a_cloze_without_keys_shows_its_gaps_but_no_answer() -> None:
    compiled = course(SAMPLE)
    cloze = compiled.questions()["pr-notruf"]
    found = lernmodul.question_to_dict(cloze)
    assert found["type"] == "cloze" and found["stem_parts"] == list(cloze.stem_parts)
    assert [(g["index"], g["kind"]) for g in found["gaps"]] \
        == [(1, "text"), (2, "number"), (3, "choice")]
    assert set(found["gaps"][0]) == set(found["gaps"][1]) == {"index", "kind"}
    choices = found["gaps"][2]["choices"]
    assert all(set(c) == {"id", "html", "text"} for c in choices)
    assert [c["id"] for c in choices] == sorted(o.id for o in cloze.gaps[2].options)
    assert sorted(c["text"] for c in choices) == sorted(o.text for o in cloze.gaps[2].options)
    assert keys_in(found) & KEY_FIELDS == set()
    assert "options" not in found and "110" not in json.dumps(found["gaps"])


def test_a_cloze_with_keys_gives_every_gap_its_key() -> None:
    cloze = course(SAMPLE).questions()["pr-notruf"]
    text, number, choice = lernmodul.question_to_dict(cloze, with_keys=True)["gaps"]
    assert text == {"index": 1, "kind": "text", "answers": ["110"]}
    assert number == {"index": 2, "kind": "number", "value": 112.0, "tolerance": 0.0}
    assert [(c["text"], c["is_correct"]) for c in choice["choices"]] \
        == [("zuständige Stelle", True), ("Presse", False), ("Nachbarschaft", False)]


def test_the_schema_rejects_a_key_in_the_wrong_gap_or_type() -> None:
    cloze = lernmodul.question_to_dict(course(SAMPLE).questions()["pr-notruf"], with_keys=True)
    check = validator(lernmodul.course_schema()["$defs"]["question"] | {
        "$defs": lernmodul.course_schema()["$defs"]})
    assert list(check.iter_errors(cloze)) == []
    wrong = json.loads(json.dumps(cloze))
    wrong["gaps"][0]["choices"] = [{"id": "a", "html": "a", "text": "a"}] * 2
    assert list(check.iter_errors(wrong))
    wrong = json.loads(json.dumps(cloze))
    wrong["gaps"][2]["answers"] = ["Presse"]
    assert list(check.iter_errors(wrong))
    assert list(check.iter_errors(cloze | {"type": "text"}))
    assert list(check.iter_errors(cloze | {"number_answers": []}))
    assert list(check.iter_errors({k: v for k, v in cloze.items() if k != "gaps"}))


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lernmodul", "check", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})


def test_check_json_emits_the_full_courses_against_the_check_schema() -> None:
    proc = run_check("courses", "--json")
    assert proc.returncode == 0, proc.stderr
    output = json.loads(proc.stdout)
    errors = list(validator(lernmodul.check_schema()).iter_errors(output))
    assert errors == [], errors[0].message
    (found,) = output["courses"]
    assert found == lernmodul.course_to_dict(course(FLAGSHIP))
    assert keys_in(found) & KEY_FIELDS == set()


def test_check_json_with_keys() -> None:
    proc = run_check("courses", "--json", "--with-keys")
    assert proc.returncode == 0, proc.stderr
    (found,) = json.loads(proc.stdout)["courses"]
    assert found["with_keys"] is True and "is_correct" in keys_in(found)
    assert run_check("courses", "--with-keys").returncode == 2  # only with --json


def test_check_json_with_errors_is_valid_too(tmp_path: Path) -> None:
    (tmp_path / "course.md").write_text("---\nid: x\n---\n", encoding="utf-8")
    proc = run_check(str(tmp_path), "--json")
    assert proc.returncode == 1
    output = json.loads(proc.stdout)
    assert output["courses"] == [] and output["diagnostics"]
    assert list(validator(lernmodul.check_schema()).iter_errors(output)) == []
