"""Benchmark: compile a generated corpus of course units and compare with plain markdown-it.

Prints units/s for lernmodul's compiler (front matter, questions, diagnostics, sanitising)
and for plain markdown-it-py rendering of the same text in the same run, and their ratio.
Last line: name=value pairs.
"""

from __future__ import annotations

import sys

# bench/http.py must not shadow the standard library's `http` package for this script
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import random
import statistics
import time

from markdown_it import MarkdownIt

from lernmodul.core.compiler import compile_course

WORDS = (
    "Bedrohung", "Einschätzung", "Verwaltung", "Beschäftigte", "Schutz", "Team", "Meldung",
    "Bürgerkontakt", "Gespräch", "Sicherheit", "Warnsignal", "Dokumentation", "Leitung", "Hilfe",
    "Kollegin", "Kollege", "Lage", "Vorfall", "Nachsorge", "Polizei", "Netzwerk", "Prävention",
    "Fallkonferenz", "Ansprechperson",
)


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS).lower() for _ in range(rng.randint(8, 18))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        words[2] = f"**{words[2]}**"
    return " ".join(words) + "."


def unit_source(rng: random.Random, n: int) -> str:
    parts = [f"---\nid: einheit-{n}\ntitle: Einheit {n}\nduration: 10\nobjectives:\n"
             "  - Ziel eins\n  - Ziel zwei\nquiz:\n  pass_mark: 0.75\n  draw: 3\n---\n",
             f"# Einheit {n}\n"]
    for section in range(4):
        parts.append(f"## Abschnitt {section + 1}\n")
        for _ in range(3):
            parts.append(" ".join(sentence(rng) for _ in range(4)) + "\n")
        parts.append("\n".join(f"- {sentence(rng)}" for _ in range(3)) + "\n")
    parts.append(f"::: note\n{sentence(rng)}\n:::\n")
    for q in range(5):
        kind = ("single", "multiple", "truefalse", "order", "match")[q]
        body = {
            "single": "- [x] Richtig\n  > Genau.\n- [ ] Falsch\n  > Nein.\n- [ ] Auch falsch\n",
            "multiple": "- [x] Eins\n- [x] Zwei\n- [ ] Drei\n- [ ] Vier\n",
            "truefalse": "- [x] Richtig\n- [ ] Falsch\n",
            "order": "1. Erkennen\n2. Einschätzen\n3. Entschärfen\n",
            "match": "- Leakage => Durchsickern\n- Fixierung => Einengung\n",
        }[kind]
        parts.append(f"::: question {kind} id=q-{n}-{q}\n{sentence(rng)}\n\n{body}\n"
                     f"> {sentence(rng)}\n:::\n")
    return "\n".join(parts)


COURSE_MD = """---
format: 1
id: bench-{n}
title: Kurs {n}
version: "1"
language: de
completion:
  units: all
  exam: required
exam:
  pass_mark: 0.8
  draw: 2
---

Einführung.
"""


def make_corpus(units: int, per_course: int, seed: int) -> list[dict[str, bytes]]:
    rng = random.Random(seed)
    courses = []
    for c in range(0, units, per_course):
        files = {"course.md": COURSE_MD.format(n=c).encode()}
        for n in range(c, min(units, c + per_course)):
            files[f"{n:04d}-einheit.md"] = unit_source(rng, n).encode()
        courses.append(files)
    return courses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    corpus = make_corpus(args.units, 50, seed=1)
    texts = [data.decode() for files in corpus for name, data in files.items()
             if name != "course.md"]
    words = sum(len(t.split()) for t in texts)
    plain = MarkdownIt("commonmark").enable("table")

    # warm both up, then alternate rounds so machine noise hits both alike
    result = compile_course(corpus[0])
    assert result.ok, [d.format() for d in result.errors]
    plain.render(texts[0])
    ours_times, base_times = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for files in corpus:
            compile_course(files)
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        for text in texts:
            plain.render(text)
        base_times.append(time.perf_counter() - start)
    ours = len(texts) / statistics.median(ours_times)
    base = len(texts) / statistics.median(base_times)
    print(f"corpus: {len(texts)} units in {len(corpus)} courses, {words} words, "
          f"{5 * len(texts)} questions")
    print(f"lernmodul compile_course: {ours:,.0f} units/s (median of {args.rounds} rounds)")
    print(f"plain markdown-it render: {base:,.0f} units/s")
    print(f"units_per_s={ours:.0f} baseline_units_per_s={base:.0f} ratio={ours / base:.2f}")


if __name__ == "__main__":
    main()
