"""The course compiler: Markdown course folders (AUTHORING.md format 1) to course objects."""

from .course import CompileResult, compile_course, is_unit_file
from .html import sanitize
from .parser import make_parser

__all__ = ["CompileResult", "compile_course", "is_unit_file", "make_parser", "sanitize"]
