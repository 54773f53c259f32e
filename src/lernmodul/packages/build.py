"""build_package: a compiled course and its images in, the bytes of one package zip out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from lernmodul.core.model import Course

from .archive import deterministic_zip
from .data import data_script, player_data
from .manifest import cmi5_course_structure, scorm12_manifest, scorm2004_manifest
from .pages import launch_page
from .texts import texts_for

FORMATS = ("scorm12", "scorm2004", "cmi5")
PLAYER_ASSETS = ("keys.js", "runtime.js", "cloze.js", "questions.js", "draws.js", "resume.js",
                 "player.js", "player.css")
CMI5_ASSET = "cmi5.js"


class PackageError(ValueError):
    """The course cannot be packaged (an unknown format, an image that is missing)."""


@dataclass(frozen=True, slots=True)
class PackageOptions:
    """`sco_per_unit`: one SCO per unit (and one for the exam) instead of one per course;
    `interactions`: report every exam answer as a SCORM interaction (off by default: whether
    per-item answers are tracked is for the staff council to decide)."""

    sco_per_unit: bool = False
    interactions: bool = False


def _asset(name: str) -> bytes:
    return resources.files("lernmodul.packages").joinpath("assets", name).read_bytes()


def app_stylesheet() -> bytes:
    """The web app's stylesheet, so that units look as they do in lernmodul."""
    return resources.files("lernmodul").joinpath("web", "static", "style.css").read_bytes()


def build_package(course: Course, media: Mapping[str, bytes], package_format: str,
                  options: PackageOptions | None = None) -> bytes:
    """The zip of `course` as a `package_format` package (one of FORMATS). `media` holds the
    bytes of the course's images by their path (media/…); the course must be compiled with
    media_base "media/". The same arguments give the same bytes."""
    if package_format not in FORMATS:
        raise PackageError(f"unknown package format: {package_format}")
    options = options or PackageOptions()
    texts = texts_for(course.language)
    data = player_data(course, runtime=package_format, texts=texts,
                       interactions=options.interactions)
    files: dict[str, bytes] = {
        "index.html": launch_page(course, texts, cmi5=package_format == "cmi5"),
        "course-data.js": data_script(data),
        "style.css": app_stylesheet(),
    }
    for name in PLAYER_ASSETS:
        files[name] = _asset(name)
    if package_format == "cmi5":
        files[CMI5_ASSET] = _asset(CMI5_ASSET)
    for name in sorted({m for unit in course.units for m in unit.media}):
        if name not in media:
            raise PackageError(f"image missing: {name}")
        files[name] = media[name]
    listed = sorted(files)
    if package_format == "scorm12":
        files["imsmanifest.xml"] = scorm12_manifest(course, listed, options.sco_per_unit)
    elif package_format == "scorm2004":
        files["imsmanifest.xml"] = scorm2004_manifest(course, listed, options.sco_per_unit)
    else:
        files["cmi5.xml"] = cmi5_course_structure(course)
    return deterministic_zip(files)
