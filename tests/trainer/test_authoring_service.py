"""Authoring services on both databases: drafts from versions and skeletons, revisions (stale
forms), units added/removed/reordered with course.md kept byte for byte outside `units:`,
images, publishing (refused with errors or an existing version), and learners' versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lernmodul.db.authoring import CourseDraft, DraftMedia
from lernmodul.db.learning import CourseMedia
from lernmodul.db.models import AuditLog, CourseVersion
from lernmodul.services import authoring
from lernmodul.services.authoring import AuthoringError
from lernmodul.services.course_zip import UploadError

from .conftest import GIF, JPEG, PNG, WEBP

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def actions(session):
    return [a for (a,) in session.execute(select(AuditLog.action).order_by(AuditLog.id))]


@pytest.fixture
def draft(session, sample_version):
    draft, created = authoring.open_draft(session, "beispielkurs", actor_id=None, now=NOW)
    assert created
    session.commit()
    return draft


def test_a_draft_copies_the_newest_version_with_its_images(session, sample_version, draft):
    version = session.get(CourseVersion, sample_version)
    assert draft.base_version_id == version.id
    assert draft.files == {k: v for k, v in version.sources.items() if v is not None}
    assert "README.md" not in draft.files and "_entwurf.md" not in draft.files
    assert authoring.media_paths(session, draft) == ["media/ampel.png"]
    assert session.scalar(select(DraftMedia.content)) == session.scalar(select(CourseMedia.content))
    # opening again gives the same draft: one open draft per course
    again, created = authoring.open_draft(session, "beispielkurs", actor_id=None, now=NOW)
    assert (again.id, created) == (draft.id, False)
    assert actions(session) == ["draft.create"]
    with pytest.raises(AuthoringError) as error:
        authoring.open_draft(session, "no-such-course", actor_id=None, now=NOW)
    assert error.value.code == "no_course"


def test_saving_needs_the_current_revision(session, draft):
    text = draft.files["02-praxis.md"]
    assert authoring.save_file(session, draft, "02-praxis.md", text.replace("\n", "\r\n") + "Neu.\r\n",
                               1, actor_id=None, now=NOW)
    session.commit()
    assert draft.revision == 2
    assert draft.files["02-praxis.md"] == text + "Neu.\n"  # CRLF from the browser stored as LF
    with pytest.raises(AuthoringError) as error:  # a form of revision 1 (another tab)
        authoring.save_file(session, draft, "02-praxis.md", "alt", 1, actor_id=None, now=NOW)
    assert error.value.code == "stale"
    session.rollback()
    assert session.get(CourseDraft, draft.id).files["02-praxis.md"] == text + "Neu.\n"
    # unchanged text: no new revision, no audit row
    assert not authoring.save_file(session, draft, "02-praxis.md", text + "Neu.\n", 2,
                                   actor_id=None, now=NOW)
    assert draft.revision == 2
    with pytest.raises(AuthoringError) as error:
        authoring.save_file(session, draft, "../etc/passwd", "x", 2, actor_id=None, now=NOW)
    assert error.value.code == "no_file"
    assert actions(session) == ["draft.create", "draft.save_file"]


def test_a_stale_revision_loses_against_a_concurrent_save(sessions, session, draft):
    draft_id = draft.id
    session.rollback()
    first, second = sessions(), sessions()
    try:
        # b: the draft as another request read it, before the first save
        b = authoring.get_draft(second, draft_id)
        second.expunge(b)
        second.rollback()
        a = authoring.get_draft(first, draft_id)
        authoring.save_file(first, a, "course.md", a.files["course.md"] + "A\n", 1,
                            actor_id=None, now=NOW)
        first.commit()
        second.add(b)  # still revision 1 in memory: only the conditional UPDATE can tell
        with pytest.raises(AuthoringError) as error:
            authoring.save_file(second, b, "course.md", b.files["course.md"] + "B\n", 1,
                                actor_id=None, now=NOW)
        assert error.value.code == "stale"
        second.rollback()
        assert authoring.get_draft(second, draft_id).files["course.md"].endswith("A\n")
    finally:
        first.close()
        second.close()


def outside_units(text):
    """course.md without its `units:` block."""
    start, block, end = authoring._front_matter(text)
    span = authoring._key_span(block, "units")
    return text[:start] + block[:span[0]] + block[span[1]:] + text[end:]


def test_adding_a_unit_appends_it_and_keeps_course_md_otherwise(session, draft):
    before = draft.files["course.md"]
    name = authoring.add_unit(session, draft, "Fälle & Übungen", 1, actor_id=None, now=NOW)
    assert name == "03-faelle-uebungen.md"
    assert "id: faelle-uebungen\n" in draft.files[name]
    assert authoring.listed_units(draft.files["course.md"]) == [
        "01-grundlagen.md", "02-praxis.md", "03-faelle-uebungen.md"]
    assert outside_units(draft.files["course.md"]) == outside_units(before)
    result = authoring.compile_draft(session, draft)
    assert result.ok, [d.format() for d in result.errors]
    assert [u.id for u in result.course.units] == ["grundlagen", "praxis", "faelle-uebungen"]
    # the same title again: a new id and file
    assert authoring.add_unit(session, draft, "Fälle & Übungen", 2, actor_id=None,
                              now=NOW) == "04-faelle-uebungen-2.md"
    with pytest.raises(AuthoringError) as error:
        authoring.add_unit(session, draft, "   ", 3, actor_id=None, now=NOW)
    assert error.value.code == "title_required"


def test_moving_and_removing_units_rewrite_only_the_units_list(session, draft):
    before = draft.files["course.md"]
    assert authoring.move_unit(session, draft, "02-praxis.md", -1, 1, actor_id=None, now=NOW)
    assert [u.name for u in authoring.unit_files(draft.files)] == ["02-praxis.md",
                                                                   "01-grundlagen.md"]
    assert outside_units(draft.files["course.md"]) == outside_units(before)
    assert authoring.compile_draft(session, draft).course.units[0].id == "praxis"
    # first already: nothing to do, no new revision
    assert not authoring.move_unit(session, draft, "02-praxis.md", -1, 2, actor_id=None, now=NOW)
    assert draft.revision == 2
    authoring.remove_unit(session, draft, "01-grundlagen.md", 2, actor_id=None, now=NOW)
    assert "01-grundlagen.md" not in draft.files
    assert authoring.listed_units(draft.files["course.md"]) == ["02-praxis.md"]
    assert outside_units(draft.files["course.md"]) == outside_units(before)
    with pytest.raises(AuthoringError):
        authoring.remove_unit(session, draft, "course.md", 3, actor_id=None, now=NOW)
    assert actions(session)[1:] == ["draft.move_unit", "draft.remove_unit"]


def test_moving_writes_a_units_list_when_course_md_had_none(session, draft):
    text = draft.files["course.md"].replace("units:\n  - 01-grundlagen\n  - 02-praxis.md\n", "")
    authoring.save_file(session, draft, "course.md", text, 1, actor_id=None, now=NOW)
    assert authoring.listed_units(draft.files["course.md"]) is None
    authoring.move_unit(session, draft, "01-grundlagen.md", 1, 2, actor_id=None, now=NOW)
    assert draft.files["course.md"] == text.replace(
        "---\n\nDieser", "units:\n  - 02-praxis.md\n  - 01-grundlagen.md\n---\n\nDieser")


def test_flow_style_and_short_entries_are_rewritten_in_place():
    text = "---\nid: k\nunits: [a, b]\ntitle: T\n---\nText\n"
    assert authoring._write_units(text, ["b.md", "a.md"]) == \
        "---\nid: k\nunits:\n  - b\n  - a\ntitle: T\n---\nText\n"


def test_publishing_is_refused_with_errors_and_with_an_existing_version(session, draft):
    broken = draft.files["01-grundlagen.md"].replace("- [x]", "- [ ]", 1)
    authoring.save_file(session, draft, "01-grundlagen.md", broken, 1, actor_id=None, now=NOW)
    with pytest.raises(AuthoringError) as error:
        authoring.publish_draft(session, draft, 2, actor_id=None, now=NOW)
    assert error.value.code == "has_errors"
    assert error.value.diagnostics and error.value.diagnostics[0].path == "01-grundlagen.md"
    authoring.save_file(session, draft, "01-grundlagen.md",
                        broken.replace("- [ ]", "- [x]", 1), 2, actor_id=None, now=NOW)
    with pytest.raises(AuthoringError) as error:
        authoring.publish_draft(session, draft, 3, actor_id=None, now=NOW)
    assert error.value.code == "version_exists"
    assert error.value.details == {"version": "2026.1", "suggestion": "2026.2"}
    session.commit()
    assert count(session, CourseVersion) == 1


def test_publishing_creates_an_immutable_version_and_closes_the_draft(session, draft):
    authoring.set_version(session, draft, "2026.2", 1, actor_id=None, now=NOW)
    assert 'version: "2026.2"\n' in draft.files["course.md"]
    authoring.save_file(session, draft, "01-grundlagen.md",
                        draft.files["01-grundlagen.md"] + "\nNeuer Absatz.\n", 2,
                        actor_id=None, now=NOW)
    files = dict(draft.files)
    version = authoring.publish_draft(session, draft, 3, actor_id=None, now=NOW + timedelta(1))
    session.commit()
    assert (version.course_id, version.version) == ("beispielkurs", "2026.2")
    assert {k: v for k, v in version.sources.items() if v is not None} == files
    assert version.sources["media/ampel.png"] is None
    assert session.scalars(select(CourseMedia.path).where(
        CourseMedia.course_version_id == version.id)).all() == ["media/ampel.png"]
    assert count(session, CourseDraft) == 0 and count(session, DraftMedia) == 0
    assert actions(session)[-1] == "course.publish"
    assert authoring.find_draft(session, "beispielkurs") is None


def test_a_changed_course_id_is_refused(session, draft):
    text = draft.files["course.md"].replace("id: beispielkurs", "id: anderer-kurs")
    authoring.save_file(session, draft, "course.md", text, 1, actor_id=None, now=NOW)
    authoring.set_version(session, draft, "9", 2, actor_id=None, now=NOW)
    with pytest.raises(AuthoringError) as error:
        authoring.publish_draft(session, draft, 3, actor_id=None, now=NOW)
    assert error.value.code == "id_changed"


def test_a_learner_keeps_the_version_they_started_and_newcomers_get_the_new_one(
        session, draft, make_user):
    from lernmodul.services import learning
    from lernmodul.services.courses import find_latest_version

    early, late = make_user(("learner",)), make_user(("learner",))  # before the session writes
    old = session.get(CourseVersion, draft.base_version_id)
    learning.start_course(session, early.id, old, NOW)
    authoring.set_version(session, draft, "2026.2", 1, actor_id=None, now=NOW)
    new = authoring.publish_draft(session, draft, 2, actor_id=None, now=NOW)
    session.commit()
    _enrolment, taken, _rows = learning.find_enrolment_and_version(session, early.id,
                                                                   "beispielkurs")
    assert taken.id == old.id
    latest = find_latest_version(session, "beispielkurs")
    assert latest.id == new.id
    learning.start_course(session, late.id, latest, NOW)
    _enrolment, taken, _rows = learning.find_enrolment_and_version(session, late.id,
                                                                   "beispielkurs")
    assert taken.id == new.id


def test_a_new_course_skeleton_compiles_and_publishes(session):
    draft = authoring.create_course(session, "datenschutz", "Datenschutz: Grundlagen",
                                    actor_id=None, now=NOW)
    result = authoring.compile_draft(session, draft)
    assert result.ok, [d.format() for d in result.diagnostics]
    assert result.course.title == "Datenschutz: Grundlagen"
    version = authoring.publish_draft(session, draft, 1, actor_id=None, now=NOW)
    assert (version.course_id, version.version) == ("datenschutz", "2026.1")
    for course_id, code in (("Datenschutz", "bad_course_id"), ("", "bad_course_id"),
                            ("datenschutz", "course_exists")):
        with pytest.raises(AuthoringError) as error:
            authoring.create_course(session, course_id, "T", actor_id=None, now=NOW)
        assert error.value.code == code


def test_discarding_deletes_the_draft_and_its_images(session, draft):
    authoring.discard_draft(session, draft, 1, actor_id=None, now=NOW)
    session.commit()
    assert count(session, CourseDraft) == 0 and count(session, DraftMedia) == 0
    assert actions(session) == ["draft.create", "draft.discard"]


@pytest.mark.parametrize("name, data", [("bild.png", PNG), ("foto.JPG", JPEG),
                                        ("foto.jpeg", JPEG), ("anim.gif", GIF),
                                        ("neu.webp", WEBP)])
def test_images_are_stored_under_a_generated_name(session, draft, name, data):
    path = authoring.add_media(session, draft, name, data, 1, actor_id=None, now=NOW)
    extension = name.rsplit(".", 1)[1].lower()
    assert path.startswith("media/") and path.endswith("." + extension)
    assert name.split(".")[0] not in path
    # the same image again: the same name, stored once
    assert authoring.add_media(session, draft, "anders." + extension, data, 2, actor_id=None,
                               now=NOW) == path
    assert count(session, DraftMedia) == 2  # ampel.png and this one
    text = draft.files["02-praxis.md"] + f"\n![Ein Bild]({path})\n"
    authoring.save_file(session, draft, "02-praxis.md", text, 3, actor_id=None, now=NOW)
    assert authoring.compile_draft(session, draft).ok


@pytest.mark.parametrize("name, data, code", [
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
     "svg"),
    ("seite.png", b"<html><script>alert(1)</script></html>", "image_mismatch"),
    ("bild.png", JPEG, "image_mismatch"),
    ("bild.gif", PNG, "image_mismatch"),
    ("programm.exe", PNG, "image_type"),
    ("ohne-endung", PNG, "image_type"),
    ("leer.png", b"", "empty"),
    ("riesig.png", PNG + b"\x00" * (5 * 1024 * 1024), "image_too_large"),
])
def test_bad_images_are_refused_and_nothing_is_stored(session, draft, name, data, code):
    with pytest.raises(UploadError) as error:
        authoring.add_media(session, draft, name, data, 1, actor_id=None, now=NOW)
    assert error.value.code == code
    assert count(session, DraftMedia) == 1 and draft.revision == 1


def test_versions_are_suggested_from_the_last_number():
    assert authoring.suggest_version("2026.1", {"2026.1"}) == "2026.2"
    assert authoring.suggest_version("2026.1", {"2026.1", "2026.2"}) == "2026.3"
    assert authoring.suggest_version("v9-beta", set()) == "v10-beta"
    assert authoring.suggest_version("erste", set()) == "erste.1"


def test_compiled_courses_tell_versions_of_different_databases_apart(session, draft):
    """A process that serves one database after another (the test suite) must not reuse a
    course compiled for another database's version with the same id."""
    from lernmodul.services.courses import CompiledCourses

    files = dict(draft.files)
    other = {**files, "02-praxis.md": files["02-praxis.md"].replace("title: Praxis",
                                                                     "title: Anders")}
    cache = CompiledCourses()
    first = CourseVersion(id=2, course_id="beispielkurs", version="2026.2", title="T",
                          sources={**files, "media/ampel.png": None}, created_at=NOW)
    second = CourseVersion(id=2, course_id="beispielkurs", version="2026.2", title="T",
                           sources={**other, "media/ampel.png": None},
                           created_at=NOW + timedelta(seconds=1))
    assert cache.get(first, "/m/").unit("praxis").title == "Praxis"
    assert cache.get(second, "/m/").unit("praxis").title == "Anders"
    assert cache.get(first, "/m/") is cache.get(first, "/m/")
