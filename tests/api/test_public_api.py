"""The library surface at `import lernmodul`: complete, documented, cheap to import, and working."""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import lernmodul

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "core" / "fixtures" / "sample-course"
FLAGSHIP = REPO / "courses" / "bedrohungsmanagement"
SRC = str(REPO / "src")


def run_python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_every_public_name_resolves_and_is_listed() -> None:
    assert set(lernmodul.__all__) == set(lernmodul._EXPORTS) | {"__version__"}
    assert lernmodul.__all__ == sorted(lernmodul.__all__)
    for name in lernmodul.__all__:
        assert getattr(lernmodul, name) is not None
    assert set(lernmodul.__all__) <= set(dir(lernmodul))
    with pytest.raises(AttributeError, match="no attribute 'compile_courses'"):
        lernmodul.compile_courses  # noqa: B018


def test_every_public_function_and_class_has_its_own_docstring() -> None:
    undocumented = []
    for name in lernmodul.__all__:
        value = getattr(lernmodul, name)
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        doc = inspect.getdoc(value) or ""
        generated = dataclasses.is_dataclass(value) and doc.startswith(f"{value.__name__}(")
        if not doc or generated or doc == inspect.getdoc(type(value)):
            undocumented.append(name)
    assert undocumented == []


def test_every_public_function_is_fully_annotated() -> None:
    for name in lernmodul.__all__:
        value = getattr(lernmodul, name)
        if inspect.isfunction(value):
            signature = inspect.signature(value)
            assert signature.return_annotation is not inspect.Signature.empty, name
            for parameter in signature.parameters.values():
                assert parameter.annotation is not inspect.Parameter.empty, (name, parameter)


def test_the_package_is_marked_typed() -> None:
    assert (REPO / "src" / "lernmodul" / "py.typed").is_file()


def test_importing_is_cheap_and_using_the_engine_loads_no_web_app() -> None:
    out = run_python(
        "import sys, lernmodul\n"
        "heavy = {'markdown_it', 'yaml', 'nh3', 'click', 'flask', 'sqlalchemy', 'cryptography'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
        f"result = lernmodul.compile_folder({str(SAMPLE)!r})\n"
        "unit = result.course.units[0]\n"
        "drawn = lernmodul.assemble_quiz(unit, 7)\n"
        "lernmodul.grade_quiz(unit, drawn, {})\n"
        "lernmodul.course_to_json(result.course)\n"
        "web = {'flask', 'sqlalchemy', 'alembic', 'werkzeug', 'click', 'cryptography', 'reportlab'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in web"
        " or m.startswith(('lernmodul.web', 'lernmodul.db', 'lernmodul.services'))))\n")
    assert out.splitlines() == ["[]", "[]"]


def test_compile_from_a_folder_and_from_a_mapping_agree() -> None:
    from_folder = lernmodul.compile_folder(SAMPLE)
    files = {p.relative_to(SAMPLE).as_posix(): p.read_bytes() if p.suffix == ".md" else b""
             for p in SAMPLE.rglob("*") if p.is_file()}
    from_mapping = lernmodul.compile_course(files, base=os.path.relpath(SAMPLE))
    assert from_folder.ok and from_mapping.ok
    assert from_folder.course == from_mapping.course
    assert isinstance(from_folder.course, lernmodul.Course)


def test_compile_reports_diagnostics_instead_of_raising(tmp_path: Path) -> None:
    result = lernmodul.compile_course({"course.md": b"---\ntitle: [\n---\n"})
    assert result.course is None and not result.ok
    assert all(isinstance(d, lernmodul.Diagnostic) for d in result.diagnostics)
    assert result.errors[0].format().startswith("course.md:")
    missing = lernmodul.compile_folder(tmp_path / "nowhere")
    assert [d.code for d in missing.diagnostics] == [lernmodul.DiagCode.NO_COURSE]


@pytest.fixture(scope="module")
def sample() -> lernmodul.Course:
    course = lernmodul.compile_folder(SAMPLE).course
    assert course is not None
    return course


