"""The certificate layout: read and checked from templates/certificate/layout.toml."""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from lernmodul.certificates.data import LANGUAGES, Language

PACKAGE_DIR = Path(__file__).resolve().parent
FONTS_DIR = PACKAGE_DIR / "fonts"
BUNDLED_FONTS = {"regular": FONTS_DIR / "DejaVuSans.ttf", "bold": FONTS_DIR / "DejaVuSans-Bold.ttf"}
LAYOUT_FILE = "layout.toml"
PAGE_WIDTH_MM = 297.0  # A4 landscape
PAGE_HEIGHT_MM = 210.0

FontName = Literal["regular", "bold"]
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# label -> the placeholders it may use (all of them optional)
LABEL_FIELDS: dict[str, frozenset[str]] = {
    "header": frozenset(), "intro": frozenset(), "course_intro": frozenset(),
    "course_outro": frozenset(), "completed_on": frozenset(), "version": frozenset(),
    "duration": frozenset(), "minutes": frozenset({"minutes"}),
    "valid_until": frozenset(), "validity": frozenset(), "no_expiry": frozenset(),
    "issued_on": frozenset({"date"}), "signature_note": frozenset(), "code": frozenset(),
    "verify": frozenset(), "date_format": frozenset({"day", "month", "year", "month_name"}),
    "subject": frozenset(), "attachment_description": frozenset(),
}
_OPTIONAL_LABELS = {"header", "course_intro", "course_outro", "signature_note"}


class LayoutError(ValueError):
    """A layout file that cannot be used; the message names the file, the key and the problem."""


@dataclass(frozen=True, slots=True)
class TextStyle:
    y_mm: float  # baseline, from the top edge
    size: float  # points
    min_size: float  # a text too wide shrinks down to this, then wraps, then shrinks further
    font: FontName
    colour: str
    max_lines: int
    width_mm: float | None = None  # None: the page width less the margins


@dataclass(frozen=True, slots=True)
class Rule:
    y_mm: float
    width_mm: float
    thickness_pt: float
    colour: str


@dataclass(frozen=True, slots=True)
class Frame:
    inset_mm: float
    thickness_pt: float
    inner_gap_mm: float  # 0: a single line
    colour: str


@dataclass(frozen=True, slots=True)
class Logo:
    path: Path
    x_mm: float
    y_mm: float  # top edge
    width_mm: float


@dataclass(frozen=True, slots=True)
class Details:
    y_mm: float  # baseline of the labels; values sit value_gap_mm below
    width_mm: float  # the row of facts, centred
    value_gap_mm: float
    label_size: float
    value_size: float
    label_colour: str
    value_colour: str


@dataclass(frozen=True, slots=True)
class Signature:
    x_mm: float
    y_mm: float  # baseline of the signatory
    width_mm: float
    size: float
    small_size: float
    colour: str
    muted_colour: str


@dataclass(frozen=True, slots=True)
class Verification:
    qr_size_mm: float  # printed size including the quiet zone
    bottom_mm: float  # bottom edge of the QR code, from the top edge of the page
    text_width_mm: float  # the text column left of the QR code
    code_size: float
    small_size: float
    colour: str
    muted_colour: str
    qr_colour: str


@dataclass(frozen=True, slots=True)
class Labels:
    texts: dict[str, str]
    months: tuple[str, ...]

    def __getitem__(self, key: str) -> str:
        return self.texts[key]

    def format_date(self, day: date) -> str:
        return self.texts["date_format"].format(
            day=day.day, month=day.month, year=day.year, month_name=self.months[day.month - 1])


@dataclass(frozen=True, slots=True)
class Layout:
    source: Path
    margin_mm: float
    fonts: dict[FontName, Path]
    frame: Frame | None
    logo: Logo | None
    header: TextStyle
    title: TextStyle
    title_rule: Rule | None
    intro: TextStyle
    name: TextStyle
    course_intro: TextStyle
    course: TextStyle
    course_outro: TextStyle
    details: Details
    signature: Signature
    verification: Verification
    labels: dict[Language, Labels]


