"""The trainer pages through the test client on both databases: courses, the draft editor,
diagnostics, stale forms (409), previews without raw HTML, publishing and what learners then
get, images and zips (D5: 4xx with a message and nothing stored), audit rows, roles, CSRF."""

from __future__ import annotations

import io
import re
import zipfile
from html import unescape
from typing import Any

import pytest
from sqlalchemy import func, select

from lernmodul.db.authoring import CourseDraft, DraftMedia
from lernmodul.db.models import AuditLog, CourseVersion, Enrolment

from .conftest import PNG, make_zip, sample_entries

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="(\d+)"')


def token(html: str) -> str:
    return CSRF.search(html).group(1)


def text_of(response: Any) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


class Editor:
    """The editor page of a draft as a trainer sees it, and its forms."""

    def __init__(self, client: Any, draft_id: int) -> None:
        self.client = client
        self.draft_id = draft_id
        self.url = f"/trainer/drafts/{draft_id}"

    def page(self, file: str | None = None) -> Any:
        return self.client.get(self.url + (f"?file={file}" if file else ""))

    def form(self, file: str | None = None) -> dict[str, str]:
        html = self.page(file).get_data(as_text=True)
        return {"csrf_token": token(html), "revision": REVISION.search(html).group(1)}

    def post(self, action: str, data: dict[str, Any], file: str | None = None, **kwargs: Any) -> Any:
        return self.client.post(f"{self.url}/{action}", data={**self.form(file), **data}, **kwargs)

    def save(self, file: str, text: str) -> Any:
        return self.post("save", {"file": file, "text": text}, file)


def open_draft(client: Any) -> Editor:
    page = client.get("/trainer/courses/beispielkurs")
    response = client.post("/trainer/courses/beispielkurs/draft",
                           data={"csrf_token": token(page.get_data(as_text=True))})
    assert response.status_code == 303
    return Editor(client, int(response.headers["Location"].rsplit("/", 1)[1]))


def drafts(db_session: Any) -> list[Any]:
    db_session.rollback()
    return list(db_session.scalars(select(CourseDraft)))


def audit_actions(db_session: Any) -> list[str]:
    db_session.rollback()
    return list(db_session.scalars(select(AuditLog.action).where(
        AuditLog.action.like("draft.%") | AuditLog.action.like("course.%"))
        .order_by(AuditLog.id)))


@pytest.fixture
def editor(trainer: Any, sample_version: int) -> Editor:
    return open_draft(trainer)


def test_trainers_and_admins_see_the_courses_learners_do_not(app, trainer, admin_client, make_user,
                                                              login, sample_version):
    for client in (trainer, admin_client):
        html = client.get("/trainer/").get_data(as_text=True)
        assert "Beispielkurs: Sicher am Schalter" in html and "2026.1" in html
        course = client.get("/trainer/courses/beispielkurs")
        assert course.status_code == 200
        assert f"/trainer/versions/{sample_version}/download" in course.get_data(as_text=True)
    make_user(("learner",), email="lea@example.org")
    learner = app.test_client()
    login(learner, "lea@example.org")
    assert learner.get("/trainer/").status_code == 403
    assert learner.get("/trainer/courses/beispielkurs").status_code == 403
    assert trainer.get("/trainer/courses/no-such-course").status_code == 404


def test_the_editor_shows_a_file_its_problems_and_the_preview(editor, db_session):
    page = editor.page("01-grundlagen.md")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<textarea id="source" name="text"' in html and "id: grundlagen" in html
    assert 'aria-live="polite"' in html and "editor.js" in html
    assert "<h1>Grundlagen</h1>" in html  # the unit as learners see it
    assert "Keine Probleme in dieser Datei." in text_of(page)
    # the preview's image comes from the draft
    match = re.search(r'<img src="(/trainer/drafts/\d+/media/ampel\.png)"', html)
    assert match
    image = editor.client.get(match.group(1))
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data == PNG_SAMPLE()
    assert audit_actions(db_session) == ["draft.create"]
    # "Edit" again leads to the same draft
    assert open_draft(editor.client).draft_id == editor.draft_id


def PNG_SAMPLE() -> bytes:
    from .conftest import SAMPLE

    return (SAMPLE / "media" / "ampel.png").read_bytes()


