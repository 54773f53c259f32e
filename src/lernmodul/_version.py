"""The version of lernmodul (one place; the package and its exports read it)."""

__version__ = "0.1.0"
