"""GIFT import: Moodle's GIFT question format to units in the course format (no I/O here)."""

from .convert import GiftResult, convert_gift
from .ids import slugify
from .writer import minimal_course_md

__all__ = ["GiftResult", "convert_gift", "minimal_course_md", "slugify"]