def default_layout_path() -> Path:
    """The checkout's templates/certificate/layout.toml, else the copy shipped in the wheel."""
    checkout = PACKAGE_DIR.parents[2]  # src/lernmodul/certificates -> the checkout
    roots = [PACKAGE_DIR.parent / "_data" / "templates"]
    if (checkout / "pyproject.toml").is_file():
        roots.insert(0, checkout / "templates")
    for root in roots:
        candidate = root / "certificate" / LAYOUT_FILE
        if candidate.is_file():
            return candidate
    raise LayoutError(f"no certificate/{LAYOUT_FILE} in the checkout's templates/ or the installed package")


_CACHE: dict[tuple[Path, float, int], Layout] = {}


def load_layout(path: Path | None = None) -> Layout:
    """Reads and checks a layout file (default: `default_layout_path()`); cached by mtime."""
    path = Path(path) if path is not None else default_layout_path()
    try:
        stat = path.stat()
        key = (path.resolve(), stat.st_mtime, stat.st_size)
        if key not in _CACHE:
            _CACHE[key] = parse_layout(path.read_text("utf-8"), path)
    except OSError as error:
        raise LayoutError(f"{path}: cannot read the layout file ({error.strerror})") from error
    return _CACHE[key]


def parse_layout(text: str, source: Path) -> Layout:
    """Builds a Layout from TOML text; relative paths in it are relative to `source`'s folder."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LayoutError(f"{source}: not valid TOML: {error}") from error
    reader = _Reader(source, raw)
    return reader.layout()


class _Reader:
    """Reads one layout file, raising LayoutError with the file and key on the first problem."""

    def __init__(self, source: Path, raw: dict[str, Any]) -> None:
        self.source = source
        self.raw = raw

    def fail(self, where: str, problem: str) -> LayoutError:
        return LayoutError(f"{self.source}: [{where}]: {problem}")

    def table(self, name: str, keys: set[str], *, optional: bool = False) -> dict[str, Any] | None:
        value = self.raw.get(name)
        if value is None:
            if optional:
                return None
            raise LayoutError(f"{self.source}: missing section [{name}]")
        if not isinstance(value, dict):
            raise self.fail(name, "must be a section (a table)")
        unknown = set(value) - keys
        if unknown:
            raise self.fail(name, f"unknown key(s) {', '.join(sorted(unknown))}; allowed: "
                                  f"{', '.join(sorted(keys))}")
        return value

    def number(self, table: dict[str, Any], where: str, key: str, low: float, high: float,
               default: float | None = None) -> float:
        value = table.get(key, default)
        if value is None:
            raise self.fail(where, f"missing {key}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"{key} must be a number, not {value!r}")
        if not low <= value <= high:
            raise self.fail(where, f"{key} = {value} is outside {low}…{high}")
        return float(value)

    def colour(self, table: dict[str, Any], where: str, key: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.fail(where, f"{key} must be a colour (#rrggbb or a name from [colours])")
        colours = self.colours()
        if value in colours:
            return colours[value]
        if _HEX_COLOUR.fullmatch(value):
            return value.lower()
        names = ", ".join(sorted(colours))
        raise self.fail(where, f"{key} = {value!r} is neither #rrggbb nor one of {names}")

    def colours(self) -> dict[str, str]:
        table = self.raw.get("colours", {})
        if not isinstance(table, dict):
            raise self.fail("colours", "must be a section (a table)")
        for name, value in table.items():
            if not isinstance(value, str) or not _HEX_COLOUR.fullmatch(value):
                raise self.fail("colours", f"{name} = {value!r} is not a colour #rrggbb")
        return {name: value.lower() for name, value in table.items()}

    def text_style(self, name: str, y_max: float = PAGE_HEIGHT_MM) -> TextStyle:
        table = self.table(name, {"y_mm", "size", "min_size", "font", "colour", "max_lines", "width_mm"})
        assert table is not None
        size = self.number(table, name, "size", 4, 96)
        font = table.get("font", "regular")
        if font not in ("regular", "bold"):
            raise self.fail(name, f"font must be \"regular\" or \"bold\", not {font!r}")
        max_lines = table.get("max_lines", 1)
        if not isinstance(max_lines, int) or isinstance(max_lines, bool) or not 1 <= max_lines <= 3:
            raise self.fail(name, "max_lines must be 1, 2 or 3")
        return TextStyle(
            y_mm=self.number(table, name, "y_mm", 0, y_max), size=size,
            min_size=self.number(table, name, "min_size", 4, size, default=size),
            font=font, colour=self.colour(table, name, "colour", "#000000"), max_lines=max_lines,
            width_mm=self.number(table, name, "width_mm", 20, PAGE_WIDTH_MM) if "width_mm" in table else None)

    def path(self, value: object, where: str, key: str) -> Path:
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"{key} must be a file name")
        path = (self.source.parent / value).resolve()
        if not path.is_file():
            raise self.fail(where, f"{key}: file not found: {path}")
        return path

    def layout(self) -> Layout:
        known = {"page", "fonts", "colours", "frame", "logo", "header", "title", "title_rule", "intro",
                 "name", "course_intro", "course", "course_outro", "details", "signature",
                 "verification", "labels"}
        unknown = set(self.raw) - known
        if unknown:
            raise LayoutError(f"{self.source}: unknown section(s) {', '.join(sorted(unknown))}")
        page = self.table("page", {"margin_mm"})
        assert page is not None
        margin = self.number(page, "page", "margin_mm", 5, 60)
        return Layout(
            source=self.source, margin_mm=margin, fonts=self.fonts(), frame=self.frame(),
            logo=self.logo(), header=self.text_style("header"), title=self.text_style("title"),
            title_rule=self.rule(), intro=self.text_style("intro"), name=self.text_style("name"),
            course_intro=self.text_style("course_intro"), course=self.text_style("course"),
            course_outro=self.text_style("course_outro"), details=self.details(),
            signature=self.signature(margin), verification=self.verification(),
            labels={language: self.labels(language) for language in LANGUAGES})

    def fonts(self) -> dict[FontName, Path]:
        table = self.table("fonts", {"regular", "bold"}, optional=True) or {}
        fonts = dict(BUNDLED_FONTS)
        for key in ("regular", "bold"):
            if key in table:
                path = self.path(table[key], "fonts", key)
                if path.suffix.lower() != ".ttf":
                    raise self.fail("fonts", f"{key} must be a TrueType file (.ttf)")
                fonts[key] = path
        return fonts  # type: ignore[return-value]

    def frame(self) -> Frame | None:
        table = self.table("frame", {"inset_mm", "thickness_pt", "inner_gap_mm", "colour"}, optional=True)
        if table is None:
            return None
        return Frame(self.number(table, "frame", "inset_mm", 0, 40),
                     self.number(table, "frame", "thickness_pt", 0.1, 5),
                     self.number(table, "frame", "inner_gap_mm", 0, 10, default=0),
                     self.colour(table, "frame", "colour"))

    def logo(self) -> Logo | None:
        table = self.table("logo", {"path", "x_mm", "y_mm", "width_mm"}, optional=True)
        if table is None or not table.get("path"):
            return None
        path = self.path(table["path"], "logo", "path")
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise self.fail("logo", "path must be a PNG or JPEG file")
        return Logo(path, self.number(table, "logo", "x_mm", 0, PAGE_WIDTH_MM),
                    self.number(table, "logo", "y_mm", 0, PAGE_HEIGHT_MM),
                    self.number(table, "logo", "width_mm", 5, 120))

    def rule(self) -> Rule | None:
        table = self.table("title_rule", {"y_mm", "width_mm", "thickness_pt", "colour"}, optional=True)
        if table is None:
            return None
        return Rule(self.number(table, "title_rule", "y_mm", 0, PAGE_HEIGHT_MM),
                    self.number(table, "title_rule", "width_mm", 1, PAGE_WIDTH_MM),
                    self.number(table, "title_rule", "thickness_pt", 0.1, 5),
                    self.colour(table, "title_rule", "colour"))

    def details(self) -> Details:
        keys = {"y_mm", "width_mm", "value_gap_mm", "label_size", "value_size", "label_colour",
                "value_colour"}
        table = self.table("details", keys)
        assert table is not None
        return Details(self.number(table, "details", "y_mm", 0, PAGE_HEIGHT_MM),
                       self.number(table, "details", "width_mm", 40, PAGE_WIDTH_MM),
                       self.number(table, "details", "value_gap_mm", 1, 20),
                       self.number(table, "details", "label_size", 4, 24),
                       self.number(table, "details", "value_size", 4, 36),
                       self.colour(table, "details", "label_colour"),
                       self.colour(table, "details", "value_colour"))

    def signature(self, margin: float) -> Signature:
        keys = {"x_mm", "y_mm", "width_mm", "size", "small_size", "colour", "muted_colour"}
        table = self.table("signature", keys)
        assert table is not None
        return Signature(self.number(table, "signature", "x_mm", margin, PAGE_WIDTH_MM - margin),
                         self.number(table, "signature", "y_mm", 0, PAGE_HEIGHT_MM - margin),
                         self.number(table, "signature", "width_mm", 20, PAGE_WIDTH_MM),
                         self.number(table, "signature", "size", 4, 24),
                         self.number(table, "signature", "small_size", 4, 24),
                         self.colour(table, "signature", "colour"),
                         self.colour(table, "signature", "muted_colour"))

    def verification(self) -> Verification:
        keys = {"qr_size_mm", "bottom_mm", "text_width_mm", "code_size", "small_size", "colour",
                "muted_colour", "qr_colour"}
        table = self.table("verification", keys)
        assert table is not None
        return Verification(self.number(table, "verification", "qr_size_mm", 15, 80),
                            self.number(table, "verification", "bottom_mm", 20, PAGE_HEIGHT_MM),
                            self.number(table, "verification", "text_width_mm", 20, 200),
                            self.number(table, "verification", "code_size", 4, 24),
                            self.number(table, "verification", "small_size", 4, 24),
                            self.colour(table, "verification", "colour"),
                            self.colour(table, "verification", "muted_colour"),
                            self.colour(table, "verification", "qr_colour", "#000000"))

    def labels(self, language: Language) -> Labels:
        all_labels = self.raw.get("labels")
        if not isinstance(all_labels, dict) or not isinstance(all_labels.get(language), dict):
            raise LayoutError(f"{self.source}: missing section [labels.{language}]")
        where = f"labels.{language}"
        table = all_labels[language]
        unknown = set(table) - set(LABEL_FIELDS) - {"months"}
        if unknown:
            raise self.fail(where, f"unknown label(s) {', '.join(sorted(unknown))}")
        texts: dict[str, str] = {}
        for key, fields in LABEL_FIELDS.items():
            value = table.get(key, "" if key in _OPTIONAL_LABELS else None)
            if not isinstance(value, str):
                raise self.fail(where, f"missing text {key}" if value is None else f"{key} must be text")
            try:
                used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
            except ValueError as error:
                raise self.fail(where, f"{key}: {error} (write {{{{ and }}}} for literal braces)") from error
            if not used <= fields:
                allowed = ", ".join("{" + f + "}" for f in sorted(fields)) or "none"
                raise self.fail(where, f"{key}: unknown placeholder(s) "
                                       f"{', '.join('{' + u + '}' for u in sorted(used - fields))}; "
                                       f"allowed: {allowed}")
            texts[key] = value
        months = table.get("months")
        if (not isinstance(months, list) or len(months) != 12
                or not all(isinstance(m, str) and m for m in months)):
            raise self.fail(where, "months must be a list of the 12 month names")
        labels = Labels(texts, tuple(months))
        try:
            labels.format_date(date(2000, 1, 31))
        except (ValueError, IndexError, KeyError) as error:
            raise self.fail(where, f"date_format: {error}") from error
        return labels
