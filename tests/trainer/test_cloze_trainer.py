"""Cloze questions on the trainer's pages: the draft preview, the version diff and the item
statistics (share right per gap), and a GIFT upload that becomes a cloze."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
QID = "pr-notruf"


def token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_draft_preview_shows_the_gaps_as_fields_without_the_key(trainer, sample_version):
    page = trainer.get("/trainer/courses/beispielkurs")
    response = trainer.post("/trainer/courses/beispielkurs/draft",
                            data={"csrf_token": token(page.get_data(as_text=True))})
    draft = response.headers["Location"]
    html = trainer.get(f"{draft}/preview?file=02-praxis.md").get_data(as_text=True)
    block = html[html.index(f'id="q-{QID}"'):]
    block = block[:block.index("</fieldset>")]
    assert ">Lücke 1 von 3<" in block and ">Lücke 3 von 3<" in block
    assert '<select name="q-pr-notruf-g3"' in block and ">Presse</option>" in block
    assert "110" not in block and "[[" not in block


def test_the_diff_names_a_changed_gap(trainer, import_course, tmp_path: Path):
    first = tmp_path / "v1"
    shutil.copytree(SAMPLE, first)
    import_course(first)
    second = tmp_path / "v2"
    shutil.copytree(SAMPLE, second)
    (second / "course.md").write_text((second / "course.md").read_text().replace(
        '"2026.1"', '"2026.2"'))
    unit = second / "02-praxis.md"
    unit.write_text(unit.read_text().replace("[[110]]", "[[110|Polizeinotruf]]"))
    import_course(second)
    html = trainer.get("/trainer/courses/beispielkurs/diff").get_data(as_text=True)
    assert "Lücken und ihre Antworten" in html and "Lückentext" in html
    assert "[1] 110 | [2] = 112" in html and "[1] 110 / Polizeinotruf | [2] = 112" in html


def test_item_statistics_show_the_share_right_per_gap(app, trainer, make_user,
                                                     sample_version) -> None:
    from lernmodul.db.models import CourseVersion, utcnow
    from lernmodul.services import learning
    from lernmodul.services.courses import CompiledCourses
    from lernmodul.web.database import get_database

    users = [make_user(email=f"cloze{n}@example.org") for n in range(5)]
    session = get_database(app).sessions()
    version = session.get(CourseVersion, sample_version)
    course = CompiledCourses().get(version, "media/")
    cloze = course.questions()[QID]
    right = next(o.id for o in cloze.gaps[2].options if o.is_correct)
    wrong = next(o.id for o in cloze.gaps[2].options if not o.is_correct)
    for n, user in enumerate(users):  # gap 1 always right, gap 2 for 4 of 5, gap 3 for 2
        enrolment = learning.start_course(session, user.id, version, utcnow())
        quiz = learning.start_attempt(session, enrolment=enrolment, course=course,
                                      unit_id="praxis", seed=n, now=utcnow())
        answers = {QID: {"1": "110", "2": "112" if n < 4 else "113",
                         "3": right if n < 2 else wrong}}
        learning.submit_attempt(session, quiz, course, answers, quiz.revision, utcnow())
    session.commit()
    session.close()
    html = trainer.get(f"/trainer/versions/{sample_version}/statistics").get_data(as_text=True)
    row = html[html.index(f'<span class="question-id">{QID}</span>'):]
    row = row[:row.index("</tr>")]
    shares = re.findall(r"<li>Lücke (\d): ([^<]+)</li>", row)
    assert shares == [("1", "100\xa0% richtig"), ("2", "80\xa0% richtig"),
                      ("3", "40\xa0% richtig")]
    assert "(Lückentext)" in row


def test_a_gift_upload_with_a_missing_word_becomes_a_cloze(trainer) -> None:
    page = trainer.get("/trainer/gift").get_data(as_text=True)
    gift = "Bei Gefahr rufen Sie die {=110 =Polizei} an.\n\nDie Farbe ist {1:MC:=rot~blau}.\n"
    response = trainer.post("/trainer/gift", data={
        "csrf_token": token(page), "language": "de",
        "file": (io.BytesIO(gift.encode()), "notruf.txt")}, content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "::: question cloze id=notruf-1" in html
    assert "Bei Gefahr rufen Sie die [[110|Polizei]] an." in html
    assert "Die Farbe ist [[*rot|blau]]." in html
