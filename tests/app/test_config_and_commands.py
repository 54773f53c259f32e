"""Configuration order and locations; `lernmodul db|users|run-dev`; A4 no default credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select

from lernmodul.cli import main
from lernmodul.db import migrate
from lernmodul.db.engine import make_engine
from lernmodul.db.models import User
from lernmodul.services.accounts import DEMO_ACCOUNTS
from lernmodul.web import create_app
from lernmodul.web.config import checkout_root

CHEAP_ENV = {
    "LERNMODUL_PASSWORD_HASH_TIME_COST": "1",
    "LERNMODUL_PASSWORD_HASH_MEMORY_COST": "8",
    "LERNMODUL_PASSWORD_HASH_PARALLELISM": "1",
}


def test_config_order_defaults_instance_file_environment_test_config(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        'OPERATOR_NAME = "from file"\nCONTACT_EMAIL = "file@example.org"\nLOGIN_MAX_FAILURES_PER_IP = 7\n'
    )
    monkeypatch.setenv("LERNMODUL_CONTACT_EMAIL", "env@example.org")
    monkeypatch.setenv("LERNMODUL_LOGIN_MAX_FAILURES_PER_IP", "9")
    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "x", "CONTACT_EMAIL": "t@x"})
    assert app.config["OPERATOR_NAME"] == "from file"
    assert app.config["CONTACT_EMAIL"] == "t@x"
    assert app.config["LOGIN_MAX_FAILURES_PER_IP"] == 9  # parsed as a number
    assert app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP"] == 5  # default
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'lernmodul.sqlite'}"


def test_instance_path_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    app = create_app({"SECRET_KEY": "x"})
    assert Path(app.instance_path) == tmp_path / "elsewhere"
    assert (tmp_path / "elsewhere").is_dir()


def test_templates_and_courses_default_to_the_checkout(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    root = checkout_root()
    assert root is not None
    assert app.config["TEMPLATES_PATH"] == str(root / "templates")
    assert app.config["COURSES_PATH"] == str(root / "courses")


def test_templates_path_is_configurable(tmp_path):
    templates = tmp_path / "templates"
    (templates / "public").mkdir(parents=True)
    (templates / "public" / "privacy.html").write_text("custom privacy page")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "TEMPLATES_PATH": str(templates)})
    assert app.test_client().get("/privacy").get_data(as_text=True) == "custom privacy page"


def test_unknown_env_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="development or production"):
        create_app({"INSTANCE_PATH": str(tmp_path), "ENV": "staging"})


def test_secret_key_is_generated_once_per_instance(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert len(first.config["SECRET_KEY"]) >= 40
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.fixture
def cli_env(monkeypatch, tmp_path, empty_database_url):
    monkeypatch.setenv("LERNMODUL_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    monkeypatch.delenv("LERNMODUL_ENV", raising=False)
    for key, value in CHEAP_ENV.items():
        monkeypatch.setenv(key, value)
    return empty_database_url


def test_db_upgrade_and_downgrade_commands(cli_env):
    runner = CliRunner()
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"database at revision {migrate.head_revision()}" in result.output
    engine = make_engine(cli_env)
    assert "users" in inspect(engine).get_table_names()
    result = runner.invoke(main, ["db", "downgrade", "--revision", "base"])
    assert result.exit_code == 0, result.output
    assert "users" not in inspect(engine).get_table_names()
    engine.dispose()


def test_users_create_makes_an_admin_who_can_sign_in(cli_env, tmp_path, login):
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"])
    result = runner.invoke(
        main,
        ["users", "create", "--email", "Chefin@Example.org", "--name", "Clara Chefin"],
        input="ein langes admin passwort\nein langes admin passwort\n",
    )
    assert result.exit_code == 0, result.output
    assert "<chefin@example.org> roles: admin" in result.output
    app = create_app()
    client = app.test_client()
    app.config["SESSION_COOKIE_SECURE"] = False
    assert login(client, "chefin@example.org", "ein langes admin passwort").headers["Location"] == "/admin/"


@pytest.mark.parametrize(
    ("arguments", "password", "message"),
    [
        ([], "zu-kurz", "at least 12 characters"),
        ([], "Passwort12345", "not a common"),
        (["--role", "superuser"], "ein langes admin passwort", "Invalid value for '--role'"),
    ],
)
def test_users_create_rejects_bad_input_with_a_message(cli_env, arguments, password, message):
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"])
    result = runner.invoke(
        main,
        ["users", "create", "--email", "a@example.org", "--name", "A", *arguments],
        input=f"{password}\n{password}\n",
    )
    assert result.exit_code != 0
    assert message in result.output


def test_users_create_refuses_a_duplicate_email(cli_env):
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"])
    args = ["users", "create", "--email", "a@example.org", "--name", "A"]
    pw = "ein langes admin passwort\n" * 2
    assert runner.invoke(main, args, input=pw).exit_code == 0
    result = runner.invoke(main, args, input=pw)
    assert result.exit_code == 1
    assert "exists already" in result.output


def test_run_dev_migrates_creates_demo_accounts_and_serves(cli_env, monkeypatch, login):
    served = {}

    def fake_run_simple(host, port, app, **options):
        served.update(host=host, port=port, app=app, options=options)

    monkeypatch.setattr("werkzeug.serving.run_simple", fake_run_simple)
    result = CliRunner().invoke(main, ["run-dev"])
    assert result.exit_code == 0, result.output
    for account in DEMO_ACCOUNTS:
        assert account.email in result.output and account.password in result.output
    assert "http://127.0.0.1:5000/" in result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 5000)
    assert served["options"]["use_debugger"] is False
    app = served["app"]
    assert app.config["ENV"] == "development"
    app.config["SESSION_COOKIE_SECURE"] = False
    learner = DEMO_ACCOUNTS[0]
    assert login(app.test_client(), learner.email, learner.password).headers["Location"] == "/"
    # a second start keeps working (idempotent demo set-up)
    assert CliRunner().invoke(main, ["run-dev"]).exit_code == 0


def test_A4_production_has_no_demo_accounts_and_refuses_demo_logins(cli_env, monkeypatch, login):
    # A fresh production instance: run-dev (or a first start) creates no account at all.
    monkeypatch.setenv("LERNMODUL_ENV", "production")
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *a, **k: None)
    result = CliRunner().invoke(main, ["run-dev"])
    assert result.exit_code == 0
    assert "no demo accounts" in result.output
    assert "users create" in result.output
    engine = make_engine(cli_env)
    with engine.connect() as connection:
        assert connection.execute(select(User.id)).all() == []
    engine.dispose()
    production = create_app({"SESSION_COOKIE_SECURE": False})
    for account in DEMO_ACCOUNTS:
        assert login(production.test_client(), account.email, account.password).status_code == 200


def test_A4_demo_accounts_from_development_do_not_work_in_production(cli_env, monkeypatch, login):
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *a, **k: None)
    assert CliRunner().invoke(main, ["run-dev"]).exit_code == 0  # development: demo accounts
    development = create_app({"ENV": "development", "SESSION_COOKIE_SECURE": False})
    dev_client = development.test_client()
    demo = DEMO_ACCOUNTS[0]
    assert login(dev_client, demo.email, demo.password).status_code == 302
    session_cookie = dev_client.get_cookie("lernmodul_session").value

    production = create_app({"ENV": "production", "SESSION_COOKIE_SECURE": False})
    client = production.test_client()
    response = login(client, demo.email, demo.password)
    assert response.status_code == 200
    assert "nicht korrekt" in response.get_data(as_text=True)
    replay = production.test_client()
    replay.set_cookie("lernmodul_session", session_cookie)
    assert replay.get("/").status_code == 302  # an existing demo session is refused too


def test_a_bad_setting_ends_a_command_with_one_line_not_a_traceback(cli_env, monkeypatch):
    monkeypatch.setenv("LERNMODUL_LOG_FORMAT", "xml")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: LERNMODUL_LOG_FORMAT must be text or json, not 'xml'"
    assert result.exception is None or isinstance(result.exception, SystemExit)
