"""Bad input at the edge, for every route (from `app.url_map`), on SQLite and PostgreSQL:
ids too large for the databases, NUL and other control bytes, Unicode digits. Each gets a
4xx page, never a 500."""

from __future__ import annotations

import pytest

CONTROL_MESSAGE = "Die Anfrage enthält Steuerzeichen"
FILTER_MESSAGE = "Der Filter ist ungültig"
# the parameter names the views read (query and form), each with a bad value
PARAMETER_NAMES = ("q", "course", "course_id", "status", "unit", "page", "next", "format",
                   "code", "sort", "dir", "direction", "mode", "version", "language", "login",
                   "password", "name", "email", "title", "text", "action", "confirm", "current")


def _send(client, route, path, token, data=None, query=None):
    if route.method == "GET":
        return client.get(path, query_string=query or {})
    return client.open(path, method=route.method, query_string=query or {},
                       data={"csrf_token": token, **(data or {})})


def test_bad_path_values_get_4xx_on_every_route(signed_in, csrf_token, bad_path_route):
    """Ids past 2**31 (PostgreSQL integer) or 2**63 (SQLite INTEGER) are no address (404);
    a NUL byte in a text argument is refused before any view runs (400)."""
    response = _send(signed_in, bad_path_route, bad_path_route.path, csrf_token(signed_in))
    if bad_path_route.bad_value == "NUL":
        assert response.status_code == 400
        assert CONTROL_MESSAGE in response.get_data(as_text=True)
    else:  # no address (405: another route of that shape takes only other methods)
        assert response.status_code in (404, 405)


@pytest.mark.parametrize("value", ["a\x00b", "\x00", "x\x01y", "x\x1by", "x\x7fy"])
def test_control_bytes_in_any_query_value_are_400(signed_in, get_route, value):
    query = {name: value for name in PARAMETER_NAMES}
    response = signed_in.get(get_route.path, query_string=query)
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


def test_control_bytes_in_any_form_value_are_400(signed_in, csrf_token, post_route, snapshot):
    before = snapshot()
    data = {name: "a\x00b" for name in PARAMETER_NAMES}
    response = _send(signed_in, post_route, post_route.path, csrf_token(signed_in), data)
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    assert snapshot() == before


def test_a_nul_in_a_parameter_name_or_file_name_is_400(signed_in, csrf_token):
    import io

    token = csrf_token(signed_in)
    assert signed_in.get("/hr/people", query_string={"course\x00": "x"}).status_code == 400
    response = signed_in.post("/admin/users/import", content_type="multipart/form-data",
                              data={"csrf_token": token,
                                    "file": (io.BytesIO(b"a;b\n"), "per\x00sonal.csv")})
    assert response.status_code == 400


@pytest.mark.parametrize("login_value", ["lea\x00@example.org", "\x00", "1001\x00"])
def test_anonymous_login_with_a_nul_byte_is_400(client, csrf_token, login_value, snapshot):
    before = snapshot()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "login": login_value,
                                           "password": "wrong-password-123"})
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    assert snapshot() == before


def test_tabs_and_line_breaks_are_still_text(client, csrf_token):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "login": "a\tb\r\nc",
                                           "password": "wrong\tpassword\r\n123"})
    assert response.status_code == 200  # an ordinary failed sign-in


def test_the_control_byte_page_is_english_too(signed_in):
    signed_in.set_cookie("lernmodul_lang", "en")
    response = signed_in.get("/hr/people", query_string={"course": "\x00"})
    assert response.status_code == 400
    assert "The request contains control characters" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    {"page": "²", "unit": "①"},
    {"page": "٣", "unit": "߁"},
    {"page": str(2**63), "unit": str(2**31)},
    {"page": "-1", "unit": "+5"},
])
def test_odd_numbers_in_the_query_get_no_500_on_any_page(signed_in, get_route, query):
    response = signed_in.get(get_route.path, query_string=query)
    assert response.status_code < 500


HR_NUMBER_PARAMETERS = [("/hr/people", {}, name) for name in ("page", "unit")] + [
    ("/hr/", {}, "unit"), ("/hr/people/export", {"format": "csv"}, "unit")]


@pytest.mark.parametrize("value", ["²", "①", "٣", str(2**31), str(2**63)])
@pytest.mark.parametrize(("path", "fixed", "name"), HR_NUMBER_PARAMETERS)
def test_hr_pages_refuse_unicode_digits_and_huge_numbers_as_bad_filters(signed_in, path, fixed,
                                                                        name, value):
    response = signed_in.get(path, query_string={**fixed, name: value})
    assert response.status_code == 400
    assert FILTER_MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize("query", [{"page": "²"}, {"unit": "①"}, {"unit": str(2**31)},
                                   {"page": str(2**63)}])
def test_admin_user_list_ignores_unicode_digits_and_huge_numbers(signed_in, query):
    response = signed_in.get("/admin/users", query_string=query)
    assert response.status_code == 200
