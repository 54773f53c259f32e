"""User import from CSV, on SQLite and PostgreSQL: encodings, delimiters, headers, paths,
idempotence, dry runs, bad lines, deactivation of people who left, chunked lookups."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, func, select

from lernmodul.db.models import AuditLog, OrgUnit, User, UserRole, utcnow
from lernmodul.services import user_import
from lernmodul.services.org_units import unit_path
from lernmodul.services.user_import import ImportFileError, import_users

GERMAN = (
    "Personalnummer;Name;E-Mail;Organisationseinheit;Rollen\n"
    "1001;Jürgen Weiß;j.weiss@lindenau.de;Stadt Lindenau / Dezernat II / Bürgeramt;\n"
    '1002;Anna Groß;A.Gross@Lindenau.de;Stadt Lindenau / Dezernat II / Bürgeramt;"learner,hr"\n'
    "1003;Ömer Çelik;o.celik@lindenau.de;Stadt Lindenau > Dezernat III;trainer\n"
)
ENGLISH = (
    "personnel_number,name,email,org_unit,roles\n"
    "1001,Jürgen Weiß,j.weiss@lindenau.de,Stadt Lindenau / Dezernat II / Bürgeramt,\n"
    '1002,Anna Groß,a.gross@lindenau.de,Stadt Lindenau / Dezernat II / Bürgeramt,"learner, hr"\n'
    "1003,Ömer Çelik,o.celik@lindenau.de,Stadt Lindenau>Dezernat III,trainer\n"
)


def run(session, text_or_bytes, *, dry_run=False, **kwargs):
    data = text_or_bytes.encode() if isinstance(text_or_bytes, str) else text_or_bytes
    return import_users(session, data, dry_run=dry_run, now=utcnow(), **kwargs)


def users_by_number(session):
    return {u.personnel_number: u for u in session.scalars(select(User))}


def assert_imported(session):
    users = users_by_number(session)
    assert set(users) == {"1001", "1002", "1003"}
    weiss, gross, celik = users["1001"], users["1002"], users["1003"]
    assert weiss.name == "Jürgen Weiß" and weiss.email == "j.weiss@lindenau.de"
    assert gross.email == "a.gross@lindenau.de"
    assert unit_path(session, weiss.org_unit_id) == "Stadt Lindenau / Dezernat II / Bürgeramt"
    assert gross.org_unit_id == weiss.org_unit_id
    assert unit_path(session, celik.org_unit_id) == "Stadt Lindenau / Dezernat III"
    assert weiss.role_names == {"learner"}
    assert gross.role_names == {"learner", "hr"}
    assert celik.role_names == {"trainer"}
    assert all(u.password_hash is None and u.is_active for u in users.values())
    assert session.scalar(select(func.count()).select_from(OrgUnit)) == 4


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(GERMAN.encode("utf-8"), id="german-semicolon-utf8"),
        pytest.param(b"\xef\xbb\xbf" + GERMAN.encode("utf-8"), id="german-utf8-bom"),
        pytest.param(GERMAN.replace("\n", "\r\n").encode("cp1252"), id="german-cp1252-crlf"),
        pytest.param(ENGLISH.encode("utf-8"), id="english-comma"),
        pytest.param(b"\xef\xbb\xbf" + ENGLISH.encode("utf-8"), id="english-comma-bom"),
        pytest.param(ENGLISH.encode("cp1252"), id="english-comma-cp1252"),
    ],
)
def test_csv_variants_import_the_same_people(session, data):
    report = run(session, data)
    assert report.is_ok, report.problems
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert report.units_created == [
        "Stadt Lindenau",
        "Stadt Lindenau / Dezernat II",
        "Stadt Lindenau / Dezernat II / Bürgeramt",
        "Stadt Lindenau / Dezernat III",
    ]
    assert_imported(session)


def test_headers_in_any_case_and_order_and_optional_columns(session):
    report = run(session, "E-MAIL;NAME;PERSONALNUMMER\nx@example.org;X Y;7\n")
    assert report.is_ok, report.problems
    user = users_by_number(session)["7"]
    assert user.org_unit_id is None and user.role_names == {"learner"}


def test_the_same_file_twice_changes_nothing(session, sessions):
    assert run(session, GERMAN).created == 3
    session.commit()
    events = session.scalar(select(func.count()).select_from(AuditLog))
    second = run(session, GERMAN.replace(";\n", ";learner\n"))
    assert second.is_ok
    assert second.change_count == 0 and second.unchanged == 3
    assert session.scalar(select(func.count()).select_from(AuditLog)) == events + 1  # summary
    assert_imported(session)


def test_updates_report_the_changed_fields_and_keep_scoped_roles(session):
    run(session, GERMAN)
    gross = users_by_number(session)["1002"]
    # an admin narrowed her HR role to the Bürgeramt: a re-import keeps that scope
    hr = next(r for r in gross.roles if r.role == "hr")
    hr.org_unit_id = gross.org_unit_id
    session.flush()
    changed = (GERMAN.replace("Jürgen Weiß", "Jürgen Weiss")
               .replace("o.celik@", "oemer.celik@")
               .replace("Stadt Lindenau > Dezernat III;trainer", "Stadt Lindenau > Dezernat IV;hr"))
    report = run(session, changed)
    assert report.is_ok, report.problems
    updates = {c.personnel_number: c.fields for c in report.changes if c.action == "update"}
    assert updates == {"1001": ("name",), "1003": ("email", "org_unit", "roles")}
    assert report.units_created == ["Stadt Lindenau / Dezernat IV"]
    users = users_by_number(session)
    assert users["1003"].role_names == {"hr"}
    assert {(r.role, r.org_unit_id) for r in users["1002"].roles} >= {("hr", gross.org_unit_id)}
    audit = session.scalars(select(AuditLog).where(AuditLog.action == "user.update")).all()
    assert {a.target for a in audit} == {f"user:{users['1001'].id}", f"user:{users['1003'].id}"}


def test_dry_run_reports_and_writes_nothing(session):
    report = run(session, GERMAN, dry_run=True)
    assert report.is_ok and report.dry_run
    assert [c.action for c in report.changes] == ["create"] * 3
    assert len(report.units_created) == 4
    session.flush()
    for model in (User, OrgUnit, UserRole, AuditLog):
        assert session.scalar(select(func.count()).select_from(model)) == 0
    lines = user_import.report_lines(report)
    assert "line 2: 1001 Jürgen Weiß: would be created" in lines
    assert lines[-2].endswith("(dry run: nothing was written)")
    assert "cannot sign in" in lines[-1]


def test_dry_run_of_updates_names_the_fields(session):
    run(session, GERMAN)
    report = run(session, GERMAN.replace("Anna Groß", "Anna Groß-Klein"), dry_run=True)
    assert [(c.line, c.fields) for c in report.changes if c.action == "update"] == [(3, ("name",))]
    assert users_by_number(session)["1002"].name == "Anna Groß"


BAD = (
    "Personalnummer;Name;E-Mail;Organisationseinheit;Rollen\n"
    "2001;Gut Mensch;gut@example.org;A;\n"
    "2002;Ohne Mail;kein-at-zeichen;A;\n"
    "2001;Doppelt;doppelt@example.org;A;\n"
    "2004;;leer@example.org;A;\n"
    "2005;Falsche Rolle;rolle@example.org;A;learner,chef\n"
    "2006;Schon Vergeben;vorhanden@example.org;A;\n"
    "2007;Gleiche Mail;gut@example.org;A;\n"
    "2008;Zu viel;zu@example.org;A;;extra\n"
    ";Keine Nummer;nummer@example.org;A;\n"
    "2010;Leerer Pfad;pfad@example.org;A // B;\n"
)


def test_bad_lines_are_reported_with_line_numbers_and_nothing_is_imported(session):
    session.add(User(name="Vorhanden", email="vorhanden@example.org"))
    session.flush()
    report = run(session, BAD)
    assert not report.is_ok
    assert [(p.line, p.code) for p in report.problems] == [
        (3, "email_invalid"),
        (4, "personnel_number_duplicate"),
        (5, "name_missing"),
        (6, "role_unknown"),
        (7, "email_taken"),
        (8, "email_duplicate"),
        (9, "too_many_fields"),
        (10, "personnel_number_missing"),
        (11, "org_unit_invalid"),
    ]
    lines = user_import.report_lines(report)
    assert "line 4: personnel number 2001 appears already on line 2" in lines
    assert "line 6: unknown role 'chef' (allowed: learner, trainer, hr, admin)" in lines
    assert lines[-1].startswith("9 bad line(s); nothing was imported")
    session.flush()
    assert session.scalar(select(func.count()).select_from(User)) == 1
    assert session.scalar(select(func.count()).select_from(OrgUnit)) == 0


def test_line_numbers_count_physical_lines(session):
    text = 'personnel_number,name,email\n\n1,"Zwei\nZeilen",a@example.org\n2,B,kaputt\n'
    report = run(session, text)
    assert [(p.line, p.code) for p in report.problems] == [(5, "email_invalid")]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Nummer;Name;E-Mail\n1;A;a@example.org\n", "unknown_column"),
        ("Name;E-Mail\nA;a@example.org\n", "missing_column"),
        ("Name;Name;E-Mail;Personalnummer\nA;A;a@example.org;1\n", "duplicate_column"),
        ("Personalnummer;Name;E-Mail\n", "no_rows"),
    ],
)
def test_bad_headers_are_reported_on_line_1(session, text, code):
    report = run(session, text)
    assert report.problems[0].line == 1 and report.problems[0].code == code


@pytest.mark.parametrize(("data", "code"), [(b"", "empty"), (b"\x00\x01", "binary"),
                                            (b"\x81\x8d\x8f", "encoding")])
def test_unreadable_files_are_refused(session, data, code):
    with pytest.raises(ImportFileError) as error:
        run(session, data)
    assert error.value.code == code


def test_deactivate_missing_ends_sessions_of_people_who_left(session):
    run(session, GERMAN)
    session.add(User(name="Ohne Nummer", email="admin@example.org"))
    session.flush()
    versions = {n: u.session_version for n, u in users_by_number(session).items() if n}
    without_1003 = "\n".join(GERMAN.splitlines()[:3]) + "\n"
    dry = run(session, without_1003, dry_run=True, deactivate_missing=True)
    assert [d.personnel_number for d in dry.deactivated] == ["1003"]
    assert users_by_number(session)["1003"].is_active
    report = run(session, without_1003, deactivate_missing=True)
    assert [d.personnel_number for d in report.deactivated] == ["1003"]
    session.expire_all()
    users = users_by_number(session)
    assert not users["1003"].is_active
    assert users["1003"].session_version == versions["1003"] + 1
    assert users["1001"].is_active and users[None].is_active
    assert session.scalar(select(func.count()).select_from(AuditLog)
                          .where(AuditLog.action == "user.deactivate")) == 1
    # listed again later: reported, not silently reactivated
    again = run(session, GERMAN)
    assert [c.personnel_number for c in again.inactive_listed] == ["1003"]


def test_the_importing_admin_keeps_their_admin_role(session):
    admin = User(name="Chefin", email="chefin@example.org", personnel_number="9",
                 roles=[UserRole(role="admin")])
    session.add(admin)
    session.flush()
    report = run(session, "Personalnummer;Name;E-Mail;Rollen\n9;Chefin;chefin@example.org;learner\n",
                 actor_id=admin.id)
    assert [p.code for p in report.problems] == ["self_lockout"]
    report = run(session, "Personalnummer;Name;E-Mail\n1;A;a@example.org\n",
                 actor_id=admin.id, deactivate_missing=True)
    assert report.deactivated == []


def test_lookups_are_chunked_not_per_row(session):
    rows = "".join(f"{n};Person {n};p{n}@example.org;Amt {n % 7};\n" for n in range(2000))
    text = "Personalnummer;Name;E-Mail;Organisationseinheit;Rollen\n" + rows
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split("(")[0][:60])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = run(session, text)
        assert report.created == 2000
        first = len(statements)
        first_statements = list(statements)
        statements.clear()
        assert run(session, text).unchanged == 2000
        second = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # seven units created one by one, then a few batched inserts; never one per row
    assert first < 100, __import__('collections').Counter(first_statements).most_common(5)
    assert second < 30, second


def test_ten_thousand_rows_import_in_seconds(session):
    rows = "".join(f"{n};Person {n};p{n}@example.org;Stadt / Amt {n % 50};\n"
                   for n in range(10_000))
    text = "Personalnummer;Name;E-Mail;Organisationseinheit;Rollen\n" + rows
    started = time.perf_counter()
    assert run(session, text).created == 10_000
    session.commit()
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    assert run(session, text, dry_run=True).unchanged == 10_000
    again = time.perf_counter() - started
    print(f"10,000 rows: first import {elapsed:.2f} s, unchanged re-run {again:.2f} s")
    assert elapsed < 30 and again < 15


@pytest.mark.parametrize("where", ["name", "header", "quoted"])
def test_a_field_over_the_csv_limit_refuses_the_file_with_its_line(session, where):
    huge = "x" * (128 * 1024 + 1)
    text = {
        "name": GERMAN + f"1004;{huge};a@lindenau.de;;\n",
        "header": f"Personalnummer;Name;E-Mail;{huge}\n1;A;a@lindenau.de;\n",
        "quoted": GERMAN + f'1004;"{huge}\n{huge}";a@lindenau.de;;\n',
    }[where]
    report = run(session, text)
    assert not report.is_ok and report.changes == []
    (problem,) = report.problems
    assert problem.code == "field_too_long"
    assert problem.line == (1 if where == "header" else 5)
    assert user_import.problem_text(problem) == (
        "a field is longer than 128 KiB: this is not a file of people")
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_an_org_unit_path_deeper_than_twelve_levels_is_a_bad_line(session):
    deep = " / ".join(f"E{n}" for n in range(1, 991))
    report = run(session, GERMAN + f"1004;Tief;t@lindenau.de;{deep};\n")
    (problem,) = report.problems
    assert (problem.line, problem.code) == (5, "org_unit_too_deep")
    assert user_import.problem_text(problem) == (
        "the org unit path has more than 12 levels")
    assert session.scalar(select(func.count()).select_from(OrgUnit)) == 0
