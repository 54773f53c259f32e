"""The learner's area: dashboard (and later courses, units, quizzes, exam, results)."""

from lernmodul.web.learner.views import bp

__all__ = ["bp"]
