"""The HR scope of imported people, on SQLite and PostgreSQL: least privilege by default (the
person's own unit with its sub-units), the `HR-Bereich` / `hr_scope` column (unit paths, or
all units), per-row errors, the dry run's report and a default given by the caller."""

from __future__ import annotations

from sqlalchemy import func, select

from lernmodul.db.models import OrgUnit, User, UserRole, utcnow
from lernmodul.services import user_import
from lernmodul.services.org_units import role_scope, unit_path
from lernmodul.services.user_import import import_users

PEOPLE = (
    "Personalnummer;Name;E-Mail;Organisationseinheit;Rollen\n"
    "2001;Hanna Rot;h.rot@lindenau.de;Stadt Lindenau / Bürgeramt Süd;hr\n"
    "2002;Lena Blau;l.blau@lindenau.de;Stadt Lindenau / Bürgeramt Süd / Meldewesen;\n"
    "2003;Kai Grün;k.gruen@lindenau.de;Stadt Lindenau / Bauamt;\n"
)


def run(session, text, *, dry_run=False, **kwargs):
    return import_users(session, text.encode(), dry_run=dry_run, now=utcnow(), **kwargs)


def user(session, number):
    return session.scalars(select(User).where(User.personnel_number == number)).one()


def hr_grants(session, number):
    """The HR grants of the person as unit paths ("*" for all units)."""
    return sorted("*" if r.org_unit_id is None else unit_path(session, r.org_unit_id)
                  for r in user(session, number).roles if r.role == "hr")


def scope_paths(session, number):
    scope = role_scope(session, user(session, number), "hr")
    return None if scope is None else sorted(unit_path(session, u) for u in scope)


def test_an_imported_hr_role_covers_the_own_unit_and_its_sub_units_only(session):
    report = run(session, PEOPLE)
    assert report.is_ok, report.problems
    assert hr_grants(session, "2001") == ["Stadt Lindenau / Bürgeramt Süd"]
    assert scope_paths(session, "2001") == ["Stadt Lindenau / Bürgeramt Süd",
                                            "Stadt Lindenau / Bürgeramt Süd / Meldewesen"]


def test_the_scope_column_takes_unit_paths_separated_by_a_bar(session):
    run(session, PEOPLE)
    report = run(session, PEOPLE.replace("Rollen\n", "Rollen;HR-Bereich\n")
                 .replace(";hr\n", ";hr;Stadt Lindenau > Bauamt | stadt lindenau / bürgeramt süd\n")
                 .replace(";\n", ";;\n"))
    assert report.is_ok, report.problems
    change = next(c for c in report.changes if c.personnel_number == "2001")
    assert change.action == "update" and change.fields == ("hr_scope",)
    assert hr_grants(session, "2001") == ["Stadt Lindenau / Bauamt",
                                          "Stadt Lindenau / Bürgeramt Süd"]


def test_star_or_alle_means_all_units_and_english_header(session):
    for index, value in enumerate(("*", "alle", "ALL")):
        number = f"29{index}"
        text = (PEOPLE.replace("Rollen\n", "Rollen;hr_scope\n").replace(";hr\n", f";hr;{value}\n")
                .replace(";\n", ";;\n")
                .replace("2001;Hanna Rot;h.rot@", f"{number};Hanna Rot;h.rot{index}@"))
        report = run(session, text)
        assert report.is_ok, report.problems
        assert hr_grants(session, number) == ["*"]
        assert scope_paths(session, number) is None


def test_a_path_created_by_the_same_file_is_a_known_scope(session):
    text = (PEOPLE.replace("Rollen\n", "Rollen;HR-Bereich\n")
            .replace(";hr\n", ";hr;Stadt Lindenau / Bauamt\n").replace(";\n", ";;\n"))
    report = run(session, text)
    assert report.is_ok, report.problems
    assert hr_grants(session, "2001") == ["Stadt Lindenau / Bauamt"]


