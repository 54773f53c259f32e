"""Walks every page and state that the browser and app tests visit, through the Flask test
client, keeping each page for the checker: sign-in and public pages, the learner from the
first visit to the certificate (quizzes, validation errors, results, the exam), the trainer's
editor, insights and GIFT conversion, HR's dashboard, lists and assignments, the
administration of units, people, imports and certificates, and the error pages."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

from page_forms import Pages, submit
from site_world import World

from lernmodul.core.model import QuestionType

COURSE = "/courses/beispielkurs"
GIFT = ("::Farbe:: Welche Farbe hat der Himmel? {=blau ~grün ~rot}\n\n"
        "::Aufsatz:: Beschreiben Sie Ihren Tag. {}\n\nDie Erde ist rund. {T}\n")
CSV = ("Personalnummer;Name;E-Mail;Organisationseinheit;Rollen\n"
       "1001;Jürgen Weiß;j.weiss@lindenau.de;Stadt Lindenau / Dezernat II / Bürgeramt;\n"
       '1002;Anna Groß;a.gross@lindenau.de;Stadt Lindenau > Dezernat II;"learner,hr"\n')


def href(html: str, pattern: str) -> str:
    """The first link target matching `pattern` (a regular expression), unescaped."""
    match = re.search(f'href="({pattern})(#[^"]*)?"', html)
    assert match, pattern
    return unescape(match.group(1)).split("#")[0]


def right_answers(app: Any, course: Any, attempt_url: str) -> dict[str, list[str]]:
    """The fields that answer a drawn attempt correctly (order read from the attempt)."""
    from lernmodul.core.responses import form_values
    from lernmodul.db.learning import Attempt
    from lernmodul.web.database import get_database

    attempt_id = int(attempt_url.rstrip("/").rsplit("/", 1)[1])
    with get_database(app).read_sessions() as session:
        drawn = session.get(Attempt, attempt_id).questions
    questions = course.questions()
    fields: dict[str, list[str]] = {}
    for qid, order in drawn:
        q = questions[qid]
        kind = q.type
        answer: Any
        if kind is QuestionType.NUMBER:
            answer = f"{q.number_answers[0].value:g}"
        elif kind is QuestionType.TEXT:
            answer = q.text_answers[0]
        elif kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE):
            answer = next(o.id for o in q.options if o.is_correct)
        elif kind is QuestionType.MULTIPLE:
            answer = frozenset(o.id for o in q.options if o.is_correct)
        elif kind is QuestionType.ORDER:
            answer = tuple(o.id for o in q.options)
        elif kind is QuestionType.CLOZE:
            from lernmodul.services.demo_answers import right_answer

            answer = right_answer(q)
        else:
            answer = {o.id: o.id for o in q.options}
        fields.update(form_values(q, answer, tuple(order) or None))
    return fields


def take_attempt(app: Any, pages: Pages, client: Any, course: Any, response: Any,
                 state: str) -> str:
    """Follows a started attempt, answers it right, returns the result page (kept)."""
    html = pages.follow(client, state, response)
    attempt_url = response.location
    sent = submit(client, html, r"/attempts/\d+", right_answers(app, course, attempt_url))
    return pages.follow(client, f"{state}: result", sent)


def walk_public(pages: Pages, client: Any) -> None:
    html = pages.get(client, "login page", "/login")
    assert "error-summary" in pages.keep("login with validation errors",
                                         submit(client, html, "", url="/login"))
    assert 'role="alert"' in pages.keep("login with a wrong password", submit(
        client, html, "", {"login": "lea@example.org", "password": "falsch-falsch-1"},
        url="/login"))
    pages.get(client, "accessibility statement", "/accessibility")
    pages.get(client, "privacy notice", "/privacy")
    pages.get(client, "verify form", "/verify")
    pages.get(client, "verify form with a malformed code", "/verify?code=%3F%3F", 400)
    pages.get(client, "not found", "/no-such-page", 404)
    pages.keep("method not allowed", client.get("/logout"), 405)


def walk_learner(app: Any, pages: Pages, client: Any, course: Any) -> None:
    html = pages.get(client, "dashboard before starting", "/")
    html = pages.get(client, "course page before starting", COURSE)
    pages.get(client, "unit page before starting", COURSE + "/units/grundlagen")
    html = pages.follow(client, "unit page with the self-check",
                        submit(client, html, COURSE + "/start"))
    pages.keep("self-check answered", submit(
        client, html, "/check/gl-begriff", {"q-gl-begriff": "Fixierung"}))
    pages.get(client, "dashboard after starting", "/")
    pages.get(client, "course page after starting", COURSE)
    html = pages.get(client, "unit page", COURSE + "/units/grundlagen")
    html = pages.follow(client, "unit page, read", submit(client, html, "/grundlagen/read"))
    started = submit(client, html, "/grundlagen/quiz")
    html = pages.follow(client, "quiz page", started)
    html = pages.keep("quiz with validation errors", submit(client, html, r"/attempts/\d+"), 422)
    failed = submit(client, html, r"/attempts/\d+", {"confirm_incomplete": "1"})
    pages.follow(client, "result, not passed", failed)
    html = pages.get(client, "unit page after a failed quiz", COURSE + "/units/grundlagen")
    take_attempt(app, pages, client, course, submit(client, html, "/grundlagen/quiz"),
                 "quiz retaken")
    html = pages.get(client, "unit page after a passed quiz", COURSE + "/units/grundlagen")
    html = pages.get(client, "second unit", href(html, "/courses/beispielkurs/units/praxis"))
    html = pages.follow(client, "second unit, read", submit(client, html, "/praxis/read"))
    take_attempt(app, pages, client, course, submit(client, html, "/praxis/quiz"),
                 "quiz with match and number questions")
    html = pages.get(client, "course page with the exam open", COURSE)
    take_attempt(app, pages, client, course, submit(client, html, COURSE + "/exam"),
                 "exam page")
    pages.get(client, "course page, course completed", COURSE)
    pages.get(client, "dashboard, course completed", "/")
    html = pages.get(client, "second course", "/courses/bedrohungsmanagement")
    pages.follow(client, "second course, first unit",
                 submit(client, html, "/courses/bedrohungsmanagement/start"))
    pages.get(client, "dashboard with two courses", "/")
    pages.get(client, "my certificates", "/certificates")
    pages.get(client, "what HR sees about me", "/me/hr-view")
    html = pages.get(client, "password page", "/password")
    html = pages.keep("password page with errors", submit(client, html, "", {
        "current_password": "correct-horse-battery", "new_password": "zu-kurz",
        "confirm_password": "zu-kurz"}, url="/password"))
    assert 'id="new_password-error"' in html
    pages.get(client, "forbidden", "/admin/", 403)
    pages.get(client, "attempt not found", "/attempts/999999", 404)


def walk_trainer(pages: Pages, client: Any, world: World) -> None:
    html = pages.get(client, "trainer course list", "/trainer/")
    pages.keep("trainer: refused upload", submit(
        client, html, "/trainer/upload", {"archive": (io.BytesIO(b"kein zip"), "kurs.zip")}), 400)
    html = pages.get(client, "trainer course page", "/trainer/courses/beispielkurs")
    html = pages.follow(client, "draft opened", submit(client, html, "/beispielkurs/draft"))
    html = pages.get(client, "editor", href(html, r"/trainer/drafts/\d+\?file=01-grundlagen.md"))
    draft = re.search(r"/trainer/drafts/(\d+)", html).group(1)
    text = re.search(r'<textarea[^>]*name="text"[^>]*>\n?(.*?)</textarea>', html, re.S).group(1)
    original = unescape(text)
    html = pages.follow(client, "editor with an error", submit(
        client, html, "/save", {"text": original.replace("- [x] Leakage", "- [ ] Leakage", 1)}))
    pages.keep("publish refused", submit(client, html, "/publish"), 409)
    html = pages.follow(client, "editor, error fixed", submit(client, html, "/save",
                                                              {"text": original}))
    pages.get(client, "preview page", href(html, rf"/trainer/drafts/{draft}/preview\?[^\"]*"))
    html = pages.follow(client, "editor with a new unit",
                        submit(client, html, "/units", {"title": "Zusatz"}))
    pages.keep("remove a unit?", submit(client, html, "/units/remove", button="03-zusatz.md"))
    html = pages.follow(client, "published", submit(client, html, "/publish"))
    html = pages.get(client, "trainer course list again", "/trainer/")
    html = pages.follow(client, "new course draft", submit(
        client, html, "/trainer/courses", {"course_id": "datenschutz", "title": "Datenschutz"}))
    pages.keep("refused image upload", submit(client, html, "/media", {
        "image": (io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "logo.svg")}), 400)
    html = pages.get(client, "version diff", "/trainer/courses/beispielkurs/diff")
    pages.get(client, "version diff, chosen", "/trainer/courses/beispielkurs/diff?from="
              f"{world.versions['beispielkurs-2']}&to={world.versions['beispielkurs-1']}")
    stats = f"/trainer/versions/{world.versions['beispielkurs-2']}/statistics"
    pages.get(client, "question statistics", stats)
    pages.get(client, "question statistics, sorted", stats + "?sort=difficulty")
    html = pages.get(client, "GIFT form", "/trainer/gift")
    pages.keep("GIFT form with errors", submit(client, html, "/trainer/gift"), 400)
    pages.keep("GIFT converted", submit(client, html, "/trainer/gift", {
        "file": (io.BytesIO(GIFT.encode()), "himmel.txt")}))
    pages.keep("GIFT converted for a course", submit(client, html, "/trainer/gift", {
        "file": (io.BytesIO(GIFT.encode()), "himmel.txt"), "course": "beispielkurs"}))
    pages.keep("GIFT: not a text file", submit(client, html, "/trainer/gift", {
        "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00binary"), "bild.txt")}), 400)


def walk_hr(pages: Pages, client: Any, world: World) -> None:
    pages.get(client, "HR dashboard", "/hr/")
    pages.get(client, "HR dashboard, one unit", f"/hr/?unit={world.units['Dezernat II']}")
    pages.get(client, "HR dashboard, one course", "/hr/?course=bedrohungsmanagement")
    pages.get(client, "people", "/hr/people")
    pages.get(client, "people overdue", "/hr/people?status=overdue")
    pages.get(client, "people expiring", "/hr/people?status=expiring")
    pages.get(client, "people, nobody found",
              f"/hr/people?unit={world.units['Standesamt']}&course=datenschutz")
    pages.get(client, "people, bad filter", "/hr/people?status=bogus", 400)
    html = pages.get(client, "assignments", "/hr/assignments")
    pages.keep("assignment with errors", submit(client, html, "/hr/assignments"), 400)
    pages.follow(client, "assignment made", submit(client, html, "/hr/assignments", {
        "course_id": "beispielkurs", "org_unit_id": str(world.units["Ordnungsamt"]),
        "rule": "days", "due_days": "30"}))


def walk_admin(pages: Pages, client: Any, world: World) -> None:
    pages.get(client, "administration", "/admin/")
    html = pages.get(client, "import form", "/admin/users/import")
    pages.keep("import without a file", submit(client, html, "/admin/users/import"), 400)
    dry = pages.keep("import dry run", submit(client, html, "/admin/users/import", {
        "file": (io.BytesIO(CSV.encode("cp1252")), "personal.csv")}))
    pages.follow(client, "import done", submit(client, dry, "/admin/users/import/confirm"))
    pages.keep("import of a bad file", submit(client, html, "/admin/users/import", {
        "file": (io.BytesIO((CSV + "1001;Doppelt;x@lindenau.de;;chef\n").encode("cp1252")),
                 "kaputt.csv")}), 400)
    html = pages.get(client, "unit tree", "/admin/units")
    pages.keep("new unit without a name", submit(client, html, "/admin/units", {"name": ""}), 400)
    pages.follow(client, "unit created", submit(client, html, "/admin/units", {
        "name": "Jugendamt", "parent": str(world.units["Dezernat I"])}))
    unit = f"/admin/units/{world.units['Dezernat II']}"
    html = pages.get(client, "unit page", unit)
    pages.keep("unit renamed to nothing", submit(client, html, "/rename", {"name": ""}), 400)
    pages.keep("refused move", submit(client, html, "/move", {
        "parent": str(world.units["Bürgeramt"])}), 409)
    html = pages.get(client, "user list", "/admin/users")
    html = pages.get(client, "user search", "/admin/users?q=wei%C3%9F")
    user = href(html, r"/admin/users/\d+")
    html = pages.get(client, "user page", user)
    pages.keep("user profile with errors", submit(client, html, r"/admin/users/\d+",
                                                  {"email": "kein-at"}), 400)
    pages.keep("user roles with errors", submit(client, html, "/roles", {"add_role": "chef"}), 400)
    pages.keep("user password with errors", submit(client, html, "/password",
                                                   {"password": "kurz"}), 400)
    pages.follow(client, "roles saved", submit(client, html, "/roles", {
        "add_role": "hr", "add_scope": str(world.units["Bürgeramt"])}))
    pages.follow(client, "user deactivated", submit(client, html, "/deactivate"))
    pages.get(client, "learner's user page", f"/admin/users/{world.users['lea@example.org']}")
    pages.get(client, "own user page", f"/admin/users/{world.users['anton@example.org']}")
    pages.get(client, "HR assignments as admin", "/hr/assignments")
    pages.get(client, "HR audit log", "/hr/audit")


def walk_certificates(pages: Pages, client: Any, anonymous: Any) -> None:
    html = pages.get(client, "certificates", "/admin/certificates")
    page = href(html, r"/admin/certificates/\d+")
    html = pages.get(client, "certificate", page)
    code = re.search(r'href="/verify/([^"]+)"', html).group(1)
    pages.get(anonymous, "verify page, valid", f"/verify/{code}")
    pages.keep("revoke without a reason", submit(client, html, "/revoke", {"reason": ""}), 400)
    pages.keep("re-issue with errors", submit(client, html, "/reissue", {
        "participant_name": "", "reason": ""}), 400)
    html = pages.follow(client, "certificate re-issued", submit(client, html, "/reissue", {
        "participant_name": "Lea Lernende-Neu", "reason": "Namensänderung"}))
    pages.get(anonymous, "verify page, replaced", f"/verify/{code}")
    pages.follow(client, "certificate revoked", submit(client, html, "/revoke", {
        "reason": "Irrtümlich ausgestellt"}))
    pages.get(client, "certificates, revoked and replaced", "/admin/certificates")


def replay_in_english(pages: Pages, csrf: Any) -> None:
    """Every page got so far again, in English, in its client's present state."""
    clients: dict[int, Any] = {}
    for client, _url in pages.visited:
        clients.setdefault(id(client), client)
    for client in clients.values():
        switched = client.post("/language", data={"csrf_token": csrf(client), "language": "en"})
        assert switched.status_code in (302, 303), switched.status_code
    for client, url in list(pages.visited):
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.mimetype == "text/html":
            pages.keep(f"en {url}", response, response.status_code)