def broken_text(editor: Editor) -> str:
    html = editor.page("01-grundlagen.md").get_data(as_text=True)
    text = unescape(re.search(r"<textarea[^>]*>\n(.*?)</textarea>", html, re.S).group(1))
    return text.replace("- [x] Leakage", "- [ ] Leakage", 1)


def test_an_error_is_shown_with_file_and_line_and_blocks_publishing(editor, db_session):
    text = broken_text(editor)
    response = editor.save("01-grundlagen.md", text)
    assert response.status_code == 303
    page = editor.page("01-grundlagen.md")
    assert "01-grundlagen.md wurde gespeichert." in text_of(page)
    line = text.splitlines().index("::: question single id=gl-leakage") + 1
    problem = re.compile(rf"01-grundlagen\.md:{line}:1\s+Fehler:\s+Frage vom Typ „single“ "
                         r"braucht genau ein \[x\], gefunden: 0")
    assert problem.search(text_of(page))
    assert f'data-file="01-grundlagen.md" data-line="{line}"' in page.get_data(as_text=True)
    refused = editor.post("publish", {"version": "2026.2"})
    assert refused.status_code == 409
    assert "Der Kurs hat noch Fehler (1)." in text_of(refused)
    assert problem.search(text_of(refused))
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(CourseVersion)) == 1
    # the version written for the refused publish is not kept either
    assert 'version: "2026.1"' in drafts(db_session)[0].files["course.md"]


def test_publish_then_learners_keep_their_version_and_newcomers_get_the_new_one(
        app, editor, db_session, make_user, login):
    early = app.test_client()
    make_user(("learner",), email="early@example.org")
    login(early, "early@example.org")
    page = early.get("/courses/beispielkurs")
    early.post("/courses/beispielkurs/start", data={"csrf_token": token(page.get_data(as_text=True))})

    text = broken_text(editor).replace("- [ ] Leakage", "- [x] Leakage", 1)
    editor.save("01-grundlagen.md", text.replace("Bedrohungsmanagement heißt",
                                                 "Neu im Kurs: Bedrohungsmanagement heißt"))
    # the existing version number is refused with a suggestion, prefilled in the form
    refused = editor.post("publish", {"version": "2026.1"})
    assert refused.status_code == 409
    assert "Version 2026.1 ist bereits veröffentlicht" in text_of(refused)
    assert 'name="version" required maxlength="50" value="2026.2"' in refused.get_data(as_text=True)
    published = editor.post("publish", {"version": "2026.2"})
    assert published.status_code == 303
    assert published.headers["Location"].endswith("/trainer/courses/beispielkurs")
    assert "Version 2026.2" in text_of(editor.client.get(published.headers["Location"]))
    assert drafts(db_session) == []
    assert audit_actions(db_session)[-2:] == ["draft.save_file", "course.publish"]

    assert "Neu im Kurs" not in early.get("/courses/beispielkurs/units/grundlagen").get_data(
        as_text=True)
    late = app.test_client()
    make_user(("learner",), email="late@example.org")
    login(late, "late@example.org")
    assert "Neu im Kurs" in late.get("/courses/beispielkurs/units/grundlagen").get_data(as_text=True)
    page = late.get("/courses/beispielkurs")
    late.post("/courses/beispielkurs/start", data={"csrf_token": token(page.get_data(as_text=True))})
    db_session.rollback()
    versions = dict(db_session.execute(select(CourseVersion.version, CourseVersion.id)).all())
    taken = sorted(db_session.scalars(select(Enrolment.course_version_id)))
    assert taken == [versions["2026.1"], versions["2026.2"]]


def test_a_stale_form_gets_409_and_keeps_the_typed_text(editor, db_session):
    old = editor.form("course.md")
    assert editor.save("course.md", broken_text(editor)[:0] + "---\nid: x\n---\nErster\n").status_code == 303
    response = editor.client.post(f"{editor.url}/save", data={
        **old, "file": "course.md", "text": "Zweiter Stand aus einem alten Tab"})
    assert response.status_code == 409
    assert "Der Entwurf wurde geändert, seit diese Seite geladen wurde" in text_of(response)
    assert "Zweiter Stand aus einem alten Tab" in response.get_data(as_text=True)
    assert drafts(db_session)[0].files["course.md"] == "---\nid: x\n---\nErster\n"


