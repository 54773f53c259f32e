"""The learner's transparency pages: what HR sees about me, and a copy of my data (Art. 15 DSGVO)."""

from lernmodul.web.transparency.views import bp

__all__ = ["bp"]
