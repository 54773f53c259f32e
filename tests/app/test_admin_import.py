"""User import: the upload page (dry run, then confirm), its limits and messages, and the
`lernmodul users import` command."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from lernmodul.cli import main
from lernmodul.db.models import AuditLog, Enrolment, OrgUnit, User

ADMIN_EMAIL = "admin@example.org"
CSV = (
    "Personalnummer;Name;E-Mail;Organisationseinheit;Rollen\n"
    "1001;Jürgen Weiß;j.weiss@lindenau.de;Stadt Lindenau / Dezernat II / Bürgeramt;\n"
    '1002;Anna Groß;a.gross@lindenau.de;Stadt Lindenau > Dezernat II > Bürgeramt;"learner,hr"\n'
)
CONFIRM_CONTENT = re.compile(r'name="content" type="hidden" value="([^"]*)"')


def upload(client, csrf_token, data: bytes, name="personal.csv", **fields):
    token = csrf_token(client, "/admin/users/import")
    return client.post(
        "/admin/users/import",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(data), name), **fields},
    )


def confirm(client, csrf_token, preview_html: str, **overrides):
    match = CONFIRM_CONTENT.search(preview_html)
    assert match, "no confirmation form"
    data = {
        "csrf_token": csrf_token(client, "/admin/users/import"),
        "content": match.group(1),
        "file_name": "personal.csv",
        "deactivate_missing": "",
        **overrides,
    }
    return client.post("/admin/users/import/confirm", data=data)


def count(db_session, model):
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(model))


def test_upload_shows_the_dry_run_and_writes_nothing_until_confirmed(admin, csrf_token, snapshot, db_session):
    before = snapshot()
    response = upload(admin, csrf_token, CSV.encode("cp1252"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Prüfung von personal.csv: Noch wurde nichts gespeichert" in html
    assert "2 Personen werden angelegt" in html and "3 Organisationseinheiten werden angelegt" in html
    assert "Stadt Lindenau / Dezernat II / Bürgeramt" in html and "Jürgen Weiß" in html
    assert snapshot() == before
    done = confirm(admin, csrf_token, html)
    assert done.status_code == 303
    page = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert (
        "2 angelegt, 0 aktualisiert, 0 unverändert, 0 deaktiviert, 3 Organisationseinheiten angelegt" in page
    )
    assert "können sich erst anmelden, wenn" in page
    assert count(db_session, User) == 3 and count(db_session, OrgUnit) == 3
    db_session.rollback()
    summary = db_session.scalar(select(AuditLog).where(AuditLog.action == "user.import"))
    assert summary.actor_id == admin.user.id and summary.detail["created"] == 2
    # the same file again: nothing to do, no confirmation offered
    again = upload(admin, csrf_token, b"\xef\xbb\xbf" + CSV.encode()).get_data(as_text=True)
    assert "2 Personen sind unverändert" in again
    assert "es gibt nichts zu importieren" in again and not CONFIRM_CONTENT.search(again)


def test_updates_are_listed_with_their_fields(admin, csrf_token):
    confirm(admin, csrf_token, upload(admin, csrf_token, CSV.encode()).get_data(as_text=True))
    html = upload(admin, csrf_token, CSV.replace("Anna Groß", "Anna Klein").encode()).get_data(as_text=True)
    assert "1 Person wird aktualisiert" in html and "geändert: Name" in html


def test_bad_lines_are_listed_in_german_and_nothing_is_imported(admin, csrf_token, snapshot):
    before = snapshot()
    bad = CSV + "1001;Doppelt;d@lindenau.de;;\n1004;Ohne Mail;;;\n1005;X;x@lindenau.de;;chef\n"
    response = upload(admin, csrf_token, bad.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "3 Zeilen von personal.csv haben Fehler: Nichts wurde importiert" in html
    assert "<td>4</td><td>Die Personalnummer 1001 steht schon in Zeile 2.</td>" in html
    assert "<td>5</td><td>„“ ist keine gültige E-Mail-Adresse.</td>" in html
    assert "Unbekannte Rolle „chef“" in html
    assert not CONFIRM_CONTENT.search(html)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Die Datei ist leer."),
        (b"\x00\x01\x02", "Das ist keine CSV-Textdatei."),
        (b"Nummer;Name\n1;x\n", "Unbekannte Spalte „Nummer“."),
    ],
)
def test_unreadable_files_get_a_message(admin, csrf_token, data, message):
    response = upload(admin, csrf_token, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_upload_without_a_file_is_refused(admin, csrf_token):
    token = csrf_token(admin, "/admin/users/import")
    response = admin.post("/admin/users/import", data={"csrf_token": token})
    assert response.status_code == 400 and "Wählen Sie eine CSV-Datei aus." in response.get_data(as_text=True)


def test_too_large_upload_gets_413_with_a_clear_message(make_app, make_user, login, csrf_token):
    app = make_app(USER_IMPORT_MAX_BYTES=2 * 1024 * 1024)
    make_user(("admin",), email=ADMIN_EMAIL)
    client = app.test_client()
    login(client, ADMIN_EMAIL)
    response = upload(client, csrf_token, CSV.encode() * 40_000)  # 6.4 MB
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Die Datei ist größer als 2 MB" in html and "lernmodul users import" in html


def test_a_tampered_confirmation_is_refused(admin, csrf_token, snapshot):
    before = snapshot()
    token = csrf_token(admin, "/admin/users/import")
    for content in ("not base64 !!", ""):
        response = admin.post("/admin/users/import/confirm", data={"csrf_token": token, "content": content})
        assert response.status_code == 400
        assert "Laden Sie sie erneut hoch" in response.get_data(as_text=True)
    bad = base64.b64encode(b"Personalnummer;Name;E-Mail\n1;;x\n").decode()
    response = admin.post("/admin/users/import/confirm", data={"csrf_token": token, "content": bad})
    assert response.status_code == 409
    assert snapshot() == before


def test_deactivate_missing_from_the_page_ends_sessions(app, admin, csrf_token, login, db_session):
    confirm(admin, csrf_token, upload(admin, csrf_token, CSV.encode()).get_data(as_text=True))
    db_session.rollback()
    weiss = db_session.scalar(select(User).where(User.personnel_number == "1001"))
    weiss.password_hash = db_session.scalar(select(User.password_hash).where(User.email == ADMIN_EMAIL))
    db_session.commit()
    leaver = app.test_client()
    assert login(leaver, "1001").status_code == 302
    assert leaver.get("/").status_code == 200
    only_gross = "\n".join(CSV.splitlines()[::2]) + "\n"
    html = upload(admin, csrf_token, only_gross.encode(), deactivate_missing="y").get_data(as_text=True)
    assert "1 Person wird deaktiviert" in html and "1001 Jürgen Weiß" in html
    assert confirm(admin, csrf_token, html, deactivate_missing="1").status_code == 303
    assert leaver.get("/").headers["Location"].startswith("/login")
    db_session.expire_all()
    assert not db_session.get(User, weiss.id).is_active
    assert db_session.scalar(select(User.is_active).where(User.email == ADMIN_EMAIL))


# --- the command ----------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, tmp_path, database_url):
    monkeypatch.setenv("LERNMODUL_DATABASE_URL", database_url)
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    monkeypatch.delenv("LERNMODUL_ENV", raising=False)

    def invoke(*arguments):
        return CliRunner().invoke(main, ["users", "import", *arguments])

    return invoke


def test_cli_dry_run_then_import_then_idempotent(cli, tmp_path, app, db_session):
    path = tmp_path / "personal.csv"
    path.write_bytes(CSV.encode("cp1252"))
    dry = cli(str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "line 2: 1001 Jürgen Weiß: would be created" in dry.output
    assert "org unit would be created: Stadt Lindenau / Dezernat II / Bürgeramt" in dry.output
    assert "(dry run: nothing was written)" in dry.output
    assert count(db_session, User) == 0
    done = cli(str(path))
    assert done.exit_code == 0, done.output
    assert "2 created, 0 updated, 0 unchanged, 0 deactivated, 3 org units created" in done.output
    assert "cannot sign in until an administrator" in done.output
    assert count(db_session, User) == 2
    again = cli(str(path))
    assert "0 created, 0 updated, 2 unchanged, 0 deactivated, 0 org units created" in again.output


def test_cli_bad_lines_exit_1_with_line_numbers(cli, tmp_path, app, db_session):
    path = tmp_path / "bad.csv"
    path.write_text(CSV + "1003;;x@lindenau.de;;\n1004;Y;kaputt;;\n", encoding="utf-8")
    result = cli(str(path))
    assert result.exit_code == 1
    assert "line 4: name is missing" in result.output
    assert "line 5: 'kaputt' is not a valid e-mail address" in result.output
    assert "2 bad line(s); nothing was imported" in result.output
    assert count(db_session, User) == 0 and count(db_session, OrgUnit) == 0


def test_cli_deactivate_missing_and_unreadable_file(cli, tmp_path, app, db_session):
    full, part, empty = tmp_path / "full.csv", tmp_path / "part.csv", tmp_path / "empty.csv"
    full.write_text(CSV, encoding="utf-8")
    part.write_text("\n".join(CSV.splitlines()[:2]) + "\n", encoding="utf-8")
    empty.write_bytes(b"")
    assert cli(str(full)).exit_code == 0
    result = cli(str(part), "--deactivate-missing")
    assert result.exit_code == 0, result.output
    assert "1002 Anna Groß: deactivated (not in the file)" in result.output
    db_session.rollback()
    assert not db_session.scalar(select(User.is_active).where(User.personnel_number == "1002"))
    result = cli(str(empty))
    assert result.exit_code == 1 and "the file is empty" in result.output


HUGE_FIELD = CSV + "1003;" + "x" * (128 * 1024 + 1) + ";c@lindenau.de;;\n"


def test_a_field_over_128_kib_gets_a_message_on_the_page(admin, csrf_token, snapshot):
    before = snapshot()
    response = upload(admin, csrf_token, HUGE_FIELD.encode())
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Ein Feld ist länger als 128 KiB" in html
    assert not CONFIRM_CONTENT.search(html)
    assert snapshot() == before


def test_a_field_over_128_kib_exits_1_on_the_command_line(cli, tmp_path, app, db_session):
    path = tmp_path / "huge.csv"
    path.write_text(HUGE_FIELD, encoding="utf-8")
    result = cli(str(path))
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "line 4: a field is longer than 128 KiB" in result.output
    assert count(db_session, User) == 0


def test_an_org_unit_path_of_990_levels_is_a_bad_line_on_the_page(admin, csrf_token, snapshot):
    before = snapshot()
    deep = " / ".join(f"E{n}" for n in range(1, 991))
    response = upload(admin, csrf_token, (CSV + f"1003;Tief;t@lindenau.de;{deep};\n").encode())
    assert response.status_code == 400
    assert "Der Pfad der Organisationseinheit hat mehr als 12 Ebenen" in \
        response.get_data(as_text=True)
    assert snapshot() == before


# --- the HR scope of imported HR roles -----------------------------------------------------

SCOPED = (
    "Personalnummer;Name;E-Mail;Organisationseinheit;Rollen\n"
    "2001;Hanna Rot;h.rot@lindenau.de;Stadt Lindenau / Bürgeramt Süd;hr\n"
    "2002;Lena Blau;l.blau@lindenau.de;Stadt Lindenau / Bürgeramt Süd;\n"
    "2003;Kai Grün;k.gruen@lindenau.de;Stadt Lindenau / Bauamt;\n"
)


def test_an_imported_hr_person_sees_only_the_own_unit(app, admin, csrf_token, login, db_session):
    html = upload(admin, csrf_token, SCOPED.encode()).get_data(as_text=True)
    assert "HR-Bereiche" in html
    section = html[html.index("HR-Bereiche"):]
    row = re.search(r"<tr><td>2</td><td>2001</td><td>Hanna Rot</td>\s*<td>([^<]*)</td>", section)
    assert row and row.group(1) == "Stadt Lindenau / Bürgeramt Süd (eigene Einheit)"
    assert confirm(admin, csrf_token, html).status_code == 303
    db_session.rollback()
    now = datetime.now(UTC)
    for user in db_session.scalars(select(User).where(User.personnel_number.is_not(None))):
        db_session.add(Enrolment(user_id=user.id, course_id="pflichtkurs", is_mandatory=True,
                                 assigned_at=now))
    rot = db_session.scalar(select(User).where(User.personnel_number == "2001"))
    rot.password_hash = db_session.scalar(select(User.password_hash).where(User.email == ADMIN_EMAIL))
    db_session.commit()
    client = app.test_client()
    assert login(client, "h.rot@lindenau.de").status_code == 302
    people = client.get("/hr/people").get_data(as_text=True)
    assert "Lena Blau" in people and "Kai Grün" not in people
    assert "Personalstelle – alle Einheiten" not in admin.get(f"/admin/users/{rot.id}").get_data(as_text=True)


def test_the_page_names_an_unknown_hr_scope(admin, csrf_token, snapshot):
    before = snapshot()
    text = (SCOPED.replace("Rollen\n", "Rollen;HR-Bereich\n")
            .replace(";hr\n", ";hr;Stadt Lindenau / Ordnungsamt\n").replace(";\n", ";;\n"))
    response = upload(admin, csrf_token, text.encode())
    assert response.status_code == 400
    assert ("HR-Bereich: Die Organisationseinheit „Stadt Lindenau / Ordnungsamt“ gibt es nicht, und "
            "diese Datei legt sie nicht an.") in response.get_data(as_text=True)
    assert snapshot() == before


def test_cli_reports_the_scope_and_takes_a_default(cli, tmp_path, app, db_session):
    path = tmp_path / "hr.csv"
    path.write_text(SCOPED, encoding="utf-8")
    dry = cli(str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert ("line 2: 2001 Hanna Rot: HR scope: Stadt Lindenau / Bürgeramt Süd with its sub-units "
            "(own unit)") in dry.output
    bad = cli(str(path), "--hr-scope", "* | Stadt Lindenau")
    assert bad.exit_code == 2 and "--hr-scope" in bad.output
    done = cli(str(path), "--hr-scope", "*")
    assert done.exit_code == 0, done.output
    assert "line 2: 2001 Hanna Rot: HR scope: all units" in done.output
    db_session.rollback()
    rot = db_session.scalar(select(User).where(User.personnel_number == "2001"))
    assert [(r.role, r.org_unit_id) for r in rot.roles] == [("hr", None)]
