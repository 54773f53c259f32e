"""The trainers' area (course management and item statistics come later)."""

from lernmodul.web.trainer import insights as insights  # registers its routes on bp
from lernmodul.web.trainer.views import bp

__all__ = ["bp"]
