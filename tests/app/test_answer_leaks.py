"""A learner with an open exam attempt cannot work out its answers from what they can reach.

Each learner passes every unit quiz (so review pages of earlier attempts exist), opens the
final exam and then acts as an attacker: collects every page reachable by links from the
dashboard and the data download, saves answers round after round (token 1 everywhere, then
token 2 …) and downloads their data after each round, to tie display tokens to option ids.
From that, several rules name the answer of each exam question the learner has not seen in
a review (self-check questions in the text are left out: they show their answer by design):
the first or last option shown, the option with the smallest or largest id, the first of
the download's lists, for match the right side whose id is the row's id; and, as if every
option id had become known some other way, the smallest or largest of them.

Each rule is scored on distinct questions (the first learner that has one as target): a hit
is "the named option is right" (order: is the first item; match: belongs to the first row),
whose chance under guessing is known per question. The rule fails when the hits are so many
that their chance under guessing (exact Poisson-binomial tail) is below 0.01 / number of
rules (Bonferroni). Seeds are fixed and option ids depend only on the sources, so the test
cannot flake: it passes or fails the same way every run."""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SAMPLE_COURSE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
FLAGSHIP = Path(__file__).parents[2] / "courses" / "bedrohungsmanagement"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LEARNERS = {FLAGSHIP: 6, SAMPLE_COURSE: 4}
ALPHA = 0.01
CHOICE = ("single", "multiple", "truefalse")


def csrf_token_from(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF token in page"
    return match.group(1)


def plain(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def right_answer(question: Any) -> Any:
    kind = question.type.value
    options = question.options
    if kind in ("single", "truefalse"):
        return next(o.id for o in options if o.is_correct)
    if kind == "multiple":
        return frozenset(o.id for o in options if o.is_correct)
    if kind == "order":
        return tuple(o.id for o in options)
    if kind == "match":
        return {o.id: o.id for o in options}
    if kind == "number":
        return f"{question.number_answers[0].value:g}"
    if kind == "cloze":
        return {g.key: next(o.id for o in g.options if o.is_correct) if g.options
                else g.answers[0] if g.answers else f"{g.number_answer.value:g}"
                for g in question.gaps}
    return question.text_answers[0]


def crawl(client: Any, known: list[str]) -> dict[str, str]:
    """Every page reachable by links from the dashboard and from `known` pages (those a
    learner reaches through a button: the open attempt, the reviews after submitting)."""
    seen: dict[str, str] = {}
    queue = ["/", "/me/data.json", "/me/hr-view", *known]
    while queue and len(seen) < 400:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path, follow_redirects=True)
        seen[path] = response.get_data(as_text=True) if response.status_code == 200 else ""
        for link in re.findall(r'href="(/[^"#?]*)', seen[path]):
            if not link.startswith(("/static/", "/media/", "/logout")) and link not in seen:
                queue.append(link)
    return seen


def attempt_entry(data_json: str, attempt_id: int) -> dict[str, Any]:
    data = json.loads(data_json)
    return next(a for a in data["attempts"] if a["id"] == attempt_id)


class Shown:
    """One question as the attempt page shows it."""

    def __init__(self, page: str, qid: str) -> None:
        block = re.search(rf'<fieldset class="question question-(\w+)[^"]*" id="q-{re.escape(qid)}"'
                          r"(.*?)</fieldset>", page, re.S)
        assert block, qid
        self.kind, body = block.group(1), block.group(2)
        self.rows: list[tuple[str, str]] = []  # match: (field name, left text)
        if self.kind == "match":
            self.rows = [(name, plain(label)) for name, label in re.findall(
                r'<label for="(q-[^"]+)">(.*?)</label>', body, re.S)]
            first_select = re.search(r"<select.*?</select>", body, re.S).group(0)
            self.texts = [plain(t) for t in re.findall(
                r'<option value="\d+"[^>]*>(.*?)</option>', first_select, re.S)]
        else:
            self.texts = [plain(t) for t in re.findall(r"<label for=\"[^\"]+\">(.*?)</label>",
                                                       body, re.S)]


def is_hit(question: Any, text: str) -> bool:
    kind, options = question.type.value, question.options
    if kind in CHOICE:
        return any(o.is_correct for o in options if plain(o.html) == text)
    if kind == "order":
        return plain(options[0].html) == text
    return options[0].match_text == text


def chance(question: Any) -> float:
    kind, options = question.type.value, question.options
    if kind in CHOICE:
        return sum(o.is_correct for o in options) / len(options)
    if kind == "order":
        return sum(plain(o.html) == plain(options[0].html) for o in options) / len(options)
    return sum(o.match_text == options[0].match_text for o in options) / len(options)


def tail(probabilities: list[float], hits: int) -> float:
    """P(X >= hits) for a sum of independent Bernoulli(p_i) (exact, by convolution)."""
    dist = [1.0]
    for p in probabilities:
        dist = [(dist[k] if k < len(dist) else 0) * (1 - p) + (dist[k - 1] * p if k else 0)
                for k in range(len(dist) + 1)]
    return sum(dist[hits:])


def natural(ident: str) -> tuple[int, str]:
    return len(ident), ident


RULES: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "first shown": lambda k: k["texts"][0],
    "last shown": lambda k: k["texts"][-1],
    # test-wiseness: the keyed option written longest (a content rule, tests/content)
    "longest shown": lambda k: max(k["texts"], key=len),
    "smallest id": lambda k: min(k["ids"], key=lambda t: natural(k["ids"][t]), default=None),
    "smallest id (alphabetical)": lambda k: min(k["ids"], key=lambda t: k["ids"][t],
                                                default=None),
    "largest id": lambda k: max(k["ids"], key=lambda t: natural(k["ids"][t]), default=None),
    "first of the download's list": lambda k: k["listed"][0] if k["listed"] else None,
    "same id as the row": lambda k: next((t for t, i in k["ids"].items() if i == k["row_id"]),
                                         None),
    # as if the ids of every option shown had become known some other way: ids alone
    "smallest of all ids": lambda k: min(k["all_ids"], key=lambda t: natural(k["all_ids"][t])),
    "largest of all ids": lambda k: max(k["all_ids"], key=lambda t: natural(k["all_ids"][t])),
}


