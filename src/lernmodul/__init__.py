"""lernmodul: e-learning modules and a quiz engine.

The names below are the library's public API; everything else in the package is internal and
may change without notice. Importing ``lernmodul`` is cheap: each name is loaded on first use,
and none of them imports Flask, SQLAlchemy or the other web-app dependencies. Only
:func:`verify_certificate` needs an extra (``pip install 'lernmodul[certificates]'``).

Typical use::

    import lernmodul

    result = lernmodul.compile_folder("courses/bedrohungsmanagement")
    for diagnostic in result.diagnostics:
        print(diagnostic.format())
    course = result.course
    unit = course.units[0]
    drawn = lernmodul.assemble_quiz(unit, seed=42)
    score = lernmodul.grade_quiz(unit, drawn, {drawn[0].question_id: "..."})
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lernmodul._version import __version__

if TYPE_CHECKING:
    from lernmodul._api import (
        compile_folder,
        grade_exam,
        grade_quiz,
        response_from_json,
        response_to_json,
    )
    from lernmodul._course_json import (
        CHECK_SCHEMA_ID,
        COURSE_SCHEMA_ID,
        COURSE_SCHEMA_VERSION,
        check_schema,
        course_schema,
        course_to_dict,
        course_to_json,
        diagnostic_to_dict,
        question_to_dict,
    )
    from lernmodul._verify import CertificateCheck, Verdict, verify_certificate
    from lernmodul.certificates.page import PageDifference
    from lernmodul.core.attempts import deadline, is_overdue, time_allowed
    from lernmodul.core.compiler.course import CompileResult, compile_course
    from lernmodul.core.diagnostics import DiagCode, Diagnostic, Severity
    from lernmodul.core.grading import (
        DrawnQuestion,
        InvalidResponse,
        Response,
        Result,
        Score,
        answer_feedback,
        assemble_exam,
        assemble_quiz,
        draw_questions,
        grade,
        grade_attempt,
    )
    from lernmodul.core.model import (
        CertificateSettings,
        Completion,
        Course,
        ExamRequirement,
        ExamReview,
        ExamSettings,
        NumberAnswer,
        Option,
        Question,
        QuestionType,
        QuizSettings,
        Scoring,
        Segment,
        Unit,
    )
    from lernmodul.core.progress import (
        CourseState,
        completed_units,
        course_is_complete,
        exam_is_open,
        progress_share,
        unit_is_complete,
    )
    from lernmodul.core.responses import (
        IncompleteResponse,
        NotANumber,
        field_name,
        form_values,
        response_from_form,
    )

#: Where each public name lives (loaded on first access).
_EXPORTS: dict[str, str] = {
    # compiling
    "compile_course": "lernmodul.core.compiler.course",
    "compile_folder": "lernmodul._api",
    "CompileResult": "lernmodul.core.compiler.course",
    "Diagnostic": "lernmodul.core.diagnostics",
    "DiagCode": "lernmodul.core.diagnostics",
    "Severity": "lernmodul.core.diagnostics",
    # the course model
    **dict.fromkeys(
        ("CertificateSettings", "Completion", "Course", "ExamRequirement", "ExamReview",
         "ExamSettings", "NumberAnswer", "Option", "Question", "QuestionType", "QuizSettings",
         "Scoring", "Segment", "Unit"), "lernmodul.core.model"),
    # grading one response, assembling and scoring attempts
    **dict.fromkeys(
        ("DrawnQuestion", "InvalidResponse", "Response", "Result", "Score", "answer_feedback",
         "assemble_exam", "assemble_quiz", "draw_questions", "grade", "grade_attempt"),
        "lernmodul.core.grading"),
    **dict.fromkeys(("grade_exam", "grade_quiz", "response_from_json", "response_to_json"),
                    "lernmodul._api"),
    **dict.fromkeys(("IncompleteResponse", "NotANumber", "field_name", "form_values",
                     "response_from_form"),
                    "lernmodul.core.responses"),
    # progress, completion and time limits
    **dict.fromkeys(
        ("CourseState", "completed_units", "course_is_complete", "exam_is_open",
         "progress_share", "unit_is_complete"), "lernmodul.core.progress"),
    **dict.fromkeys(("deadline", "is_overdue", "time_allowed"), "lernmodul.core.attempts"),
    # the compiled course as JSON
    **dict.fromkeys(
        ("CHECK_SCHEMA_ID", "COURSE_SCHEMA_ID", "COURSE_SCHEMA_VERSION", "check_schema",
         "course_schema", "course_to_dict", "course_to_json", "diagnostic_to_dict",
         "question_to_dict"), "lernmodul._course_json"),
    # certificates
    **dict.fromkeys(("CertificateCheck", "Verdict", "verify_certificate"), "lernmodul._verify"),
    "PageDifference": "lernmodul.certificates.page",  # needs the certificates extra
}

__all__ = [
    "CHECK_SCHEMA_ID",
    "COURSE_SCHEMA_ID",
    "COURSE_SCHEMA_VERSION",
    "CertificateCheck",
    "CertificateSettings",
    "CompileResult",
    "Completion",
    "Course",
    "CourseState",
    "DiagCode",
    "Diagnostic",
    "DrawnQuestion",
    "ExamRequirement",
    "ExamReview",
    "ExamSettings",
    "IncompleteResponse",
    "InvalidResponse",
    "NotANumber",
    "NumberAnswer",
    "Option",
    "PageDifference",
    "Question",
    "QuestionType",
    "QuizSettings",
    "Response",
    "Result",
    "Score",
    "Scoring",
    "Segment",
    "Severity",
    "Unit",
    "Verdict",
    "__version__",
    "answer_feedback",
    "assemble_exam",
    "assemble_quiz",
    "check_schema",
    "compile_course",
    "compile_folder",
    "completed_units",
    "course_is_complete",
    "course_schema",
    "course_to_dict",
    "course_to_json",
    "deadline",
    "diagnostic_to_dict",
    "draw_questions",
    "exam_is_open",
    "field_name",
    "form_values",
    "grade",
    "grade_attempt",
    "grade_exam",
    "grade_quiz",
    "is_overdue",
    "progress_share",
    "question_to_dict",
    "response_from_form",
    "response_from_json",
    "response_to_json",
    "time_allowed",
    "unit_is_complete",
    "verify_certificate",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lernmodul' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once loaded, a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
