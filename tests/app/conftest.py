"""Route cases generated from `app.url_map`, so new routes are covered automatically.

A test that takes `route` runs for every (endpoint, method); `get_route` and `post_route`
for the GET and POST ones. Path arguments get sample values from `SAMPLE_ARGUMENTS`
(or by converter: int -> 1, anything else -> "sample").
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Any

import pytest

SAMPLE_ARGUMENTS: dict[str, Any] = {"filename": "style.css"}


@dataclass(frozen=True)
class RouteCase:
    endpoint: str
    method: str
    path: str

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} ({self.endpoint})"


def _route_cases() -> list[RouteCase]:
    from lernmodul.web import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"INSTANCE_PATH": instance, "DATABASE_URL": "sqlite://", "SECRET_KEY": "collect"})
        cases = []
        with app.test_request_context():
            from flask import url_for

            for rule in app.url_map.iter_rules():
                arguments = {}
                for name in rule.arguments:
                    converter = type(rule._converters[name]).__name__
                    arguments[name] = SAMPLE_ARGUMENTS.get(
                        name, 1 if converter == "IntegerConverter" else "sample"
                    )
                path = url_for(rule.endpoint, **arguments)
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    cases.append(RouteCase(rule.endpoint, method, path))
        return sorted(cases, key=lambda c: (c.path, c.method))


_CASES: list[RouteCase] | None = None


def route_cases() -> list[RouteCase]:
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


@pytest.fixture
def admin(app: Any, make_user: Any, login: Any) -> Any:
    """A test client signed in as an administrator (`client.user` is the account)."""
    user = make_user(("admin",), email=ADMIN_EMAIL, name="Anton Admin")
    client = app.test_client()
    assert login(client, ADMIN_EMAIL).status_code == 302
    client.user = user
    return client
