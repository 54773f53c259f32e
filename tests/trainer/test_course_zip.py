"""SECURITY D5 for course zips, and the round trip: import courses/ -> download a version as a
zip -> `lernmodul check` on the unpacked zip (0 errors) -> upload it again = the same sources."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from lernmodul.cli import main
from lernmodul.db.authoring import CourseDraft, DraftMedia
from lernmodul.db.learning import CourseMedia
from lernmodul.db.models import AuditLog, CourseVersion
from lernmodul.services import authoring
from lernmodul.services.course_zip import UploadError, ZipLimits, read_course_zip
from lernmodul.services.courses import import_courses

from .conftest import COURSES, PNG, SAMPLE, make_zip, sample_entries

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def stored(session):
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (CourseDraft, DraftMedia, CourseVersion, CourseMedia))


def unpack(data, target):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            path = target / info.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(archive.read(info))


def test_round_trip_of_the_shipped_courses(session, tmp_path):
    outcomes = import_courses(session, COURSES)
    session.commit()
    assert outcomes
    for outcome in outcomes:
        version = session.get(CourseVersion, outcome.version_id)
        data = authoring.export_version_zip(session, version)
        # the same version always gives the same bytes
        assert authoring.export_version_zip(session, version) == data
        unpack(data, tmp_path / "out")
        folder = tmp_path / "out" / version.course_id
        result = CliRunner().invoke(main, ["check", str(folder)])
        assert result.exit_code == 0, result.output
        assert " 0 error(s)" in result.output
        archive = read_course_zip(data)
        assert archive.folder == version.course_id
        assert archive.texts == {k: v for k, v in version.sources.items() if v is not None}
        # uploaded again as a draft: the same files
        imported = authoring.import_zip(session, data, publish=False, actor_id=None, now=NOW)
        assert imported.draft is not None and imported.draft.files == archive.texts
        assert imported.draft.base_version_id == version.id


def test_round_trip_keeps_images_and_publishes_again(session, sessions, sample_version):
    version = session.get(CourseVersion, sample_version)
    data = authoring.export_version_zip(session, version)
    archive = read_course_zip(data)
    assert archive.media == {"media/ampel.png": ("image/png",
                                                 (SAMPLE / "media" / "ampel.png").read_bytes())}
    # the same version again is refused; with a raised version it is a new one
    with pytest.raises(authoring.AuthoringError) as error:
        authoring.import_zip(session, data, publish=True, actor_id=None, now=NOW)
    assert error.value.code == "version_exists"
    texts = {f"k/{k}": v for k, v in archive.texts.items()}
    texts["k/course.md"] = texts["k/course.md"].replace('version: "2026.1"', 'version: "2026.5"')
    raised = make_zip({**texts, "k/media/ampel.png": archive.media["media/ampel.png"][1]})
    new = authoring.import_zip(session, raised, publish=True, actor_id=None, now=NOW).version
    assert new is not None and new.version == "2026.5"
    assert new.sources == {**version.sources, "course.md": texts["k/course.md"]}
    assert session.scalars(select(CourseMedia.content).where(
        CourseMedia.course_version_id == new.id)).all() == [archive.media["media/ampel.png"][1]]


def test_files_at_the_root_or_in_one_folder_and_other_files_ignored():
    in_folder = read_course_zip(make_zip(sample_entries("beispielkurs/")))
    at_root = read_course_zip(make_zip({**sample_entries(""), ".git/config": "x",
                                        "__MACOSX/._course.md": "x", "LICENSE": "MIT"}))
    assert in_folder.texts == at_root.texts
    assert set(at_root.texts) == {"course.md", "exam.md", "01-grundlagen.md", "02-praxis.md"}
    assert at_root.folder == "" and in_folder.folder == "beispielkurs"


def test_a_zip_with_errors_becomes_a_draft_but_is_not_published(session):
    entries = sample_entries("")
    entries["01-grundlagen.md"] = entries["01-grundlagen.md"].replace(b"- [x] Leakage", b"- [ ] Leakage", 1)
    data = make_zip(entries)
    with pytest.raises(authoring.AuthoringError) as error:
        authoring.import_zip(session, data, publish=True, actor_id=None, now=NOW)
    assert error.value.code == "has_errors" and error.value.diagnostics
    assert stored(session) == (0, 0, 0, 0)
    draft = authoring.import_zip(session, data, publish=False, actor_id=None, now=NOW).draft
    assert draft is not None and draft.course_id == "beispielkurs" and draft.base_version_id is None
    assert stored(session) == (1, 1, 0, 0)
    with pytest.raises(authoring.AuthoringError) as error:  # one open draft per course
        authoring.import_zip(session, data, publish=False, actor_id=None, now=NOW)
    assert error.value.code == "draft_exists"


SMALL = ZipLimits(max_archive_bytes=1_000_000, max_entries=20, max_total_bytes=300_000,
                  max_ratio=50)


def noise(size: int) -> bytes:
    """Bytes that do not compress (so that only the limit under test is reached)."""
    return random.Random(size).randbytes(size)


def bomb() -> bytes:
    return make_zip({"course.md": "---\nid: x\n---\n", "01-a.md": "a" * 250_000})


def two_entries_named(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.md", "---\nid: x\n---\n")
        archive.writestr(name, "eins")
        with pytest.warns(UserWarning):
            archive.writestr(name, "zwei")
    return buffer.getvalue()


def encrypted() -> bytes:
    data = bytearray(make_zip({"course.md": "---\nid: x\n---\n"}))
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x01  # the "encrypted" flag in the central directory
    return bytes(data)


BAD_ZIPS = {
    "zip_traversal": lambda: make_zip({"course.md": "x", "../../etc/cron.d/x.md": "x"}),
    "zip_absolute": lambda: make_zip({"course.md": "x", "/etc/passwd": "x"}),
    "zip_absolute_drive": lambda: make_zip({"course.md": "x", "C:/Windows/x.md": "x"}),
    "zip_backslash": lambda: make_zip({"course.md": "x", "media\\..\\..\\x.png": PNG}),
    "zip_symlink": lambda: make_zip({"course.md": "x", "media/a.png": "/etc/passwd"},
                                    symlinks=("media/a.png",)),
    "zip_duplicate": lambda: two_entries_named("01-a.md"),
    "zip_duplicate_case": lambda: make_zip({"course.md": "x", "01-a.md": "x", "01-A.md": "y"}),
    "zip_too_many_entries": lambda: make_zip({f"media/{i}.txt": "x" for i in range(21)}),
    "zip_too_much_data": lambda: make_zip({"course.md": "x", **{
        f"media/{i}.png": PNG + noise(90_000) for i in range(4)}}),
    "zip_ratio": bomb,
    "zip_too_large": lambda: b"PK" + b"\x00" * 1_000_000,
    "zip_encrypted": encrypted,
    "not_a_zip": lambda: b"%PDF-1.7 not a zip",
    "not_a_zip_truncated": lambda: make_zip(sample_entries(""))[:300],
    "zip_no_course": lambda: make_zip({"kurs/01-a.md": "x"}),
    "zip_bad_name": lambda: make_zip({"course.md": "x", "media/Ampel Grün.png": PNG}),
    "svg": lambda: make_zip({"course.md": "x", "media/logo.svg": "<svg><script/></svg>"}),
    "image_mismatch": lambda: make_zip({"course.md": "x", "media/a.png": "<html><script>"}),
    "not_utf8": lambda: make_zip({"course.md": "Gr\xfc\xdfe".encode("latin-1")}),
    "source_too_large": lambda: make_zip({"course.md": "x",
                                          "01-a.md": noise(2_200_000).hex()[:2_200_000]}),
}


@pytest.mark.parametrize("case", sorted(BAD_ZIPS))
def test_bad_zips_are_refused_and_nothing_is_stored(session, case):
    limits = ZipLimits() if case == "source_too_large" else SMALL
    with pytest.raises(UploadError) as error:
        authoring.import_zip(session, BAD_ZIPS[case](), publish=False, actor_id=None, now=NOW,
                             limits=limits)
    expected = {"zip_absolute_drive": "zip_absolute", "zip_duplicate_case": "zip_duplicate",
                "not_a_zip_truncated": "not_a_zip"}.get(case, case)
    assert error.value.code == expected
    assert stored(session) == (0, 0, 0, 0)
    assert session.scalar(select(func.count()).select_from(AuditLog)) == 0
