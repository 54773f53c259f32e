"""The HR area (completion overview of the own org units comes later)."""

from lernmodul.web.hr.views import bp

__all__ = ["bp"]
