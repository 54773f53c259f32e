"""The administration area (users, org units, courses come later)."""

from lernmodul.web.admin.views import bp

__all__ = ["bp"]
