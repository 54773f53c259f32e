"""The GIFT upload page: upload, conversion with line-numbered messages, download; bad files
get a message and a 4xx."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parents[1] / "gift" / "fixtures"
TRAINER_EMAIL = "gift-trainer@example.org"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
GIFT = "::Farbe:: Welche Farbe hat der Himmel? {=blau ~grün ~rot}\n\nDie Erde ist rund. {T}\n"


@pytest.fixture
def trainer_client(app: Any, make_user: Any, login: Any) -> Any:
    make_user(("trainer",), email=TRAINER_EMAIL, name="Tina Trainerin")
    client = app.test_client()
    assert login(client, TRAINER_EMAIL).status_code == 302
    return client


def csrf_token_from(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token"
    return match.group(1)


def upload(client: Any, data: bytes, name: str = "fragen.txt", **fields: str) -> Any:
    token = csrf_token_from(client.get("/trainer/gift").get_data(as_text=True))
    return client.post("/trainer/gift", data={
        "csrf_token": token, "file": (io.BytesIO(data), name), "language": "de", **fields},
        content_type="multipart/form-data")


def textareas(html: str) -> dict[str, str]:
    names = re.findall(r'<input type="hidden" name="name" value="([^"]+)">', html)
    bodies = re.findall(r'<textarea id="markdown-\d+" name="markdown"[^>]*readonly>(.*?)</textarea>',
                        html, re.S)
    return dict(zip(names, (unescape(b) for b in bodies), strict=True))


def test_get_shows_the_upload_form(trainer_client: Any) -> None:
    html = trainer_client.get("/trainer/gift").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert '<label class="field-label" for="file">' in html


def test_upload_converts_and_shows_markdown(trainer_client: Any) -> None:
    response = upload(trainer_client, ("\ufeff" + GIFT).encode("utf-8"), "Himmel & Erde.txt")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    files = textareas(html)
    assert list(files) == ["01-himmel-erde.md"]
    unit = files["01-himmel-erde.md"]
    assert unit.startswith("---\nid: himmel-erde\ntitle: \"Himmel & Erde\"\n")
    assert "::: question single" in unit and "- [x] blau" in unit and "- [ ] grün" in unit
    assert "::: question truefalse" in unit and "- [x] Wahr" in unit
    assert "2 Fragen umgewandelt" in html
    assert "ohne Meldung" in html


def test_unit_id_title_and_language_from_the_form(trainer_client: Any) -> None:
    html = upload(trainer_client, GIFT.encode(), unit_id="himmel", title="Der Himmel",
                  language="en").get_data(as_text=True)
    (name, unit), = textareas(html).items()
    assert name == "01-himmel.md" and 'title: "Der Himmel"' in unit and "- [x] True" in unit


def test_messages_carry_line_numbers_and_the_rest_is_converted(trainer_client: Any) -> None:
    response = upload(trainer_client, (FIXTURES / "broken.gift").read_bytes(), "broken.gift")
    assert response.status_code == 200  # "Good one" converts
    html = response.get_data(as_text=True)
    rows = re.findall(r"<tr><td>broken\.gift</td><td>(\d+)</td><td>(\d+)</td><td>(.*?)</td>"
                      r"<td>(.*?)</td></tr>", html)
    lines = {(int(line), int(column)) for line, column, _, _ in rows}
    assert {(4, 37), (8, 25), (15, 23)} <= lines
    essay = next(text for line, _, _, text in rows if line == "4")
    assert "Essay" in unescape(essay) or "Freitext" in unescape(essay)
    assert all("Fehler" in kind for line, _, kind, _ in rows if line in ("4", "8"))
    assert len(textareas(html)) == 1


def test_categories_become_several_files_each_downloadable(trainer_client: Any) -> None:
    html = upload(trainer_client, (FIXTURES / "categories.gift").read_bytes(),
                  "categories.gift").get_data(as_text=True)
    files = textareas(html)
    assert len(files) >= 3
    assert all(re.fullmatch(r"\d{2}-[a-z0-9-]+\.md", name) for name in files)
    assert "Leer" in unescape(html)  # the empty category is reported


def test_download_returns_the_unit_as_a_markdown_attachment(trainer_client: Any) -> None:
    html = upload(trainer_client, GIFT.encode()).get_data(as_text=True)
    (name, unit), = textareas(html).items()
    token = csrf_token_from(html)
    response = trainer_client.post("/trainer/gift/download", data={
        "csrf_token": token, "name": name, "markdown": unit.replace("\n", "\r\n")})
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response.get_data(as_text=True) == unit


@pytest.mark.parametrize("name", ["../../etc/passwd", "x.md\r\nSet-Cookie: a=b", "01-a.html", ""])
def test_download_refuses_other_file_names(trainer_client: Any, csrf_token: Any, name: str) -> None:
    token = csrf_token(trainer_client, "/trainer/gift")
    response = trainer_client.post("/trainer/gift/download", data={
        "csrf_token": token, "name": name, "markdown": "---\nid: a\n---\n"})
    assert response.status_code == 400
    assert "Content-Disposition" not in response.headers
    assert "erneut" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(trainer_client: Any) -> None:
    response = trainer_client.post("/trainer/gift", data={
        "file": (io.BytesIO(GIFT.encode()), "a.txt")}, content_type="multipart/form-data")
    assert response.status_code == 400
    response = trainer_client.post("/trainer/gift/download", data={"name": "01-a.md",
                                                                    "markdown": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize(("data", "status", "message"), [
    (b"", 400, "Bitte eine Datei wählen"),
    (b"   \n\n", 400, "Die Datei ist leer"),
    (b"\xef\xbb\xbf\n", 400, "Die Datei ist leer"),
    (b"PK\x03\x04\x00\x00\x08\x00binary\x00stuff", 400, "keine Textdatei"),
    ("::Ä:: Wählen {=ja ~nein}".encode("cp1252"), 400, "Zeile 1, Spalte 3"),
    (b"// nur ein Kommentar\n", 400, "keine Frage"),
    (b"x" * (512 * 1024 + 1), 413, "größer als 512 KB"),
])
def test_bad_files_get_a_clear_message(trainer_client: Any, data: bytes, status: int,
                                       message: str) -> None:
    response = upload(trainer_client, data, "" if not data else "fragen.txt")
    assert response.status_code == status
    html = unescape(response.get_data(as_text=True))
    assert message in html
    assert "<textarea" not in html


def test_a_body_over_the_request_limit_is_413(trainer_client: Any) -> None:
    response = upload(trainer_client, b"a" * (2 * 1024 * 1024), "gross.txt")
    assert response.status_code == 413


def test_bad_unit_id_is_a_form_error(trainer_client: Any) -> None:
    response = upload(trainer_client, GIFT.encode(), unit_id="Böse ID")
    assert response.status_code == 400
    assert "a–z" in unescape(response.get_data(as_text=True)) or \
        "a-z" in unescape(response.get_data(as_text=True))


def test_converted_text_is_escaped(trainer_client: Any) -> None:
    gift = '::X:: <script>alert(1)</script> Wer? {=<img src=x onerror=alert(2)> ~b}\n'
    html = upload(trainer_client, gift.encode()).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_learners_cannot_use_the_page(app: Any, make_user: Any, login: Any) -> None:
    make_user(("learner",), email="lea-gift@example.org")
    client = app.test_client()
    login(client, "lea-gift@example.org")
    assert client.get("/trainer/gift").status_code == 403


# --- adding a converted unit to a course's draft ------------------------------------------

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
CLASHING = ("::gl leakage:: Wie heißt das Durchsickern? {=Leakage ~Fixierung}\n\n"
            "::Zweite:: Ist das ernst zu nehmen? {T}\n")  # two: the exam draws 2 per unit


@pytest.fixture
def sample_course(import_course: Any) -> int:
    return import_course(SAMPLE).version_id


def test_with_a_course_ids_stay_free_and_the_unit_joins_its_draft(
        trainer_client: Any, sample_course: int, db_session: Any) -> None:
    from lernmodul.db.authoring import CourseDraft
    from lernmodul.db.models import AuditLog
    from lernmodul.services import authoring

    response = upload(trainer_client, CLASHING.encode(), "grundlagen.txt", course="beispielkurs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    (name, unit), = textareas(html).items()
    # the course has a unit "grundlagen", a question "gl-leakage" and files 01, 02, exam.md
    assert name == "03-grundlagen-2.md"
    assert "id: grundlagen-2" in unit and "id=gl-leakage-2" in unit
    assert 'formaction="/trainer/gift/add"' in html
    response = trainer_client.post("/trainer/gift/add", data={
        "csrf_token": csrf_token_from(html), "name": name, "markdown": unit,
        "course": "beispielkurs"})
    assert response.status_code == 303
    draft = db_session.query(CourseDraft).filter_by(course_id="beispielkurs").one()
    added = [n for n, text in draft.files.items() if text == unit]
    assert len(added) == 1 and added[0].endswith(".md")
    result = authoring.compile_files(draft.files, ["media/ampel.png"])
    assert result.ok, [d.format() for d in result.errors]
    assert "gl-leakage-2" in result.course.questions()
    assert [u.id for u in result.course.units][-1] == "grundlagen-2"
    actions = {a for (a,) in db_session.query(AuditLog.action)}
    assert {"draft.create", "draft.add_unit", "draft.save_file"} <= actions


def test_adding_to_an_unknown_course_is_refused(trainer_client: Any, sample_course: int,
                                                db_session: Any) -> None:
    from lernmodul.db.authoring import CourseDraft

    response = upload(trainer_client, GIFT.encode(), course="gibt-es-nicht")
    assert response.status_code == 400
    assert "Bitte einen Kurs aus der Liste wählen" in response.get_data(as_text=True)
    html = upload(trainer_client, GIFT.encode()).get_data(as_text=True)
    assert "formaction" not in html  # no course chosen: download only
    (name, unit), = textareas(html).items()
    response = trainer_client.post("/trainer/gift/add", data={
        "csrf_token": csrf_token_from(html), "name": name, "markdown": unit,
        "course": "gibt-es-nicht"})
    assert response.status_code == 400
    assert "gibt es nicht" in response.get_data(as_text=True)
    assert db_session.query(CourseDraft).count() == 0
