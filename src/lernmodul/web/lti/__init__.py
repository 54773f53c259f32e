"""LTI 1.3 routes: login initiation, launch, tool keys, the start of a launch in a new window."""

from lernmodul.web.lti.views import bp

__all__ = ["bp"]
