"""Fixtures of the outbox tests: the admin client of the app tests."""

from tests.app.conftest import admin  # noqa: F401  (the admin page's tests use it)
