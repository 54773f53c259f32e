"""A quiz service in one file: the lernmodul engine behind a small Flask app.

It compiles one course folder at start-up, serves each unit quiz as an HTML form (a fresh
seeded draw per attempt), grades the submitted form and shows the result. It also serves the
compiled course as JSON without answer keys, and grades JSON responses.

    pip install lernmodul flask
    python flask_quiz.py path/to/course --port 8000

Kept short on purpose: attempts live in memory, and there is no sign-in and no CSRF
protection, which a real service adds (Flask-WTF, Flask-Login).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, jsonify, render_template, request
from jinja2 import DictLoader

import lernmodul


@dataclass(frozen=True)
class Attempt:
    unit_id: str
    seed: int
    drawn: tuple[lernmodul.DrawnQuestion, ...]


PAGE = """<!doctype html>
<html lang="{{ course.language }}"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main>{% block body %}{% endblock %}</main></body></html>"""

UNITS = """{% extends "page.html" %}{% block body %}<h1>{{ course.title }}</h1><ul>
{% for unit in units %}<li><a href="/units/{{ unit.id }}/quiz">{{ unit.title }}</a></li>{% endfor %}
</ul>{% endblock %}"""

QUIZ = """{% extends "page.html" %}{% block body %}<h1>{{ unit.title }}</h1>
<form method="post" action="/attempts/{{ attempt_id }}">
{% for question, drawn in items %}{% set name = field_name(question) %}
<fieldset><legend>{{ question.stem_html | safe }}</legend>
{% if question.type.value in ("single", "truefalse", "multiple") %}
  {% for option_id in drawn.option_order %}{% set option = question.option(option_id) %}
  <label><input type="{{ 'checkbox' if question.type.value == 'multiple' else 'radio' }}"
    name="{{ name }}" value="{{ loop.index }}"> {{ option.html | safe }}</label>
  {% endfor %}
{% elif question.type.value == "order" %}
  {% for option_id in drawn.option_order %}{% set option = question.option(option_id) %}
  <label>{{ option.html | safe }} <input name="{{ field_name(question, loop.index | string) }}"
    inputmode="numeric" size="2"></label>
  {% endfor %}
{% elif question.type.value == "match" %}
  {% for left in question.options %}
  <label>{{ left.html | safe }} <select name="{{ field_name(question, left.id) }}">
    <option value=""></option>
    {% for option_id in drawn.option_order %}
    <option value="{{ loop.index }}">{{ question.option(option_id).match_text }}</option>
    {% endfor %}</select></label>
  {% endfor %}
{% elif question.type.value == "cloze" %}
  {% for gap in question.gaps %}{% set gap_name = field_name(question, "g" ~ gap.key) %}
  <label>Lücke {{ gap.number }}
  {% if gap.kind.value == "choice" %}<select name="{{ gap_name }}"><option value=""></option>
    {% for option_id in drawn.option_order %}{% set option = gap.option(option_id) %}
    {% if option %}<option value="{{ loop.index }}">{{ option.text }}</option>{% endif %}
    {% endfor %}</select>
  {% else %}<input name="{{ gap_name }}"{% if gap.kind.value == "number" %}
    inputmode="decimal"{% endif %}>{% endif %}</label>
  {% endfor %}
{% else %}
  <label>Antwort <input name="{{ name }}"></label>
{% endif %}
</fieldset>{% endfor %}
<button>Abgeben</button></form>{% endblock %}"""

RESULT = """{% extends "page.html" %}{% block body %}<h1>{{ unit.title }}</h1>
<p id="verdict">{{ "Bestanden" if result.passed else "Nicht bestanden" }}:
{{ "%g" | format(result.points) }} von {{ "%g" | format(result.max_points) }} Punkten</p>
<ul>{% for question_id, score in result.scores %}
<li>{{ question_id }}: {{ "richtig" if score.is_correct else "nicht richtig" }}</li>
{% endfor %}</ul>{% endblock %}"""


def create_app(course: lernmodul.Course) -> Flask:
    """The quiz service for one compiled course."""
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"page.html": PAGE, "units.html": UNITS, "quiz.html": QUIZ,
                                   "result.html": RESULT})
    attempts: dict[str, Attempt] = {}

    def render(template: str, title: str, **values: Any) -> str:
        return render_template(template, course=course, title=title,
                               field_name=lernmodul.field_name, **values)

    def quiz_unit(unit_id: str) -> lernmodul.Unit:
        unit = course.unit(unit_id)
        if unit is None or unit.quiz is None:
            abort(404)
        return unit

    @app.get("/")
    def list_units() -> str:
        return render("units.html", course.title, units=[u for u in course.units if u.quiz])

    @app.get("/units/<unit_id>/quiz")
    def start_quiz(unit_id: str) -> str:
        unit = quiz_unit(unit_id)
        seed = secrets.randbelow(2**31)  # store it, and the attempt can be replayed exactly
        attempt_id = secrets.token_urlsafe(12)
        attempts[attempt_id] = Attempt(unit.id, seed, lernmodul.assemble_quiz(unit, seed))
        questions = {q.id: q for q in unit.questions}
        items = [(questions[d.question_id], d) for d in attempts[attempt_id].drawn]
        return render("quiz.html", unit.title, unit=unit, items=items, attempt_id=attempt_id)

    @app.get("/attempts/<attempt_id>")
    def show_attempt(attempt_id: str) -> Any:
        """What was drawn (question ids and display orders: no answer keys)."""
        attempt = attempts.get(attempt_id) or abort(404)
        return jsonify(unit_id=attempt.unit_id, questions=[
            {"id": d.question_id, "option_order": list(d.option_order)} for d in attempt.drawn])

    @app.post("/attempts/<attempt_id>")
    def submit_quiz(attempt_id: str) -> Any:
        attempt = attempts.pop(attempt_id, None) or abort(404)  # one submission per attempt
        unit = quiz_unit(attempt.unit_id)
        questions = {q.id: q for q in unit.questions}
        responses: dict[str, lernmodul.Response] = {}
        try:
            for drawn in attempt.drawn:
                question = questions[drawn.question_id]
                responses[question.id] = lernmodul.response_from_form(
                    question, request.form.getlist, drawn.option_order)
        except lernmodul.IncompleteResponse:
            attempts[attempt_id] = attempt  # the learner may correct it
            return "Bitte jede Position genau einmal vergeben.", 400
        except lernmodul.InvalidResponse:
            return "Ungültige Antwort.", 400
        result = lernmodul.grade_quiz(unit, attempt.drawn, responses)
        return render("result.html", unit.title, unit=unit, result=result)

    @app.get("/api/course")
    def course_json() -> Any:
        return jsonify(lernmodul.course_to_dict(course))  # without answer keys

    @app.post("/api/questions/<question_id>/grade")
    def grade_json(question_id: str) -> Any:
        """Grades one JSON response ({"response": ...}, shaped as response_to_json writes it)."""
        question = course.questions().get(question_id) or abort(404)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error="expected a JSON object"), 400
        try:
            score = lernmodul.grade(question, lernmodul.response_from_json(question,
                                                                          body.get("response")))
        except lernmodul.InvalidResponse as error:
            return jsonify(error=str(error)), 400
        return jsonify(points=score.points, max_points=score.max_points,
                       is_correct=score.is_correct)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("course", help="a course folder (with course.md)")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    compiled = lernmodul.compile_folder(args.course)
    for diagnostic in compiled.diagnostics:
        print(diagnostic.format(), file=sys.stderr)
    if compiled.course is None or not compiled.ok:
        sys.exit(1)
    create_app(compiled.course).run(host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