def test_posts_without_a_csrf_token_are_refused(editor, db_session):
    response = editor.client.post(f"{editor.url}/save", data={
        "revision": "1", "file": "course.md", "text": "weg"})
    assert response.status_code == 400
    assert "weg" not in drafts(db_session)[0].files["course.md"]


XSS = ('<script>alert("x")</script>\n\n<img src=x onerror=alert(1)>\n\n'
       '[klick](javascript:alert(1))\n\nErgebnis: {{ 7*7 }} {% raw %}\n')


def test_previews_never_contain_raw_html_and_template_syntax_stays_text(editor):
    text = broken_text(editor).replace("- [ ] Leakage", "- [x] Leakage", 1) + "\n" + XSS
    editor.save("01-grundlagen.md", text)
    for response in (editor.page("01-grundlagen.md"),
                     editor.client.get(f"{editor.url}/preview?file=01-grundlagen.md"),
                     editor.post("preview", {"file": "01-grundlagen.md", "text": text},
                                 "01-grundlagen.md")):
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        body = html.split('data-part="body"', 1)[1]
        assert "<script>alert" not in body and "<img src=x" not in body
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", body)  # no event handler attribute
        assert not re.search(r"""href\s*=\s*["']?javascript:""", body)
        assert "&lt;script&gt;alert" in body  # shown as text
        assert "{{ 7*7 }}" in unescape(body) and "Ergebnis: 49" not in body


def test_the_live_preview_renders_the_posted_text_and_stores_nothing(editor, db_session):
    before = drafts(db_session)[0]
    response = editor.post("preview", {"file": "02-praxis.md",
                                       "text": "---\nid: praxis\ntitle: Ganz neu\n---\n\nLive.\n"},
                           "02-praxis.md")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'data-part="status"' in html and "<h1>Ganz neu</h1>" in html
    after = drafts(db_session)[0]
    assert (after.revision, after.files) == (before.revision, before.files)
    broken = editor.post("preview", {"file": "02-praxis.md", "text": "kein front matter"},
                         "02-praxis.md")
    assert "Front Matter fehlt" in text_of(broken)
    assert editor.post("preview", {"file": "../x.md", "text": ""}).status_code == 404


def test_units_are_added_moved_and_removed(editor, db_session):
    response = editor.post("units", {"title": "Übung macht den Meister"})
    assert response.status_code == 303
    assert "file=03-uebung-macht-den-meister.md" in response.headers["Location"]
    files = drafts(db_session)[0].files
    assert "  - 03-uebung-macht-den-meister.md\n" in files["course.md"]
    assert editor.post("units/move", {"file": "03-uebung-macht-den-meister.md",
                                      "direction": "up"}).status_code == 303
    units = re.findall(r"^  - (\S+)$", drafts(db_session)[0].files["course.md"], re.M)
    assert units == ["01-grundlagen.md", "03-uebung-macht-den-meister.md", "02-praxis.md"]
    assert editor.post("units/move", {"file": "02-praxis.md", "direction": "sideways"}).status_code == 400
    # removing asks first: that answer changes nothing
    asked = editor.post("units/remove", {"file": "03-uebung-macht-den-meister.md"})
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.get_data(as_text=True)
    assert "03-uebung-macht-den-meister.md" in drafts(db_session)[0].files
    assert editor.post("units/remove", {"file": "03-uebung-macht-den-meister.md",
                                        "confirm": "yes"}).status_code == 303
    assert "03-uebung-macht-den-meister.md" not in drafts(db_session)[0].files
    assert editor.post("units/remove", {"file": "course.md"}).status_code == 400
    assert editor.post("units/remove", {"file": "course.md", "confirm": "yes"}).status_code == 400
    assert editor.post("units", {"title": ""}).status_code == 400
    assert audit_actions(db_session)[1:] == ["draft.add_unit", "draft.move_unit",
                                             "draft.remove_unit"]