def test_grade_one_response_of_each_kind(sample: lernmodul.Course) -> None:
    questions = sample.questions()
    single = questions["gl-leakage"]
    right = next(o.id for o in single.options if o.is_correct)
    wrong = next(o.id for o in single.options if not o.is_correct)
    assert lernmodul.grade(single, right).is_correct
    assert lernmodul.grade(single, wrong).points == 0
    order = questions["gl-schritte"]
    assert lernmodul.grade(order, tuple(o.id for o in order.options)).is_correct
    match = questions["pr-zuordnung"]
    assert lernmodul.grade(match, {o.id: o.id for o in match.options}).points == match.points
    number = questions["pr-stufen"]
    answer = number.number_answers[0].value
    assert lernmodul.grade(number, str(answer).replace(".", ",")).is_correct
    with pytest.raises(lernmodul.InvalidResponse):
        lernmodul.grade(single, "no-such-option")


def test_quiz_assembly_is_replayable_and_scored_against_the_pass_mark(
        sample: lernmodul.Course) -> None:
    unit = sample.units[0]
    assert unit.quiz is not None
    drawn = lernmodul.assemble_quiz(unit, 1234)
    assert drawn == lernmodul.assemble_quiz(unit, 1234)
    assert all(isinstance(d, lernmodul.DrawnQuestion) for d in drawn)
    questions = {q.id: q for q in unit.questions}
    perfect: dict[str, lernmodul.Response] = {}
    for d in drawn:
        q = questions[d.question_id]
        if q.type is lernmodul.QuestionType.MULTIPLE:
            perfect[q.id] = frozenset(o.id for o in q.options if o.is_correct)
        elif q.type is lernmodul.QuestionType.ORDER:
            perfect[q.id] = tuple(o.id for o in q.options)
        elif q.options:
            perfect[q.id] = next(o.id for o in q.options if o.is_correct)
        else:
            perfect[q.id] = q.text_answers[0]
    result = lernmodul.grade_quiz(unit, drawn, perfect)
    assert isinstance(result, lernmodul.Result)
    assert result.passed and result.share == 1.0 and result.pass_mark == unit.quiz.pass_mark
    assert not lernmodul.grade_quiz(unit, drawn, {}).passed
    with pytest.raises(lernmodul.InvalidResponse):
        lernmodul.grade_quiz(unit, drawn, {"ex-abschluss": "x"})


def test_exam_assembly_and_scoring(sample: lernmodul.Course) -> None:
    drawn = lernmodul.assemble_exam(sample, 99)
    assert drawn == lernmodul.assemble_exam(sample, 99) != lernmodul.assemble_exam(sample, 100) \
        or len(drawn) <= 2
    assert "ex-abschluss" in {d.question_id for d in drawn}
    result = lernmodul.grade_exam(sample, drawn, {})
    assert result.points == 0 and not result.passed
    no_exam = lernmodul.compile_folder(FLAGSHIP).course
    assert no_exam is not None
    if no_exam.exam is None:  # pragma: no cover - the flagship course has an exam
        with pytest.raises(ValueError, match="has no exam"):
            lernmodul.grade_exam(no_exam, (), {})


def test_quiz_scoring_needs_a_quiz(sample: lernmodul.Course) -> None:
    unit = next((u for u in sample.units if u.quiz is None), None)
    bare = unit or lernmodul.Unit(id="ohne", title="Ohne Quiz", path="x.md")
    with pytest.raises(ValueError, match="has no quiz"):
        lernmodul.grade_quiz(bare, (), {})


def test_progress_and_completion_rules(sample: lernmodul.Course) -> None:
    units = frozenset(u.id for u in sample.units)
    quizzes = frozenset(u.id for u in sample.units if u.quiz is not None)
    nothing = lernmodul.CourseState()
    read_only = lernmodul.CourseState(read_units=units)
    all_units = lernmodul.CourseState(read_units=units, passed_quizzes=quizzes)
    done = lernmodul.CourseState(read_units=units, passed_quizzes=quizzes, exam_passed=True)
    assert lernmodul.progress_share(sample, nothing) == 0.0
    assert lernmodul.completed_units(sample, read_only) == tuple(
        u.id for u in sample.units if u.quiz is None)
    assert not lernmodul.exam_is_open(sample, read_only) or not quizzes
    assert lernmodul.exam_is_open(sample, all_units)
    assert not lernmodul.course_is_complete(sample, all_units)
    assert lernmodul.course_is_complete(sample, done)
    assert lernmodul.progress_share(sample, done) == 1.0
    assert lernmodul.unit_is_complete(sample, sample.units[0].id, done)