def save_round(client: Any, attempt_id: int, shown: dict[str, Shown], r: int) -> None:
    url = f"/attempts/{attempt_id}"
    page = client.get(url).get_data(as_text=True)
    fields: dict[str, Any] = {"csrf_token": csrf_token_from(page), "action": "save",
                              "revision": re.search(r'name="revision" value="(\d+)"', page).group(1)}
    for qid, view in shown.items():
        n = len(view.texts)
        if view.kind in CHOICE:
            fields[f"q-{qid}"] = str(r % n + 1)
        elif view.kind == "order":
            for j in range(n):
                fields[f"q-{qid}-{j + 1}"] = str((j + r) % n + 1)
        elif view.kind == "match":
            for name, _left in view.rows:
                fields[name] = str(r % n + 1)
    assert client.post(url, data=fields).status_code == 303


def learn_ids(view: Shown, value: Any, r: int, known: dict[str, str]) -> None:
    """What one saved answer ties together: display text -> the id stored for it (a saved
    answer given in the words shown ties nothing)."""
    n = len(view.texts)
    words = set(view.texts) | {left for _name, left in view.rows}
    known = _OnlyIds(known, words)
    if view.kind in CHOICE:
        stored = value[0] if isinstance(value, list) and value else value
        if isinstance(stored, str):
            known.setdefault(view.texts[r % n], stored)
    elif view.kind == "order" and isinstance(value, list):
        for p, stored in enumerate(value):
            known.setdefault(view.texts[(p - r) % n], stored)
    elif view.kind == "match" and isinstance(value, dict):
        for stored in value.values():  # the chosen right side, stored by its owner's id
            known.setdefault(view.texts[r % n], stored)


class _OnlyIds:
    def __init__(self, known: dict[str, str], words: set[str]) -> None:
        self.known, self.words = known, words

    def setdefault(self, text: str, stored: Any) -> None:
        if isinstance(stored, str) and stored not in self.words:
            self.known.setdefault(text, stored)


