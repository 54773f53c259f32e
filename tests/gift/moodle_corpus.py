"""The Moodle GIFT corpus: every question of fixtures/moodle/*.gift converted on its own.

A case converts "with no difference" when it becomes exactly one question, the converter
reports nothing (every loss it knows of is a warning or an error), and the unit file compiles
without a single diagnostic. Run as a script to print the count and what the others report:

    PYTHONPATH=src python tests/gift/moodle_corpus.py
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lernmodul.core.compiler import compile_course
from lernmodul.core.gift import convert_gift, minimal_course_md

CORPUS = Path(__file__).parent / "fixtures" / "moodle"
_CASE = re.compile(r"^// case: (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    """One question block of a corpus file: where it stands and its GIFT text."""

    file: str
    line: int
    name: str
    text: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    questions: int
    slugs: tuple[str, ...]
    compile_errors: tuple[str, ...]
    markdown: str

    @property
    def same(self) -> bool:
        return self.questions == 1 and not self.slugs and not self.compile_errors


def cases() -> list[Case]:
    """The question blocks of every corpus file (blocks holding only comments or a
    $CATEGORY line are not questions)."""
    found = []
    for path in sorted(CORPUS.glob("*.gift")):
        lines = path.read_text(encoding="utf-8").split("\n")
        block: list[str] = []
        start = 0
        for number, line in enumerate([*lines, ""], start=1):
            if line.strip():
                if not block:
                    start = number
                block.append(line)
                continue
            if block:
                text = "\n".join(block)
                body = [x for x in block if not x.strip().startswith("//")
                        and not x.startswith("$CATEGORY:")]
                if body:
                    named = _CASE.search(text)
                    name = named.group(1) if named else f"line {start}"
                    found.append(Case(path.name, start, name, text))
            block = []
    return found


def run(case: Case) -> Outcome:
    """Converts one case and compiles the result with a minimal course."""
    result = convert_gift(case.text, unit_id="moodle", path=case.file)
    files = {name: text.encode() for name, text in result.files.items()}
    errors: tuple[str, ...] = ()
    if files:
        files["course.md"] = minimal_course_md("probe", "Probe").encode()
        compiled = compile_course(files)
        errors = tuple(d.format() for d in compiled.diagnostics)
    return Outcome(case, result.questions, tuple(d.code.slug for d in result.diagnostics),
                   errors, "\n".join(result.files.values()))


def main() -> int:
    outcomes = [run(case) for case in cases()]
    same = [o for o in outcomes if o.same]
    print(f"{len(same)} of {len(outcomes)} Moodle GIFT cases convert with no difference")
    reasons = Counter(slug for o in outcomes for slug in set(o.slugs))
    for slug, number in reasons.most_common():
        print(f"  {number:3d} cases report {slug}")
    broken = [o for o in outcomes if o.compile_errors]
    print(f"  {len(broken)} cases whose converted file does not compile cleanly")
    if "-v" in sys.argv:
        for o in outcomes:
            if not o.same:
                print(f"{o.case.file}:{o.case.line} {o.case.name}: {', '.join(o.slugs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
