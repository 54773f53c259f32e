"""`lernmodul users list [--json]`: every account with unit path, roles, state and source."""

from __future__ import annotations

import json

from click.testing import CliRunner
from test_config_and_commands import cli_env  # noqa: F401 (the fixture, shared)

from lernmodul.cli import main
from lernmodul.db.engine import make_engine, make_session_factory, session_scope
from lernmodul.db.models import utcnow
from lernmodul.identity import Identity, sign_in

CSV = ("Personalnummer;Name;E-Mail;Organisationseinheit;Rollen\n"
       "1001;Jürgen Weiß;j.weiss@lindenau.example;Stadt Lindenau / Dezernat II / Bürgeramt;\n"
       "1002;Anna Groß;a.gross@lindenau.example;Stadt Lindenau / Kämmerei;trainer\n")


def test_users_list_json_has_the_documented_keys(cli_env, tmp_path):  # noqa: F811
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    assert runner.invoke(main, ["users", "import", str(csv_file)]).exit_code == 0
    engine = make_engine(cli_env)
    with session_scope(make_session_factory(engine)) as session:
        sign_in(session, Identity(kind="ldap", issuer="ldap:dc=lindenau,dc=example", subject="e-1",
                                  email="j.weiss@lindenau.example", name="Jürgen Weiß",
                                  personnel_number="1001"), now=utcnow())
    engine.dispose()
    result = runner.invoke(main, ["users", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows == [
        {"personnel_number": "1001", "name": "Jürgen Weiß", "email": "j.weiss@lindenau.example",
         "org_unit": "Stadt Lindenau / Dezernat II / Bürgeramt", "roles": ["learner"],
         "is_active": True, "source": "ldap"},
        {"personnel_number": "1002", "name": "Anna Groß", "email": "a.gross@lindenau.example",
         "org_unit": "Stadt Lindenau / Kämmerei", "roles": ["trainer"], "is_active": True,
         "source": "local"},
    ]
    table = runner.invoke(main, ["users", "list"])
    assert table.exit_code == 0
    assert table.output.splitlines()[1].split("\t") == [
        "1002", "Anna Groß", "a.gross@lindenau.example", "Stadt Lindenau / Kämmerei", "trainer",
        "active", "local"]
