"""Cloze questions in the app: labelled fields in the stem, no key before submission,
feedback per gap after it, forged posts refused with 4xx, and the trainer's pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lernmodul.db.learning import AttemptResult

COURSE = "/courses/beispielkurs"
QID = "pr-notruf"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    return CSRF.search(html).group(1)


def post(client: Any, url: str, page: str) -> Any:
    return client.post(url, data={"csrf_token": csrf_token_from(
        client.get(page).get_data(as_text=True))})


@pytest.fixture
def learner(client: Any, make_user: Any, login: Any, sample_version: int) -> Any:
    make_user(("learner",), email="lea@example.org")
    assert login(client, "lea@example.org").status_code == 302
    return client


@pytest.fixture
def quiz_url(learner: Any) -> str:
    post(learner, f"{COURSE}/start", page=COURSE)
    return post(learner, f"{COURSE}/units/praxis/quiz", page=COURSE).headers["Location"]


def block_of(html: str, qid: str = QID) -> str:
    block = html[html.index(f'id="q-{qid}"'):]
    return block[:block.index("</fieldset>")]


def form(client: Any, url: str, **fields: Any) -> dict[str, Any]:
    page = client.get(url).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
    return {"csrf_token": csrf_token_from(page), "revision": revision,
            "confirm_incomplete": "1", "action": "submit", **fields}


def token_of(block: str, text: str) -> str:
    return re.search(rf'<option value="(\d+)"[^>]*>{re.escape(text)}</option>', block).group(1)


def course_question(app: Any) -> Any:
    from pathlib import Path

    from lernmodul.content import load_course

    sample = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
    return load_course(sample).course.questions()[QID]


def test_each_gap_is_a_labelled_field_in_the_stem_and_no_key_is_sent(app, learner, quiz_url):
    html = learner.get(quiz_url).get_data(as_text=True)
    block = block_of(html)
    assert 'class="question question-cloze"' in html
    labels = re.findall(r'<label class="visually-hidden" for="(q-pr-notruf-g\d)"[^>]*>([^<]+)<',
                        block)
    assert labels == [("q-pr-notruf-g1", "Lücke 1 von 3"), ("q-pr-notruf-g2", "Lücke 2 von 3"),
                      ("q-pr-notruf-g3", "Lücke 3 von 3")]
    assert '<input type="text" name="q-pr-notruf-g1" id="q-pr-notruf-g1"' in block
    assert 'inputmode="decimal" aria-describedby="q-pr-notruf-number-hint"' in block
    assert '<select name="q-pr-notruf-g3" id="q-pr-notruf-g3">' in block
    # the stem reads on around the fields; no answer, option id or mark of the right choice
    assert "Bei akuter Gefahr rufen Sie die Polizei unter" in block
    question = course_question(app)
    assert "110" not in block and "112" not in block and "[[" not in block
    assert not any(o.id in html for o in question.gaps[2].options)
    assert "*zuständige" not in block and "selected" not in block
    assert "Die Notrufnummern sind bundesweit gleich." not in html


def test_right_and_wrong_per_gap_after_submission(app, learner, quiz_url, db_session):
    block = block_of(learner.get(quiz_url).get_data(as_text=True))
    response = learner.post(quiz_url, data=form(learner, quiz_url, **{
        "q-pr-notruf-g1": " 110 ", "q-pr-notruf-g2": "113",
        "q-pr-notruf-g3": token_of(block, "zuständige Stelle")}))
    assert response.status_code == 303
    db_session.rollback()
    score = db_session.query(AttemptResult).one().scores[QID]
    assert score["marks"] == {"1": True, "2": False, "3": True}
    assert round(score["points"], 4) == round(2 / 3, 4)  # scoring=partial
    page = learner.get(response.headers["Location"]).get_data(as_text=True)
    review = page[page.index('id="fb-pr-notruf"'):]
    review = review[:review.index("</section>")]
    assert 'Polizei unter <span class="cloze-answer cloze-right">' in review
    assert '<span class="cloze-given">110</span>' in review
    assert "Lücke 2 von 3: </span>" in review
    assert re.search(r'cloze-wrong">.*?113.*?nicht richtig; Richtige Antwort:</span> 112\)',
                     review, re.S)
    assert "zuständige Stelle" in review and "teilweise richtig" in review
    assert "Die Notrufnummern sind bundesweit gleich." in review


def test_text_in_a_number_gap_is_asked_again_naming_the_gap(learner, quiz_url):
    response = learner.post(quiz_url, data=form(learner, quiz_url, **{
        "q-pr-notruf-g1": "110", "q-pr-notruf-g2": "hundertzwölf"}))
    assert response.status_code == 422
    block = block_of(response.get_data(as_text=True))
    assert "Lücke 2: Bitte geben Sie eine Zahl ein" in block
    assert 'aria-describedby="q-pr-notruf-error q-pr-notruf-number-hint" aria-invalid="true"' \
        ' value="hundertzwölf"' in block
    assert 'value="110"' in block  # what the learner typed stays


def test_a_gap_left_empty_is_asked_for_before_submitting(learner, quiz_url):
    fields = form(learner, quiz_url, **{"q-pr-notruf-g1": "110"})
    del fields["confirm_incomplete"]
    response = learner.post(quiz_url, data=fields)
    assert response.status_code == 422
    assert "Bitte füllen Sie jede Lücke aus." in block_of(response.get_data(as_text=True))


@pytest.mark.parametrize("fields", [
    {"q-pr-notruf-g3": "99"},  # a token no gap offers
    {"q-pr-notruf-g3": "o48b675bb3f"},  # an option id instead of a token
    {"q-pr-notruf-g1": ["110", "112"]},  # one gap twice
    {"q-pr-notruf-g1": "x" * 100_000},  # far too long
])
def test_forged_posts_get_4xx_and_change_nothing(learner, quiz_url, db_session, fields):
    response = learner.post(quiz_url, data=form(learner, quiz_url, **fields))
    assert 400 <= response.status_code < 500
    db_session.rollback()
    assert db_session.query(AttemptResult).count() == 0


def test_english_labels(learner, quiz_url):
    learner.set_cookie("lernmodul_lang", "en")
    block = block_of(learner.get(quiz_url).get_data(as_text=True))
    assert ">Gap 1 of 3<" in block and "Fill in the gaps in the text." in block


INLINE = """
::: question cloze id=gl-lueckencheck inline
Bedrohungsmanagement heißt erkennen, [[einschätzen]] und [[*entschärfen|eskalieren]].
:::
"""


def test_an_inline_cloze_is_a_self_check_in_the_text(app, client, make_user, login,
                                                     import_course, tmp_path) -> None:
    import shutil
    from pathlib import Path

    folder = tmp_path / "kurs"
    shutil.copytree(Path(__file__).parents[1] / "core" / "fixtures" / "sample-course", folder)
    unit = folder / "01-grundlagen.md"
    unit.write_text(unit.read_text() + INLINE)
    import_course(folder)
    make_user(("learner",), email="lea@example.org")
    assert login(client, "lea@example.org").status_code == 302
    post(client, f"{COURSE}/start", page=COURSE)
    url = f"{COURSE}/units/grundlagen"
    html = client.get(url).get_data(as_text=True)
    block = block_of(html, "gl-lueckencheck")
    assert ">Lücke 2 von 2<" in block
    wrong = token_of(block, "eskalieren")
    response = client.post(f"{url}/check/gl-lueckencheck", data={
        "csrf_token": csrf_token_from(html), "q-gl-lueckencheck-g1": "Einschätzen",
        "q-gl-lueckencheck-g2": wrong})
    assert response.status_code == 200
    review = response.get_data(as_text=True)
    assert "nicht richtig; Richtige Antwort:</span> entschärfen)" in review
    forged = client.post(f"{url}/check/gl-lueckencheck", data={
        "csrf_token": csrf_token_from(html), "q-gl-lueckencheck-g2": "7"})
    assert forged.status_code == 400
