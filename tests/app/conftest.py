"""Route cases generated from `app.url_map`, so new routes are covered automatically.

A test that takes `route` runs for every (endpoint, method); `get_route` and `post_route`
for the GET and POST ones. Path arguments get sample values from `SAMPLE_ARGUMENTS`
(or by converter: int -> 1, anything else -> "sample").

`bad_path_route` runs for every (endpoint, method) with path arguments, once per bad value
of `BAD_PATH_VALUES`: every int argument too large for the databases, or every text
argument with a NUL byte (the other arguments keep their sample values).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import template_rendered

SAMPLE_ARGUMENTS: dict[str, Any] = {"filename": "style.css"}
# label -> (converter kind it replaces, value): ids past PostgreSQL's integer and SQLite's
# 64-bit INTEGER, and a NUL byte, which PostgreSQL refuses in any text
BAD_PATH_VALUES: dict[str, tuple[str, Any]] = {
    "id 2**31": ("int", 2**31),
    "id 2**63": ("int", 2**63),
    "id 2**64": ("int", 2**64),
    "NUL": ("text", "sa\x00mple"),
}


@dataclass(frozen=True)
class RouteCase:
    endpoint: str
    method: str
    path: str
    #: for bad_path_route: which bad value of BAD_PATH_VALUES the path carries
    bad_value: str = ""

    @property
    def id(self) -> str:
        suffix = f" [{self.bad_value}]" if self.bad_value else ""
        return f"{self.method} {self.path} ({self.endpoint}){suffix}"


def _route_cases() -> tuple[list[RouteCase], list[RouteCase]]:
    from lernmodul.web import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"INSTANCE_PATH": instance, "DATABASE_URL": "sqlite://", "SECRET_KEY": "collect"})
        cases, bad = [], []
        with app.test_request_context():
            from flask import url_for

            for rule in app.url_map.iter_rules():
                arguments, kinds = {}, {}
                for name in rule.arguments:
                    is_int = "Integer" in type(rule._converters[name]).__name__
                    kinds[name] = "int" if is_int else "text"
                    arguments[name] = SAMPLE_ARGUMENTS.get(name, 1 if is_int else "sample")
                path = url_for(rule.endpoint, **arguments)
                variants = {}
                for label, (kind, value) in BAD_PATH_VALUES.items():
                    if kind in kinds.values():
                        changed = {n: value if kinds[n] == kind else v for n, v in arguments.items()}
                        variants[label] = url_for(rule.endpoint, **changed)
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    cases.append(RouteCase(rule.endpoint, method, path))
                    bad.extend(RouteCase(rule.endpoint, method, bad_path, label)
                               for label, bad_path in variants.items())
        return (sorted(cases, key=lambda c: (c.path, c.method)),
                sorted(bad, key=lambda c: (c.path, c.method, c.bad_value)))


_CASES: tuple[list[RouteCase], list[RouteCase]] | None = None


def route_cases() -> list[RouteCase]:
    return _all_cases()[0]


def bad_path_cases() -> list[RouteCase]:
    return _all_cases()[1]


def _all_cases() -> tuple[list[RouteCase], list[RouteCase]]:
    global _CASES
    if _CASES is None:
        _CASES = _route_cases()
    return _CASES


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    selections = {
        "route": lambda c: True,
        "get_route": lambda c: c.method == "GET",
        "post_route": lambda c: c.method == "POST",
    }
    for name, keep in selections.items():
        if name in metafunc.fixturenames:
            cases = [c for c in route_cases() if keep(c)]
            metafunc.parametrize(name, cases, ids=[c.id for c in cases])
    if "bad_path_route" in metafunc.fixturenames:
        cases = bad_path_cases()
        metafunc.parametrize("bad_path_route", cases, ids=[c.id for c in cases])


@pytest.fixture
def snapshot(db_session: Any) -> Any:
    """snapshot(): every row of every table, to prove that a request changed nothing."""
    from sqlalchemy import select

    from lernmodul.db.models import Base

    def take() -> dict[str, list[tuple[Any, ...]]]:
        db_session.rollback()
        state = {}
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            state[table.name] = [tuple(row) for row in db_session.execute(query).all()]
        db_session.rollback()
        return state

    return take


ADMIN_EMAIL = "admin@example.org"
ALL_ROLES = ("learner", "trainer", "hr", "admin")


@pytest.fixture
def signed_in(app: Any, make_user: Any, login: Any) -> Any:
    """A test client signed in with every role (so that no route refuses it for its role)."""
    make_user(ALL_ROLES, email="all@example.org")
    client = app.test_client()
    assert login(client, "all@example.org").status_code == 302
    return client


@pytest.fixture
def admin(app: Any, make_user: Any, login: Any) -> Any:
    """A test client signed in as an administrator (`client.user` is the account)."""
    user = make_user(("admin",), email=ADMIN_EMAIL, name="Anton Admin")
    client = app.test_client()
    assert login(client, ADMIN_EMAIL).status_code == 302
    client.user = user
    return client


@pytest.fixture
def rendered(app: Any) -> Iterator[list[str]]:
    """The names of the templates rendered while the test runs."""
    names: list[str] = []

    def record(_sender: Any, template: Any, context: Any, **_extra: Any) -> None:
        names.append(template.name)

    with template_rendered.connected_to(record, app):
        yield names
