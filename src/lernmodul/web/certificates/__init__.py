"""Certificates on the web: the learner's list and downloads, the public verify page, and the
administration of revocations and re-issues (one blueprint; each view declares its access)."""

from lernmodul.web.certificates import manage, views  # noqa: F401  (registers the routes)
from lernmodul.web.certificates.edge import bp

__all__ = ["bp"]
