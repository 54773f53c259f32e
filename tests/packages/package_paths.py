"""Paths and node packages of the package tests (a module of its own: several test folders
have a conftest.py, so `from conftest import` would be ambiguous)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPO = HERE.parents[1]
SAMPLE_COURSE = REPO / "tests" / "core" / "fixtures" / "sample-course"
NODE_MODULES = REPO / "node" / "node_modules"


def node_package(name: str) -> Path:
    """A package from node/node_modules; missing: skip, or fail when browsers are required."""
    path = NODE_MODULES / name
    if not path.exists():
        message = f"{name} is not installed: cd node && npm ci --ignore-scripts"
        if os.environ.get("LERNMODUL_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return path