def test_unknown_scope_paths_are_a_bad_line_and_nothing_is_written(session):
    text = (PEOPLE.replace("Rollen\n", "Rollen;HR-Bereich\n")
            .replace(";hr\n", ";hr;Stadt Lindenau / Bauamt|Stadt Lindenau / Ordnungsamt\n")
            .replace(";\n", ";;\n"))
    report = run(session, text)
    assert not report.is_ok
    assert [(p.line, p.code, p.value) for p in report.problems] == [
        (2, "hr_scope_unknown", "Stadt Lindenau / Ordnungsamt")]
    assert user_import.problem_text(report.problems[0]) == (
        "HR scope: org unit 'Stadt Lindenau / Ordnungsamt' does not exist and is not "
        "created by this file")
    session.flush()
    assert session.scalar(select(func.count()).select_from(User)) == 0
    assert session.scalar(select(func.count()).select_from(OrgUnit)) == 0


def test_other_bad_scope_values_are_bad_lines(session):
    text = (
        "Personalnummer;Name;E-Mail;Organisationseinheit;Rollen;HR-Bereich\n"
        "3001;A B;a@x.de;Amt;learner;Amt\n"          # a scope without the HR role
        "3002;C D;c@x.de;;hr;\n"                     # HR without a unit to default to
        "3003;E F;e@x.de;Amt;hr;* | Amt\n"           # all units and paths at once
        "3004;G H;g@x.de;Amt;hr;Amt /  / Team\n"     # an empty part of a path
    )
    report = run(session, text)
    assert [(p.line, p.code) for p in report.problems] == [
        (2, "hr_scope_without_hr"), (3, "hr_scope_no_unit"), (4, "hr_scope_invalid"),
        (5, "hr_scope_invalid")]
    texts = [user_import.problem_text(p) for p in report.problems]
    assert texts[1] == ("an HR role needs an org unit or an HR scope (HR-Bereich); "
                        "'*' gives all units")


def test_the_dry_run_reports_each_hr_persons_scope(session):
    report = run(session, PEOPLE.replace("2003;Kai Grün;k.gruen@lindenau.de;Stadt Lindenau / Bauamt;",
                                         "2003;Kai Grün;k.gruen@lindenau.de;Stadt Lindenau / Bauamt;hr")
                 .replace("Rollen\n", "Rollen;HR-Bereich\n").replace(";hr\n", ";hr;\n", 1)
                 .replace("Meldewesen;\n", "Meldewesen;;\n").replace("Bauamt;hr\n", "Bauamt;hr;*\n"),
                 dry_run=True)
    assert report.is_ok, report.problems
    scopes = {c.personnel_number: c.hr_scope for c in report.changes}
    assert scopes["2001"].label() == "Stadt Lindenau / Bürgeramt Süd"
    assert scopes["2001"].is_default and not scopes["2001"].is_all
    assert scopes["2002"] is None
    assert scopes["2003"].is_all
    lines = user_import.report_lines(report)
    assert ("line 2: 2001 Hanna Rot: HR scope: Stadt Lindenau / Bürgeramt Süd with its "
            "sub-units (own unit)") in lines
    assert "line 4: 2003 Kai Grün: HR scope: all units" in lines
    session.flush()
    assert session.scalar(select(func.count()).select_from(UserRole)) == 0


def test_a_default_scope_from_the_caller_applies_to_rows_without_a_value(session):
    report = run(session, PEOPLE, hr_scope_default="*")
    assert report.is_ok, report.problems
    assert hr_grants(session, "2001") == ["*"]


def test_a_reimport_keeps_the_scope_an_admin_set_unless_the_file_names_one(session):
    run(session, PEOPLE)
    rot = user(session, "2001")
    # the admin widened it to all units on the user's page
    next(r for r in rot.roles if r.role == "hr").org_unit_id = None
    session.flush()
    again = run(session, PEOPLE)
    assert again.is_ok and again.change_count == 0
    assert hr_grants(session, "2001") == ["*"]
    # a person who gets the HR role by a later import gets the own unit
    later = run(session, PEOPLE.replace("Bauamt;\n", "Bauamt;hr\n"))
    assert later.is_ok, later.problems
    assert hr_grants(session, "2003") == ["Stadt Lindenau / Bauamt"]


def test_existing_person_without_unit_column_defaults_to_the_stored_unit(session):
    run(session, PEOPLE)
    report = run(session, "Personalnummer;Name;E-Mail;Rollen\n"
                          "2002;Lena Blau;l.blau@lindenau.de;\"learner,hr\"\n")
    assert report.is_ok, report.problems
    assert hr_grants(session, "2002") == ["Stadt Lindenau / Bürgeramt Süd / Meldewesen"]
