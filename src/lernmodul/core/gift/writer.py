"""Writing the course format: unit files, a minimal course.md, and the Markdown items
(options, answers, quoted feedback) the question converters put together.

Rule: text in, text out; the Markdown given here is already converted and escaped, and
nothing here reads GIFT or records diagnostics."""

from __future__ import annotations

import json

from .ids import ID_PATTERN
from .text import escape_line


def minimal_course_md(course_id: str, title: str, *, language: str = "de",
                      source: str = "") -> str:
    """A course.md that compiles: id, title, version "1", the language, and no exam."""
    if not ID_PATTERN.match(course_id):
        raise ValueError(f"course id {course_id!r} does not match {ID_PATTERN.pattern}")
    intro = ""
    if source:
        intro = escape_line(f"Fragen aus der GIFT-Datei {source}." if language == "de"
                            else f"Questions from the GIFT file {source}.")
    return (f"---\nformat: 1\nid: {course_id}\ntitle: {yaml_text(title or course_id)}\n"
            f'version: "1"\nlanguage: {language}\n---\n\n{intro}\n')


def unit_file(unit_id: str, title: str, questions: list[str], pass_mark: float | None) -> str:
    """A unit file: front matter (id, title, a quiz with `pass_mark` unless None) and the
    questions' Markdown."""
    front = f"---\nid: {unit_id}\ntitle: {yaml_text(title)}\n"
    if pass_mark is not None:
        front += f"quiz:\n  pass_mark: {pass_mark}\n"
    return front + "---\n\n" + "\n\n".join(questions) + "\n"


def yaml_text(text: str) -> str:
    """Text as a YAML string scalar."""
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string


def option_item(label: str, correct: bool, feedback: str) -> str:
    """A '- [x] …' or '- [ ] …' option item, with its feedback quoted under it."""
    line = f"- [{'x' if correct else ' '}] {label}"
    return line + ("\n" + quote(feedback, "  ") if feedback else "")


def answer_item(line: str, feedback: str) -> str:
    """A '- = …' answer item, with its feedback quoted under it."""
    return f"- {line}" + ("\n" + quote(feedback, "  ") if feedback else "")


def number_answer(value: str, tolerance: str) -> str:
    """A number answer as '= value', with ' ± tolerance' unless the tolerance is "0"."""
    return f"= {value}" + (f" ± {tolerance}" if tolerance != "0" else "")


def quote(markdown: str, indent: str) -> str:
    """Markdown as a block quote ('> ' before each line), indented by `indent`."""
    return "\n".join(f"{indent}> {line}".rstrip() for line in markdown.split("\n"))