def test_an_image_upload_is_stored_under_a_generated_name(editor, db_session):
    response = editor.post("media", {"image": (io.BytesIO(PNG), "Mein Foto.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    page = editor.client.get(response.headers["Location"])
    match = re.search(r"Fügen Sie es mit !\[Beschreibung\]\((media/[0-9a-f]{16}\.png)\) ein",
                      text_of(page))
    assert match
    path = match.group(1)
    served = editor.client.get(f"{editor.url}/{path}")
    assert served.data == PNG and served.mimetype == "image/png"
    assert "draft.add_media" in audit_actions(db_session)


BAD_IMAGES = [
    ("logo.svg", b"<svg><script>alert(1)</script></svg>", "SVG-Bilder werden nicht angenommen"),
    ("seite.png", b"<html><script>alert(1)</script>", "ist kein Bild der Art"),
    ("tabelle.xlsx", PNG, "Nur PNG-, JPEG-, GIF- und WebP-Bilder"),
    ("leer.png", b"", "ist leer"),
]


@pytest.mark.parametrize("name, data, message", BAD_IMAGES)
def test_bad_images_get_400_and_nothing_is_stored(editor, db_session, name, data, message):
    response = editor.post("media", {"image": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in text_of(response)
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(DraftMedia)) == 1  # ampel.png


def test_an_image_above_the_limit_gets_413_with_a_message(editor, db_session):
    response = editor.post("media", {"image": (io.BytesIO(PNG + b"\0" * (5 * 1024 * 1024 + 70_000)),
                                               "riesig.png")}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Das Bild ist größer als 5 MB" in text_of(response)
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(DraftMedia)) == 1


def upload_zip(client: Any, data: bytes, mode: str = "draft") -> Any:
    page = client.get("/trainer/")
    return client.post("/trainer/upload", data={
        "csrf_token": token(page.get_data(as_text=True)), "mode": mode,
        "archive": (io.BytesIO(data), "kurs.zip")}, content_type="multipart/form-data")


def test_a_downloaded_zip_uploads_again_as_a_draft_and_as_a_version(trainer, sample_version,
                                                                    db_session):
    download = trainer.get(f"/trainer/versions/{sample_version}/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.headers["Content-Disposition"] == \
        'attachment; filename="beispielkurs-2026.1.zip"'
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert "beispielkurs/course.md" in archive.namelist()
        assert "beispielkurs/media/ampel.png" in archive.namelist()
    response = upload_zip(trainer, download.data)
    assert response.status_code == 303 and "/trainer/drafts/" in response.headers["Location"]
    assert drafts(db_session)[0].files["course.md"].startswith("---\nformat: 1\n")
    again = upload_zip(trainer, download.data)
    assert again.status_code == 409 and "Es gibt schon einen offenen Entwurf" in text_of(again)
    exists = upload_zip(trainer, download.data, "publish")
    assert exists.status_code == 409 and "Version 2026.1 ist bereits veröffentlicht" in text_of(exists)
    assert audit_actions(db_session) == ["course.download", "course.upload_zip"]


def test_a_zip_with_errors_is_not_published_and_shows_the_diagnostics(trainer, db_session):
    entries = sample_entries("")
    entries["02-praxis.md"] = b"---\nid: praxis\n---\n"
    response = upload_zip(trainer, make_zip(entries), "publish")
    assert response.status_code == 409
    assert "02-praxis.md:" in text_of(response) and "Pflichtschlüssel „title“ fehlt" in text_of(response)
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(CourseVersion)) == 0


@pytest.mark.parametrize("entries, message", [
    ({"kurs/course.md": "x", "kurs/../../boese.md": "x"}, "zeigt aus dem Kursordner hinaus"),
    ({"course.md": "x", "/etc/passwd": "x"}, "ist ein absoluter Pfad"),
    ({"course.md": "x", "media\\x.png": PNG}, "enthält einen umgekehrten Schrägstrich"),
    ({"course.md": "x", "media/logo.svg": "<svg/>"}, "SVG-Bilder werden nicht angenommen"),
    ({"01-a.md": "x"}, "keine course.md"),
    ("symlink", "ist ein symbolischer Link"),
    ("duplicate", "kommt in der Zip-Datei zweimal vor"),
    ("bomb", "als mögliche Zip-Bombe abgelehnt"),
    ("encrypted", "ist verschlüsselt"),
])
def test_bad_zips_get_400_with_a_message_and_nothing_is_stored(trainer, db_session, entries,
                                                               message):
    from .test_course_zip import BAD_ZIPS

    data = make_zip(entries) if isinstance(entries, dict) else BAD_ZIPS[{
        "symlink": "zip_symlink", "duplicate": "zip_duplicate", "bomb": "zip_ratio",
        "encrypted": "zip_encrypted"}[entries]]()
    response = upload_zip(trainer, data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert drafts(db_session) == []


def test_a_zip_above_the_limit_gets_413_with_a_message(make_app, make_user, login, db_session):
    app = make_app(COURSE_ZIP_MAX_BYTES=100_000)
    make_user(("trainer",), email="t2@example.org")
    client = app.test_client()
    login(client, "t2@example.org")
    response = upload_zip(client, b"PK" + bytes(200_000))
    assert response.status_code == 413
    assert "Die Zip-Datei ist größer als 0.0953674 MB." in text_of(response)
    assert upload_zip(client, b"no zip at all").status_code == 400


def test_a_new_course_starts_as_a_draft_that_compiles(trainer, db_session):
    page = trainer.get("/trainer/")
    bad = trainer.post("/trainer/courses", data={"csrf_token": token(page.get_data(as_text=True)),
                                                 "course_id": "Mit Leerzeichen", "title": "T"})
    assert bad.status_code == 400 and "Die Kurs-Kennung darf nur" in text_of(bad)
    assert 'value="Mit Leerzeichen"' in bad.get_data(as_text=True)
    response = trainer.post("/trainer/courses", data={
        "csrf_token": token(page.get_data(as_text=True)), "course_id": "datenschutz",
        "title": "Datenschutz <b>kompakt</b>"})
    assert response.status_code == 303
    editor = trainer.get(response.headers["Location"])
    assert "Keine Probleme: Der Entwurf kann veröffentlicht werden." in text_of(editor)
    assert "<b>kompakt</b>" not in editor.get_data(as_text=True)


def test_discarding_needs_the_confirmation(editor, db_session):
    assert editor.post("discard", {}).status_code == 400
    assert len(drafts(db_session)) == 1
    response = editor.post("discard", {"confirm": "1"})
    assert response.status_code == 303
    assert drafts(db_session) == []
    assert audit_actions(db_session) == ["draft.create", "draft.discard"]
    assert editor.page().status_code == 404


def test_the_live_preview_compiles_outside_the_write_transaction(app, editor, monkeypatch,
                                                                 db_session):
    """A POST takes the write lock only at its first write, and the preview writes nothing:
    a learner's write made while the preview compiles does not wait for it."""
    from lernmodul.db.models import utcnow
    from lernmodul.services import authoring
    from lernmodul.services.audit import record_event
    from lernmodul.web.database import get_database

    compile_files = authoring.compile_files
    written = []

    def compile_while_another_writes(*args, **kwargs):
        other = get_database(app).sessions()
        try:
            record_event(other, action="test.concurrent_write", at=utcnow())
            other.commit()
            written.append(True)
        finally:
            other.close()
        return compile_files(*args, **kwargs)

    form = editor.form("02-praxis.md")
    monkeypatch.setattr(authoring, "compile_files", compile_while_another_writes)
    response = editor.client.post(f"{editor.url}/preview", data={
        **form, "file": "02-praxis.md", "text": "---\nid: praxis\ntitle: P\n---\n"})
    assert response.status_code == 200 and written == [True]


def test_an_svg_is_served_to_trainers_under_the_same_sandbox_as_to_learners(
        app, editor, db_session):
    """Folder imports may carry SVGs (uploads refuse them): the draft's copy opened on the
    trainer route gets the policy that keeps its scripts from running."""
    from lernmodul.db.models import utcnow

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    db_session.add(DraftMedia(draft_id=editor.draft_id, path="media/bild.svg",
                              media_type="image/svg+xml", content=svg, created_at=utcnow()))
    db_session.commit()
    response = editor.client.get(f"/trainer/drafts/{editor.draft_id}/media/bild.svg")
    assert response.status_code == 200 and response.data == svg
    assert response.headers["Content-Security-Policy"] == \
        "default-src 'none'; style-src 'unsafe-inline'"