def test_time_limits() -> None:
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    due = lernmodul.deadline(start, 30, extra_time_percent=25)
    assert due == start + timedelta(minutes=37, seconds=30)
    assert lernmodul.time_allowed(None) is None
    assert not lernmodul.is_overdue(due + timedelta(seconds=10), due)
    assert lernmodul.is_overdue(due + timedelta(minutes=5), due)


def test_responses_travel_as_json_and_come_from_forms(sample: lernmodul.Course) -> None:
    multiple = sample.questions()["gl-warnsignale"]
    chosen = frozenset(o.id for o in multiple.options[:2])
    stored = lernmodul.response_to_json(chosen)
    assert stored == sorted(chosen)
    assert lernmodul.response_from_json(multiple, stored) == chosen
    with pytest.raises(lernmodul.InvalidResponse):
        lernmodul.response_from_json(multiple, 42)
    order = tuple(reversed([o.id for o in multiple.options]))
    form = {lernmodul.field_name(multiple): ["1", "2"]}
    response = lernmodul.response_from_form(multiple, lambda name: form.get(name, []), order)
    assert response == frozenset(order[:2])


def test_verify_certificate_with_pem_keys(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from lernmodul.certificates import (
        CertificateData,
        dump_credential,
        new_code,
        public_key_pem,
        render_pdf,
        sign_credential,
    )

    code = new_code()
    data = CertificateData(code, "Jürgen Weiß", "kurs", "Ein Kurs", "1.0", 90, date(2026, 3, 2),
                           None, "Referat Fortbildung", "Teilnahmebescheinigung",
                           "https://lernen.example.de/verify/" + code, "de",
                           datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    credential = dump_credential(sign_credential(data, key))
    pdf = render_pdf(data, credential)

    check = lernmodul.verify_certificate(pdf, [public_key_pem(key)])
    assert isinstance(check, lernmodul.CertificateCheck)
    assert check.verdict == "valid" and check.is_valid and check.page_differences == ()
    assert "Jürgen Weiß" in check.claims.values()
    as_json = lernmodul.verify_certificate(credential, [public_key_pem(key)])
    assert as_json.is_valid and as_json.page_differences is None
    assert lernmodul.verify_certificate(credential, [public_key_pem(other)]).verdict == "unknown-key"
    forged = credential.replace("Jürgen Weiß".encode(), "Jürgen Weiss".encode())
    assert lernmodul.verify_certificate(forged, [public_key_pem(key)]).verdict == "tampered"
    with pytest.raises(ValueError):
        lernmodul.verify_certificate(b"hello", [public_key_pem(key)])
    with pytest.raises(ValueError):
        lernmodul.verify_certificate(credential, [b"not a key"])


def test_the_verdicts_are_the_certificate_library_s() -> None:
    import typing

    from lernmodul.certificates import credential

    assert typing.get_args(lernmodul.Verdict) == typing.get_args(credential.Verdict)


def test_the_cli_knows_every_server_command() -> None:
    """cli.SERVER_COMMANDS names the commands a core-only install explains; it must list
    exactly what lernmodul.web.commands registers."""
    import click

    from lernmodul import cli
    from lernmodul.web import commands

    group = click.Group()
    commands.register(group)
    assert set(group.commands) == set(cli.SERVER_COMMANDS)


def test_the_reference_documents_every_public_name() -> None:
    reference = (REPO / "docs" / "api" / "reference.rst").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. auto\w+:: (\w+)", reference, re.MULTILINE))
    assert documented == set(lernmodul.__all__) - {"__version__"}


def test_check_on_the_command_line_loads_no_web_app() -> None:
    out = run_python(
        "import sys\n"
        "from lernmodul.cli import main\n"
        "try:\n"
        f"    main(['check', {str(REPO / 'courses')!r}])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy'}"
        " or m.startswith('lernmodul.web')))\n")
    assert out.splitlines()[-1] == "[]"
