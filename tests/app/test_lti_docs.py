"""Every lernmodul address named in the LTI docs (ILIAS, Moodle) is a route of the app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

DOCS = Path(__file__).parents[2] / "docs"
LTI_DOCS = ("lti-ilias.md", "lti-moodle.md")
# a path of lernmodul's example address; <placeholders> (which may hold spaces) stand for a value
ADDRESS = re.compile(r"https://lernmodul\.example\.org((?:[A-Za-z0-9_\-./]|<[^>]*>)*)")


def _paths(name: str) -> set[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return {match.group(1) for match in ADDRESS.finditer(text) if match.group(1)}


@pytest.mark.parametrize("name", LTI_DOCS)
def test_every_path_in_the_lti_docs_is_a_route(app, name):
    paths = _paths(name)
    assert {"/lti/launch", "/lti/login", "/lti/jwks", "/admin/lti", "/admin/lti/new"} <= paths
    adapter = app.url_map.bind("lernmodul.example.org", url_scheme="https")
    for path in sorted(paths):
        concrete = re.sub(r"<[^>]+>", "beispielkurs", path)
        try:
            adapter.match(concrete, method="GET")
        except MethodNotAllowed:
            adapter.match(concrete, method="POST")  # a POST-only route (the launch) is a route too
        except NotFound:
            pytest.fail(f"{name}: {path} is not a route of the app")


def test_both_docs_have_a_german_and_an_english_part():
    for name in LTI_DOCS:
        text = (DOCS / name).read_text(encoding="utf-8")
        assert "# lernmodul in" in text and "einbinden" in text
        assert "# Connecting lernmodul to" in text
