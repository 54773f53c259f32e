"""Pages for everybody: health, accessibility statement, privacy notice, language switch."""

from lernmodul.web.public.views import bp

__all__ = ["bp"]
