"""Without XAPI_ENDPOINT a learner's whole course queues no statement."""

from __future__ import annotations

from typing import Any

from tests.xapi.test_learning_records import EMAIL, NAME, SAMPLE, take_course, xapi_rows


def test_off_by_default_nothing_is_queued(app: Any, client: Any, make_user: Any, login: Any,
                                          import_course: Any) -> None:
    assert not app.config["XAPI_ENDPOINT"]
    import_course(SAMPLE)
    make_user(("learner",), email=EMAIL, name=NAME)
    login(client, EMAIL)
    take_course(app, client)
    assert xapi_rows(app) == []
