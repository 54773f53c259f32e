"""LTI 1.3 routes: login initiation, launch, tool keys, the start of a launch in a new window,
the deep-linking dialog and dynamic registration (each in its own module, on one blueprint)."""

from lernmodul.web.lti import deep_linking, registration  # noqa: F401  (their routes join bp)
from lernmodul.web.lti.views import bp

__all__ = ["bp"]
