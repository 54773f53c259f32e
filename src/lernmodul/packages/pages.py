"""The launch page (index.html): the course's units as the web app shows them, one view at a
time; quizzes, self-checks and the exam are filled in by the player from course-data.js.

The unit HTML is the compiler's sanitised HTML, as in the web app; everything else is escaped
here. No answer and no key is part of this page."""

from __future__ import annotations

from html import escape

from lernmodul.core.model import Course, Unit

SCRIPTS = ("course-data.js", "keys.js", "runtime.js", "cloze.js", "questions.js", "draws.js",
           "resume.js", "player.js")


def _t(texts: dict[str, str], key: str, **values: object) -> str:
    text = texts[key]
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return escape(text)


def _unit(unit: Unit, number: int, course: Course, texts: dict[str, str]) -> str:
    uid = escape(unit.id)
    parts = [f'<section class="lm-view" id="view-unit-{uid}" data-unit="{uid}" hidden>',
             f'<p class="unit-meta">{_t(texts, "unit", n=number)}</p>',
             '<article class="unit">', f"<h1 tabindex=\"-1\">{escape(unit.title)}</h1>"]
    if unit.duration:
        parts.append(f'<p class="unit-meta">{_t(texts, "minutes", n=unit.duration)}</p>')
    if unit.objectives:
        heading = f"objectives-{uid}"
        parts.append(f'<section class="objectives" aria-labelledby="{heading}">'
                     f'<h2 id="{heading}">{_t(texts, "objectives")}</h2><ul>'
                     + "".join(f"<li>{escape(o)}</li>" for o in unit.objectives)
                     + "</ul></section>")
    for segment in unit.body:
        if segment.question_id:
            qid = escape(segment.question_id)
            parts.append(f'<div class="self-check" data-question="{qid}">'
                         f'<p class="self-check-title">{_t(texts, "checkYourself")}</p></div>')
        else:
            parts.append(segment.html)  # sanitised by the compiler
    parts.append("</article>")
    parts.append(f'<section class="unit-actions" aria-labelledby="actions-{uid}">'
                 f'<h2 id="actions-{uid}">{_t(texts, "doneReading")}</h2>'
                 f'<div class="lm-unit-actions" data-unit="{uid}"></div></section>')
    parts.append(f'<nav class="pager" aria-label="{_t(texts, "units")}"><ul>'
                 f'<li class="lm-pager" data-unit="{uid}"></li></ul></nav></section>')
    return "\n".join(parts)


def launch_page(course: Course, texts: dict[str, str], *, cmi5: bool = False) -> bytes:
    """index.html of a package (with cmi5: the bundled cmi5 client before the player)."""
    scripts = (*SCRIPTS[:1], "cmi5.js", *SCRIPTS[1:]) if cmi5 else SCRIPTS
    lang = escape(course.language)
    title = escape(course.title)
    overview = ['<section class="lm-view" id="view-start">', f'<h1 tabindex="-1">{title}</h1>']
    if course.summary:
        overview.append(f'<p class="course-meta">{escape(course.summary)}</p>')
    overview.append(f'<p class="message message-info lm-practice">{_t(texts, "practice")}</p>')
    if course.intro_html:
        overview.append(f'<div class="unit">{course.intro_html}</div>')
    overview.append(f'<h2 id="units-heading">{_t(texts, "units")}</h2>'
                    '<ol class="unit-list" id="lm-unit-list" aria-labelledby="units-heading">')
    for unit in course.units:
        overview.append(f'<li><a href="#unit-{escape(unit.id)}">{escape(unit.title)}</a>'
                        f' <span class="unit-meta lm-unit-status" data-unit="{escape(unit.id)}">'
                        "</span></li>")
    overview.append("</ol>")
    if course.exam is not None:
        overview.append(f'<section id="lm-exam-block" aria-labelledby="lm-exam-heading">'
                        f'<h2 id="lm-exam-heading">{_t(texts, "exam")}</h2>'
                        + (f'<div class="unit">{course.exam_intro_html}</div>'
                           if course.exam_intro_html else "")
                        + '<div id="lm-exam-entry"></div></section>')
    overview.append('<p id="lm-course-done" class="status status-done" hidden>'
                    f'{_t(texts, "courseDone")}</p>')
    overview.append("</section>")
    body = [
        "<!doctype html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>", '<link rel="icon" href="data:,">',
        '<link rel="stylesheet" href="style.css">', '<link rel="stylesheet" href="player.css">',
        "</head>", "<body>",
        f'<a class="skip-link" href="#main">{_t(texts, "skip")}</a>',
        '<header class="site-header"><div class="header-inner">'
        f'<p class="brand"><a href="#start">{title}</a></p></div></header>',
        '<main id="main" tabindex="-1">',
        '<div class="messages" role="status" id="lm-messages"></div>',
        "\n".join(overview),
        *(_unit(unit, n, course, texts) for n, unit in enumerate(course.units, 1)),
        '<section class="lm-view" id="view-quiz" hidden aria-labelledby="lm-quiz-title">'
        '<h1 id="lm-quiz-title" tabindex="-1"></h1><div id="lm-quiz"></div></section>',
        '<section class="lm-view" id="view-exam" hidden aria-labelledby="lm-exam-title">'
        f'<h1 id="lm-exam-title" tabindex="-1">{_t(texts, "exam")}</h1>'
        '<div id="lm-exam"></div></section>',
        '<p class="lm-finish"><button type="button" class="button button-secondary" '
        f'id="lm-finish">{_t(texts, "finish")}</button></p>',
        "</main>",
        *(f'<script src="{name}"></script>' for name in scripts),
        "</body>", "</html>", "",
    ]
    return "\n".join(body).encode()