@pytest.fixture
def targets(app, import_course, make_user, login) -> list[tuple[Any, dict[str, Any]]]:
    """(question, what the attacker knows about it) for each distinct target question."""
    from lernmodul.db.models import CourseVersion, utcnow
    from lernmodul.services import learning
    from lernmodul.services.courses import CompiledCourses
    from lernmodul.web.database import get_database

    cache = CompiledCourses()
    found: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}
    for folder, count in LEARNERS.items():
        version_id = import_course(folder).version_id
        for number in range(count):
            user = make_user(email=f"leak{number}-{folder.name}@example.org")
            session = get_database(app).sessions()
            version = session.get(CourseVersion, version_id)
            course = cache.get(version, "media/")
            questions = course.questions()
            now = utcnow()
            enrolment = learning.start_course(session, user.id, version, now)
            reviewed: set[str] = set()
            visited: list[str] = []
            for k, unit in enumerate(course.units):
                learning.mark_unit_read(session, enrolment, course, unit.id, now)
                if unit.quiz is None:
                    continue
                quiz = learning.start_attempt(session, enrolment=enrolment, course=course,
                                              unit_id=unit.id, seed=1000 * number + k, now=now)
                answers = {qid: right_answer(questions[qid]) for qid, _o in quiz.questions}
                learning.submit_attempt(session, quiz, course, answers, quiz.revision, now)
                reviewed |= set(answers)
                visited.append(f"/attempts/{quiz.id}/result")
            exam = learning.start_attempt(session, enrolment=enrolment, course=course,
                                          unit_id=None, seed=7000 + number, now=now)
            session.commit()
            exam_id, drawn = exam.id, [qid for qid, _o in exam.questions]
            visited.append(f"/attempts/{exam_id}")
            session.close()

            client = app.test_client()
            assert login(client, user.email).status_code == 302
            pages = crawl(client, visited)
            attempt_page = pages.get(f"/attempts/{exam_id}", "")
            assert f'id="q-{drawn[0]}"' in attempt_page, "the crawl did not reach the exam"
            shown = {qid: Shown(attempt_page, qid) for qid in drawn
                     if questions[qid].options}
            entry = attempt_entry(pages["/me/data.json"], exam_id)
            listed = {q[0]: q[1] for q in entry["questions"] if isinstance(q, list)}
            known: dict[str, dict[str, str]] = {qid: {} for qid in shown}
            for qid, view in shown.items():
                if view.kind == "match":
                    for name, left in view.rows:  # a row's field name ends in its id
                        known[qid].setdefault("row:" + left, name.rsplit("-", 1)[-1])
            for r in range(max(len(v.texts) for v in shown.values())):
                save_round(client, exam_id, shown, r)
                saved = attempt_entry(client.get("/me/data.json").get_data(as_text=True),
                                      exam_id)["responses"]
                for qid, value in saved.items():
                    if qid in shown:
                        learn_ids(shown[qid], value, r, known[qid])
            for qid, view in shown.items():
                question = questions[qid]
                if qid in reviewed or question.is_inline or (course.id, qid) in found:
                    continue
                ids = {t: i for t, i in known[qid].items() if not t.startswith("row:")}
                by_id = {i: t for t, i in ids.items()}
                first_row = view.rows[0][1] if view.rows else ""
                every = ({o.match_text: o.id for o in question.options} if view.kind == "match"
                         else {plain(o.html): o.id for o in question.options})
                found[(course.id, qid)] = (question, {"all_ids": every,
                    "texts": view.texts, "ids": ids, "row_id": known[qid].get("row:" + first_row),
                    "listed": [by_id[i] for i in listed.get(qid, []) if i in by_id]})
    return list(found.values())


