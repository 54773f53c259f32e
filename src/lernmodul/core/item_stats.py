"""Item statistics: difficulty, discrimination and option counts per question, k-suppressed.

Input is one graded attempt per person (the caller chooses which). Figures for a question
answered by fewer than k people are withheld. Option counts from 1 to k-1 are withheld too;
0 is shown, since an option nobody chose says nothing about anybody and is the clearest hint
at a useless distractor. Where the counts of a question add up to the number of people
(single choice, true/false, together with "no answer") and the right option's count follows
from the difficulty, one withheld count could be worked out by subtraction: then the
smallest other count of a wrong option or of "no answer" is withheld as well.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .model import Question, QuestionType

DEFAULT_K = 5
CHOICE_TYPES = frozenset({QuestionType.SINGLE, QuestionType.TRUEFALSE, QuestionType.MULTIPLE})
VERY_EASY = 0.9
VERY_HARD = 0.2
LOW_DISCRIMINATION = 0.2


@dataclass(frozen=True, slots=True)
class GradedAttempt:
    """One person's graded attempt: points and maximum per drawn question, for choice
    questions the chosen option ids (absent or empty: not answered), and for cloze questions
    right or wrong per gap key."""

    scores: Mapping[str, tuple[float, float]]
    choices: Mapping[str, frozenset[str]]
    total: tuple[float, float] | None = None  # (points, max) of the attempt; None: the sum
    gap_marks: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)

    def totals(self) -> tuple[float, float]:
        if self.total is not None:
            return self.total
        return (sum(p for p, _ in self.scores.values()), sum(m for _, m in self.scores.values()))


@dataclass(frozen=True, slots=True)
class OptionCount:
    option_id: str  # "" for "no answer"
    text: str
    is_correct: bool
    count: int | None  # None: withheld

    @property
    def is_withheld(self) -> bool:
        return self.count is None


@dataclass(frozen=True, slots=True)
class GapShare:
    """One gap of a cloze question: the share of people who filled it in right."""

    number: int
    share: float | None  # None: no attempt recorded the gap


@dataclass(frozen=True, slots=True)
class ItemStatistic:
    question: Question
    people: int  # people whose attempt contained the question
    difficulty: float | None = None  # mean share of the points, 0..1
    discrimination: float | None = None  # corrected item-total correlation
    options: tuple[OptionCount, ...] = ()
    flags: tuple[str, ...] = ()
    is_withheld: bool = False  # fewer than k people: no figures
    gaps: tuple[GapShare, ...] = ()  # cloze: per gap, in the order of the stem


def difficulty(shares: Sequence[float]) -> float | None:
    """The mean share of the points (p): 1.0 = everybody right, 0.0 = nobody."""
    return sum(shares) / len(shares) if shares else None


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None for fewer than 3 pairs or when either side does not vary."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys differ in length")
    n = len(xs)
    if n < 3:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def corrected_item_total(item: Sequence[tuple[float, float]],
                         totals: Sequence[tuple[float, float]]) -> float | None:
    """Discrimination: the correlation of the item's share of points with the share of points
    in the rest of the attempt (the attempt without this item). `item` and `totals` are
    (points, max points) per attempt. Shares rather than points, so attempts that drew
    different questions compare; for 0/1 items this is the point-biserial correlation."""
    # one pass with running sums: this runs for every question over every attempt
    n = 0
    sx = sy = sxx = syy = sxy = 0.0
    for (points, maximum), (total, total_max) in zip(item, totals, strict=True):
        rest_max = total_max - maximum
        if maximum <= 0 or rest_max <= 0:
            continue
        x = points / maximum
        y = (total - points) / rest_max
        n += 1
        sx += x
        sy += y
        sxx += x * x
        syy += y * y
        sxy += x * y
    if n < 3:
        return None
    var_x = n * sxx - sx * sx
    var_y = n * syy - sy * sy
    if var_x <= 1e-9 * n * n or var_y <= 1e-9 * n * n:
        return None
    return max(-1.0, min(1.0, (n * sxy - sx * sy) / math.sqrt(var_x * var_y)))


def withhold(counts: Sequence[int], k: int, *, adds_up: bool = False,
             known: Sequence[bool] = ()) -> list[int | None]:
    """Counts from 1 to k-1 become None. With `adds_up` (the counts sum to a published
    total), when exactly one count that is not `known` (derivable elsewhere, such as the right
    answer's count from the difficulty) is withheld, the smallest other such count is
    withheld as well, so no subtraction gives it away."""
    shown: list[int | None] = [None if 0 < c < k else c for c in counts]
    unknown = [i for i in range(len(counts)) if not (known[i] if i < len(known) else False)]
    if adds_up and sum(1 for i in unknown if shown[i] is None) == 1:
        others = [(counts[i], i) for i in unknown if shown[i] is not None]
        if others:
            shown[min(others)[1]] = None
    return shown


def item_statistics(questions: Sequence[Question], attempts: Sequence[GradedAttempt],
                    k: int = DEFAULT_K) -> tuple[ItemStatistic, ...]:
    """Figures for each question (in the given order) over the attempts that contained it."""
    wanted = {q.id for q in questions}
    # one pass over the attempts: per question its (item, attempt total) pairs and choices
    items: dict[str, list[tuple[float, float]]] = {qid: [] for qid in wanted}
    totals: dict[str, list[tuple[float, float]]] = {qid: [] for qid in wanted}
    chosen: dict[str, list[frozenset[str]]] = {qid: [] for qid in wanted}
    cloze = {q.id for q in questions if q.gaps}
    gap_marks: dict[str, list[Mapping[str, bool]]] = {qid: [] for qid in cloze}
    nothing: frozenset[str] = frozenset()
    for attempt in attempts:
        total = attempt.totals()
        choices = attempt.choices
        for qid, score in attempt.scores.items():
            if qid in wanted:
                items[qid].append(score)
                totals[qid].append(total)
                chosen[qid].append(choices.get(qid, nothing))
                if qid in cloze and qid in attempt.gap_marks:
                    gap_marks[qid].append(attempt.gap_marks[qid])
    found: list[ItemStatistic] = []
    for question in questions:
        item = items[question.id]
        people = len(item)
        if people < k:
            found.append(ItemStatistic(question, people, is_withheld=True))
            continue
        p = difficulty([points / maximum if maximum > 0 else 0.0 for points, maximum in item])
        d = corrected_item_total(item, totals[question.id])
        options = _option_counts(question, chosen[question.id], k)
        stat = ItemStatistic(question, people, p, d, options)
        found.append(ItemStatistic(question, people, p, d, options, flags_for(stat),
                                   gaps=_gap_shares(question, gap_marks.get(question.id, []))))
    return tuple(found)


def _gap_shares(question: Question, marks: Sequence[Mapping[str, bool]]
                ) -> tuple[GapShare, ...]:
    """Per gap: the share of the recorded attempts that had it right."""
    shares = []
    for gap in question.gaps:
        seen = [m[gap.key] for m in marks if gap.key in m]
        shares.append(GapShare(gap.number, sum(1 for ok in seen if ok) / len(seen)
                               if seen else None))
    return tuple(shares)


def _option_counts(question: Question, chosen: Sequence[frozenset[str]],
                   k: int) -> tuple[OptionCount, ...]:
    if question.type not in CHOICE_TYPES:
        return ()
    ids = {o.id for o in question.options}
    counts = [sum(1 for c in chosen if option.id in c) for option in question.options]
    counts.append(sum(1 for c in chosen if not c & ids))
    adds_up = question.type is not QuestionType.MULTIPLE
    known = [o.is_correct for o in question.options] + [False]
    shown = withhold(counts, k, adds_up=adds_up, known=known)
    rows = [OptionCount(o.id, o.text, o.is_correct, n)
            for o, n in zip(question.options, shown, strict=False)]
    rows.append(OptionCount("", "", False, shown[-1]))
    return tuple(rows)


def flags_for(stat: ItemStatistic) -> tuple[str, ...]:
    """Hints at questions worth a look: very_easy, very_hard, negative_discrimination,
    low_discrimination, unused_option (a wrong option nobody chose)."""
    flags: list[str] = []
    if stat.difficulty is not None:
        if stat.difficulty > VERY_EASY:
            flags.append("very_easy")
        elif stat.difficulty < VERY_HARD:
            flags.append("very_hard")
    if stat.discrimination is not None:
        if stat.discrimination < 0:
            flags.append("negative_discrimination")
        elif stat.discrimination < LOW_DISCRIMINATION:
            flags.append("low_discrimination")
    if any(o.option_id and not o.is_correct and o.count == 0 for o in stat.options):
        flags.append("unused_option")
    return tuple(flags)
