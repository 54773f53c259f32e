"""Progress rules: when a course is complete, and from that, certificate eligibility."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Course, ExamRequirement


@dataclass(frozen=True, slots=True)
class CourseState:
    """What a learner has done in one course version."""

    read_units: frozenset[str] = frozenset()
    passed_quizzes: frozenset[str] = frozenset()
    exam_passed: bool = False


def unit_is_complete(course: Course, unit_id: str, state: CourseState) -> bool:
    """A unit is complete when it was read and, where it has a quiz, the quiz was passed."""
    unit = course.unit(unit_id)
    if unit is None or unit_id not in state.read_units:
        return False
    return unit.quiz is None or unit_id in state.passed_quizzes


def completed_units(course: Course, state: CourseState) -> tuple[str, ...]:
    """The ids of the units that are complete, in course order."""
    return tuple(u.id for u in course.units if unit_is_complete(course, u.id, state))


def exam_is_open(course: Course, state: CourseState) -> bool:
    """The final exam opens once the units the completion rule asks for are complete."""
    if course.exam is None:
        return False
    if course.completion.units == "all":
        return len(completed_units(course, state)) == len(course.units)
    return True


def course_is_complete(course: Course, state: CourseState) -> bool:
    """Complete: the units the completion rule asks for, and the exam where it is required."""
    units_done = (course.completion.units != "all"
                  or len(completed_units(course, state)) == len(course.units))
    exam_done = course.completion.exam is not ExamRequirement.REQUIRED or state.exam_passed
    return units_done and exam_done


def progress_share(course: Course, state: CourseState) -> float:
    """0..1 for a progress bar: completed units, plus the exam as one step when required."""
    steps = len(course.units) + (1 if course.completion.exam is ExamRequirement.REQUIRED else 0)
    done = len(completed_units(course, state))
    if course.completion.exam is ExamRequirement.REQUIRED and state.exam_passed:
        done += 1
    return done / steps if steps else 0.0