def test_answers_worked_out_from_every_page_score_no_better_than_chance(targets) -> None:
    assert len(targets) >= 30, len(targets)
    probabilities = [chance(q) for q, _k in targets]
    report = {}
    for name, rule in RULES.items():
        hits = 0
        for question, knowledge in targets:
            text = rule(knowledge)
            hits += is_hit(question, knowledge["texts"][0] if text is None else text)
        report[name] = (hits, round(sum(probabilities), 1), tail(probabilities, hits))
    too_good = {name: figures for name, figures in report.items()
                if figures[2] < ALPHA / len(RULES)}
    assert not too_good, f"rule: (hits, hits expected by chance, P): {report}"


def test_the_data_copy_shows_an_open_attempt_without_display_order(
        app, import_course, make_user, login) -> None:
    """Drawn questions sorted, no option order; saved answers in the words shown (a match
    answer by ids would tell whose right side was chosen)."""
    from lernmodul.db.models import CourseVersion, utcnow
    from lernmodul.services import learning
    from lernmodul.services.courses import CompiledCourses
    from lernmodul.web.database import get_database

    version_id = import_course(SAMPLE_COURSE).version_id
    user = make_user()
    session = get_database(app).sessions()
    version = session.get(CourseVersion, version_id)
    course = CompiledCourses().get(version, "media/")
    enrolment = learning.start_course(session, user.id, version, utcnow())
    quiz = learning.start_attempt(session, enrolment=enrolment, course=course, unit_id="praxis",
                                  seed=3, now=utcnow())
    match = course.questions()["pr-zuordnung"]
    first, second, _third = match.options
    cloze = course.questions()["pr-notruf"]
    wrong = next(o for o in cloze.gaps[2].options if not o.is_correct)
    learning.save_responses(session, quiz, {"pr-zuordnung": {first.id: second.id},
                                            "pr-stufen": "4",
                                            "pr-notruf": {"1": "110", "3": wrong.id}},
                            quiz.revision, utcnow())
    session.commit()
    quiz_id = quiz.id
    session.close()
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    body = client.get("/me/data.json").get_data(as_text=True)
    entry = attempt_entry(body, quiz_id)
    assert entry["questions"] == ["pr-notruf", "pr-stufen", "pr-zuordnung"]
    assert entry["responses"] == {"pr-stufen": "4",
                                  "pr-notruf": {"1": "110", "3": wrong.text},
                                  "pr-zuordnung": [["Leakage", "Einengung auf eine Person"]]}
    assert not any(o.id in body for o in match.options)
    assert not any(o.id in body for o in cloze.gaps[2].options)


INLINE = """
::: question single id=pr-selbstcheck inline
Wer bewertet einen Fall?

- [x] Das Fallteam
- [ ] Niemand
- [ ] Die Presse
- [ ] Der Zufall
:::
"""


def test_a_self_check_does_not_show_its_key_first(app, import_course, make_user, login,
                                                  tmp_path) -> None:
    """Self-checks are in the text, without attempt or seed: their options stand in id
    order, not in the source order (keyed first), and the check reads the same order."""
    import shutil

    from lernmodul.content import read_course_files
    from lernmodul.core.compiler import compile_course
    from lernmodul.core.grading import self_check_order

    folder = tmp_path / "kurs"
    shutil.copytree(SAMPLE_COURSE, folder)
    unit = folder / "02-praxis.md"
    unit.write_text(unit.read_text(encoding="utf-8") + INLINE, encoding="utf-8")
    question = compile_course(read_course_files(folder)).course.questions()["pr-selbstcheck"]
    order = self_check_order(question)
    assert order[0] != question.options[0].id  # for this source; chance alone decides
    import_course(folder)
    user = make_user()
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    page = client.get("/courses/beispielkurs/units/praxis").get_data(as_text=True)
    shown = Shown(page, "pr-selbstcheck")
    by_id = {o.id: plain(o.html) for o in question.options}
    assert shown.texts == [by_id[i] for i in order]
    token = str(order.index(question.options[0].id) + 1)
    checked = client.post("/courses/beispielkurs/units/praxis/check/pr-selbstcheck",
                          data={"csrf_token": csrf_token_from(page), "q-pr-selbstcheck": token})
    assert checked.status_code == 200 and "feedback-right" in checked.get_data(as_text=True)
