"""Benchmark: grade generated responses of every question type through the public API.

Compiles one unit with a question of each type (lernmodul.compile_course), generates N
responses per type (right, wrong and partly right, as learners give them) and grades each
with lernmodul.grade(). The baseline, in the same run, looks the same responses up as keys
of a plain dict (a precomputed score table, the least any grader must do). Prints
responses/s per type and the ratio grade time / lookup time. Last line: name=value pairs.
"""

from __future__ import annotations

import sys

# bench/http.py must not shadow the standard library's `http` package for this script
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import random
import time
from collections.abc import Callable, Hashable

import lernmodul

UNIT = """---
id: bench
title: Bench
quiz:
  pass_mark: 0.5
---

# Bench

::: question single id=b-single
Which one?

- [ ] Eins
- [x] Zwei
- [ ] Drei
- [ ] Vier
:::

::: question multiple id=b-multiple scoring=partial
Which ones?

- [x] Eins
- [x] Zwei
- [ ] Drei
- [ ] Vier
- [x] Fünf
:::

::: question truefalse id=b-truefalse
True?

- [x] Richtig
- [ ] Falsch
:::

::: question order id=b-order scoring=partial
In order:

1. Erkennen
2. Einschätzen
3. Entschärfen
4. Nachsorgen
:::

::: question match id=b-match scoring=partial
Pairs:

- Leakage => Durchsickern
- Fixierung => Einengung
- Energieschub => Aktivität
:::

::: question number id=b-number
How many?

- = 3,5 ± 0,5
:::

::: question text id=b-text
Which word?

- = Leakage
- = Durchsickern
:::

::: question cloze id=b-cloze scoring=partial
Die Polizei erreichen Sie unter [[110]], den Rettungsdienst unter [[= 112]], und
Beobachtungen gehen an die [[*zuständige Stelle|Presse|Nachbarschaft]].
:::
"""

COURSE = """---
format: 1
id: bench
title: Bench
version: "1"
language: de
---

Bench.
"""

Generator = Callable[[lernmodul.Question, random.Random], lernmodul.Response]


def _choice(q: lernmodul.Question, rng: random.Random) -> lernmodul.Response:
    return rng.choice(q.options).id


def _multiple(q: lernmodul.Question, rng: random.Random) -> lernmodul.Response:
    return frozenset(o.id for o in q.options if rng.random() < 0.5)


def _order(q: lernmodul.Question, rng: random.Random) -> lernmodul.Response:
    ids = [o.id for o in q.options]
    if rng.random() < 0.5:
        rng.shuffle(ids)
    return tuple(ids)


def _match(q: lernmodul.Question, rng: random.Random) -> lernmodul.Response:
    right = [o.id for o in q.options]
    if rng.random() < 0.5:
        rng.shuffle(right)
    return {o.id: r for o, r in zip(q.options, right, strict=True)}


def _number(q: lernmodul.Question, rng: random.Random) -> lernmodul.Response:
    return rng.choice(("4", "3,5", "3.9", "1 000", "-2", "vier", "3", ""))


def _text(q: lernmodul.Question, rng: random.Random) -> lernmodul.Response:
    return rng.choice(("Leakage", " leakage ", "LEAKAGE", "Durchsickern", "Fixierung", ""))


def _cloze(q: lernmodul.Question, rng: random.Random) -> lernmodul.Response:
    """An answer per gap (some left out): typed text and numbers as learners write them, a
    choice gap's option id."""
    found: dict[str, str] = {}
    for gap in q.gaps:
        if rng.random() < 0.05:
            continue  # unanswered
        if gap.kind.value == "choice":  # the right one half the time
            right = next(o.id for o in gap.options if o.is_correct)
            found[gap.key] = right if rng.random() < 0.5 else rng.choice(gap.options).id
        elif gap.kind.value == "number":
            found[gap.key] = rng.choice(("112", "112,0", " 112 ", "110", "eins", ""))
        else:
            found[gap.key] = rng.choice((*gap.answers, " 110 ", "112", ""))
    return found


GENERATORS: dict[str, Generator] = {
    "single": _choice, "truefalse": _choice, "multiple": _multiple, "order": _order,
    "match": _match, "number": _number, "text": _text, "cloze": _cloze,
}


def key_of(response: lernmodul.Response) -> Hashable:
    """A hashable stand-in of a response (a match mapping as sorted pairs)."""
    if isinstance(response, dict):
        return tuple(sorted(response.items()))
    return response


def compile_unit() -> lernmodul.Unit:
    result = lernmodul.compile_course({"course.md": COURSE.encode(), "01-bench.md": UNIT.encode()})
    if result.course is None or not result.ok:
        raise SystemExit("\n".join(d.format() for d in result.diagnostics))
    return result.course.units[0]


def measure(question: lernmodul.Question, responses: list[lernmodul.Response],
            repeat: int) -> tuple[float, float, float]:
    """Best-of-`repeat` seconds for grading all responses and for the dict lookups, and the
    share of fully right responses (a check that the generated responses mix right and wrong)."""
    keys = [key_of(r) for r in responses]
    table = {key: 1.0 for key in keys}
    grade = lernmodul.grade
    graded = lookup = float("inf")
    right = 0
    for _ in range(repeat):
        start = time.perf_counter()
        right = sum(1 for r in responses if grade(question, r).is_correct)
        graded = min(graded, time.perf_counter() - start)
        start = time.perf_counter()
        total = 0.0
        for key in keys:
            total += table[key]
        lookup = min(lookup, time.perf_counter() - start)
    return graded, lookup, right / len(responses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000, help="responses per type")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    unit = compile_unit()
    by_type = {q.type.value: q for q in unit.questions}
    missing = sorted({t.value for t in lernmodul.QuestionType} - set(GENERATORS))
    if missing:
        raise SystemExit(f"no response generator for: {', '.join(missing)} "
                         "(add one to bench/grading.py)")
    rng = random.Random(args.seed)
    figures: dict[str, float] = {}
    total_graded = total_lookup = 0.0
    print(f"{args.responses} responses per type, best of {args.repeat}")
    print(f"  {'type':10} {'grade/s':>12} {'lookup/s':>12} {'ratio':>8} {'right':>6}")
    for kind, generate in GENERATORS.items():
        question = by_type[kind]
        responses = [generate(question, rng) for _ in range(args.responses)]
        graded, lookup, right = measure(question, responses, args.repeat)
        total_graded += graded
        total_lookup += lookup
        rate, base = args.responses / graded, args.responses / lookup
        figures[f"{kind}_per_s"] = rate
        figures[f"{kind}_ratio"] = graded / lookup
        print(f"  {kind:10} {rate:12,.0f} {base:12,.0f} {graded / lookup:8.1f} {right:6.0%}")
    count = args.responses * len(GENERATORS)
    figures["all_per_s"] = count / total_graded
    figures["all_ratio"] = total_graded / total_lookup
    print(f"  {'all':10} {count / total_graded:12,.0f} {count / total_lookup:12,.0f} "
          f"{total_graded / total_lookup:8.1f}")
    print(" ".join(f"{name}={value:.1f}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
