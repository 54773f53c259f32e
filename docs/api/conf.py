"""Sphinx configuration of the lernmodul library reference (`make docs`).

Builds offline: no intersphinx, no themes or extensions beyond Sphinx's own."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

import lernmodul  # noqa: E402

project = "lernmodul"
author = "lernmodul"
copyright = "lernmodul contributors"
release = version = lernmodul.__version__
language = "en"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
templates_path: list[str] = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []

# the public API, as `lernmodul.X`: its members are documented where `import lernmodul` puts them
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True}
autodoc_preserve_defaults = True
python_use_unqualified_type_names = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
