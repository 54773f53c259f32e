"""The Nu Html Checker for the markup tests: skipped with the install command where it is
missing, unless LERNMODUL_REQUIRE_BROWSER is set (CI sets it): then the test fails."""

from __future__ import annotations

import os
from typing import Any

import pytest
from vnu_checker import check_folder, missing_checker


@pytest.fixture(scope="session")
def html_checker() -> Any:
    """check(folder) -> the checker's messages for every .html file in `folder`."""
    problem = missing_checker()
    if problem is not None:
        if os.environ.get("LERNMODUL_REQUIRE_BROWSER"):
            pytest.fail(f"LERNMODUL_REQUIRE_BROWSER is set but {problem}")
        pytest.skip(problem)
    return check_folder
