"""The administration area: org units, users and roles, user import; certificates elsewhere."""

from lernmodul.web.admin.views import bp

__all__ = ["bp"]
