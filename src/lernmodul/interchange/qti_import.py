"""import_qti(): a QTI 2.1 content package (zip bytes, or its files by path) to unit files in
the course format, with a `file:line` message for everything that cannot be converted.

Safe with hostile input: limits on the number and size of files and on the compression
ratio (zip bombs), no path outside the package, XML parsed without entities, DTDs or network.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from lxml import etree

from lernmodul.core.gift import slugify
from lernmodul.core.gift.ids import ID_PATTERN

from .notes import Note
from .qti_read import NAMESPACES, Unconvertible, children, line_of, local, read_item

MAX_FILES = 5000
MAX_XML_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed : compressed, per file
CP_NAMESPACES = ("http://www.imsglobal.org/xsd/imscp_v1p1",)


class PackageError(ValueError):
    """The package as a whole cannot be read (not a zip, too large, unsafe)."""


@dataclass(frozen=True, slots=True)
class QtiImport:
    """Unit files (and exam.md) by name, the number of questions, and every message."""

    files: dict[str, str]
    questions: int
    notes: tuple[Note, ...]
    unit_ids: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Note, ...]:
        return tuple(n for n in self.notes if n.is_error)


def read_zip(data: bytes) -> dict[str, bytes]:
    """The XML files of a zip by path (other files are not needed), within the limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise PackageError(f"not a zip file ({error})") from None
    infos = archive.infolist()
    if len(infos) > MAX_FILES:
        raise PackageError(f"more than {MAX_FILES} files")
    files: dict[str, bytes] = {}
    total = 0
    for info in infos:
        name = info.filename
        if info.is_dir() or not name.lower().endswith(".xml"):
            continue
        safe_name(name)
        if info.file_size > MAX_XML_BYTES:
            raise PackageError(f"{name}: larger than {MAX_XML_BYTES // (1024 * 1024)} MB")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise PackageError(f"{name}: compressed more than {MAX_RATIO}:1 (a zip bomb?)")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise PackageError(f"more than {MAX_TOTAL_BYTES // (1024 * 1024)} MB of XML")
        try:
            with archive.open(info) as stream:
                content = stream.read(MAX_XML_BYTES + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
            raise PackageError(f"{name}: cannot be read ({error})") from None
        if len(content) > MAX_XML_BYTES:
            raise PackageError(f"{name}: larger than its entry says")
        files[name] = content
    return files


def safe_name(name: str) -> str:
    """A package path that stays inside the package, else PackageError."""
    normal = posixpath.normpath(name)
    if name.startswith(("/", "\\")) or normal.startswith("..") or ":" in name.split("/")[0]:
        raise PackageError(f"{name}: a path outside the package")
    return normal


def parse_xml(data: bytes) -> etree._Element:
    """XML without entity expansion, DTD loading or network access."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False, remove_comments=True,
                             remove_pis=True)
    root: etree._Element = etree.fromstring(data, parser)
    return root


class _Importer:
    def __init__(self, files: Mapping[str, bytes], name: str) -> None:
        self.files = {safe_name(k): v for k, v in files.items()}
        self.name = name
        self.notes: list[Note] = []
        self.roots: dict[str, etree._Element | None] = {}

    def where(self, path: str) -> str:
        if not path:
            return self.name or "package"
        return f"{self.name}/{path}" if self.name else path

    def note(self, path: str, line: int, text: str, *, error: bool = False) -> None:
        self.notes.append(Note(self.where(path), line, text, error))

    def root(self, path: str) -> etree._Element | None:
        if path not in self.roots:
            data = self.files.get(path)
            if data is None:
                self.note(path, 0, "referenced but not in the package", error=True)
                self.roots[path] = None
            else:
                try:
                    self.roots[path] = parse_xml(data)
                except etree.XMLSyntaxError as error:
                    message = re.sub(r", line \d+, column \d+\Z", "", str(error.msg))
                    self.note(path, error.lineno or 0, f"not well-formed XML: {message}",
                              error=True)
                    self.roots[path] = None
        return self.roots[path]

    def resources(self) -> tuple[list[str], list[str]]:
        """Item and test paths: from imsmanifest.xml, or every XML file by its root."""
        manifest = self.root("imsmanifest.xml") if "imsmanifest.xml" in self.files else None
        items: list[str] = []
        tests: list[str] = []
        if manifest is not None:
            for resource in manifest.iter():
                if local(resource) != "resource":
                    continue
                kind = resource.get("type", "")
                href = resource.get("href", "")
                if not href:
                    continue
                try:
                    path = safe_name(href)
                except PackageError as error:
                    self.note("imsmanifest.xml", line_of(resource), str(error), error=True)
                    continue
                if kind.startswith("imsqti_item_xmlv2p"):
                    items.append(path)
                elif kind.startswith("imsqti_test_xmlv2p"):
                    tests.append(path)
                elif kind.startswith("imsqti"):
                    self.note("imsmanifest.xml", line_of(resource),
                              f"resource type {kind} is not QTI 2.1: left out")
            return items, tests
        for path in sorted(self.files):
            root = self.root(path)
            if root is not None and local(root) == "assessmentItem":
                items.append(path)
            elif root is not None and local(root) == "assessmentTest":
                tests.append(path)
        return items, tests

    def sections(self, tests: list[str]) -> list[tuple[str, str, int | None, list[str], bool]]:
        """(section id, title, draw, item paths, is the exam's own) for each section."""
        found = []
        for test in tests:
            root = self.root(test)
            if root is None:
                continue
            is_exam = root.get("identifier") == "exam" and root.get("toolName") == "lernmodul"
            for section in root.iter():
                if local(section) != "assessmentSection":
                    continue
                refs = []
                for ref in children(section, "assessmentItemRef"):
                    href = posixpath.join(posixpath.dirname(test), ref.get("href", ""))
                    try:
                        refs.append(safe_name(href))
                    except PackageError as error:
                        self.note(test, line_of(ref), str(error), error=True)
                selection = next(iter(children(section, "selection")), None)
                draw = None
                if selection is not None and (selection.get("select") or "").isdigit():
                    draw = int(selection.get("select", "0"))
                found.append((section.get("identifier", ""), section.get("title", ""), draw,
                              refs, is_exam))
        return found


def _unit_id(section_id: str, title: str, taken: set[str]) -> str:
    base = section_id[5:] if section_id.startswith("unit-") else ""
    if not ID_PATTERN.match(base):
        base = slugify(title) or slugify(section_id) or "qti"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _compile_problem(markdown: str) -> str:
    """The compiler's first error on one converted question, or "" (a question type this
    release's compiler does not know is not checked here)."""
    from lernmodul.core.compiler import compile_course
    from lernmodul.core.compiler.questions import TYPES
    from lernmodul.core.gift import minimal_course_md

    qtype = markdown.split(None, 3)[2] if markdown.count(" ") >= 2 else ""
    if qtype not in TYPES:
        return ""
    result = compile_course({
        "course.md": minimal_course_md("probe", "Probe").encode(),
        "01-probe.md": f"---\nid: probe-unit\ntitle: Probe\n---\n\n{markdown}\n".encode()})
    return result.errors[0].message() if result.errors else ""


def _yaml(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def import_qti(source: bytes | Mapping[str, bytes], *, name: str = "",
               title: str = "", pass_mark: float | None = 0.8, number_from: int = 1,
               reserved_ids: Collection[str] = (),
               reserved_units: Collection[str] = ()) -> QtiImport:
    """Converts the QTI 2.1 items of a package (zip bytes, or XML files by path) to unit
    files: a unit per test section (the first that names an item), the rest in one unit
    named after the package; the exam's own questions of a lernmodul package to exam.md.
    Files are numbered from `number_from`; question and unit ids already in the course
    (`reserved_ids`, `reserved_units`) are not used again.
    Items that cannot be converted are reported (error) and left out; never raises for bad
    input except PackageError for a package that cannot be opened at all."""
    files = read_zip(source) if isinstance(source, bytes | bytearray) else dict(source)
    if len(files) > MAX_FILES:
        raise PackageError(f"more than {MAX_FILES} files")
    importer = _Importer(files, name)
    item_paths, test_paths = importer.resources()
    taken_units: set[str] = set(reserved_units)
    taken_questions: set[str] = set(reserved_ids)
    placed: dict[str, tuple[str, str, int | None]] = {}
    order: list[tuple[str, str, int | None]] = []
    exam_items: list[str] = []
    for section_id, section_title, draw, refs, is_exam in importer.sections(test_paths):
        fresh = [r for r in refs if r not in placed and r not in exam_items]
        if not fresh:
            continue
        if is_exam:
            exam_items += fresh
            continue
        unit = (_unit_id(section_id, section_title, taken_units), section_title or section_id,
                draw)
        order.append(unit)
        for ref in fresh:
            placed[ref] = unit
    rest = [p for p in item_paths if p not in placed and p not in exam_items]
    if rest:
        default = (_unit_id("", title or name or "qti", taken_units), title or name or "QTI",
                   None)
        order.append(default)
        for path in rest:
            placed[path] = default
    blocks: dict[str, list[str]] = {}
    count = 0
    for path in [*placed, *exam_items]:
        root = importer.root(path)
        if root is None:
            continue
        if local(root) != "assessmentItem" or etree.QName(root).namespace not in NAMESPACES:
            importer.note(path, line_of(root), "not a QTI 2.1 assessmentItem", error=True)
            continue
        try:
            item = read_item(root)
        except Unconvertible as problem:
            importer.note(path, problem.line, problem.text + "; item left out", error=True)
            continue
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as problem:
            # a value of the wrong kind somewhere
            importer.note(path, line_of(root), f"cannot be read ({problem}); item left out",
                          error=True)
            continue
        compile_error = _compile_problem(item.markdown.replace("{id}", "probe", 1))
        if compile_error:
            importer.note(path, line_of(root), f"the converted question does not compile "
                          f"({compile_error}); item left out", error=True)
            continue
        for line, text in item.warnings:
            importer.note(path, line, text)
        qid = item.id if ID_PATTERN.match(item.id) else slugify(item.id) or "frage"
        base, number = qid, 2
        while qid in taken_questions:
            qid, number = f"{base}-{number}", number + 1
        taken_questions.add(qid)
        key = "exam" if path in exam_items else placed[path][0]
        blocks.setdefault(key, []).append(item.markdown.replace("{id}", qid, 1))
        count += 1
    out: dict[str, str] = {}
    written = []
    number = number_from
    for unit_id, unit_title, draw in order:
        if unit_id not in blocks:
            continue
        front = f"---\nid: {unit_id}\ntitle: {_yaml(unit_title)}\n"
        if pass_mark is not None:
            front += f"quiz:\n  pass_mark: {pass_mark}\n"
            if draw is not None and draw < len(blocks[unit_id]):
                front += f"  draw: {draw}\n"
        out[f"{number:02d}-{unit_id}.md"] = front + "---\n\n" + "\n\n".join(blocks[unit_id]) + "\n"
        written.append(unit_id)
        number += 1
    if "exam" in blocks:
        out["exam.md"] = "---\ntitle: Abschlussprüfung\n---\n\n" + "\n\n".join(blocks["exam"]) + "\n"
    if not count and not any(n.is_error for n in importer.notes):
        importer.note("", 0, "no QTI 2.1 items found", error=True)
    notes = sorted(importer.notes, key=lambda n: (n.path, n.line))
    return QtiImport(out, count, tuple(notes), tuple(written))
