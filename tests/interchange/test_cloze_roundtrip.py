"""Cloze questions of a compiled course through QTI (text entry and inline choice in the
text) and GIFT (one gap: the missing-word form) and back: the same question compiles."""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from lernmodul.core.gift import convert_gift, minimal_course_md
from lernmodul.core.model import Course, Question
from lernmodul.interchange import export_gift, export_qti, import_qti

from .compare import compile_files, signature
from .moodle_gift import read_gift
from .qti_structure import QTI, check_item

UNIT = """---
id: luecken
title: Lücken
quiz:
  pass_mark: 0.5
---

# Lücken

::: question cloze id=notruf scoring=partial points=3
Bei akuter Gefahr rufen Sie die Polizei unter [[110|eins eins null]], einen Rettungswagen
unter [[= 112]]. Stufen gehen bis [[= 3,5 ± 0,5]]; Beobachtungen melden Sie an die
[[*zuständige Stelle|Presse|Nachbarschaft]].

> Die Notrufnummern sind bundesweit gleich.
:::

::: question cloze id=wahl
Grant ist [[begraben|*beigesetzt|lebendig]] in Grants Grab.
:::

::: question cloze id=wort
Das Durchsickern von Absichten heißt [[Leakage]].
:::

::: question cloze id=zahl
Es gibt [[= 4]] Schritte.
:::
"""


def _course() -> Course:
    return compile_files({"course.md": minimal_course_md("luecken", "Lücken"),
                          "01-luecken.md": UNIT})


def _qti_back(course: Course) -> Course:
    result = import_qti(export_qti(course).data, name="paket.zip")
    assert result.notes == ()
    files = dict(result.files)
    files["course.md"] = minimal_course_md("zurueck", "Zurück")
    return compile_files(files)


def test_every_cloze_comes_back_the_same_through_qti() -> None:
    course = _course()
    original = course.questions()
    assert {q.type.value for q in original.values()} == {"cloze"}
    back = _qti_back(course).questions()
    assert {q: signature(x) for q, x in back.items()} == \
           {q: signature(x) for q, x in original.items()}


def test_gaps_are_interactions_in_the_exported_item() -> None:
    export = export_qti(_course())
    assert export.notes == ()
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    [name] = [n for n in archive.namelist() if n.startswith("items/") and "notruf" in n]
    data = archive.read(name)
    assert check_item(data) == []
    root = etree.fromstring(data)
    kinds = [etree.QName(e).localname for e in root.iter(f"{QTI}textEntryInteraction",
                                                          f"{QTI}inlineChoiceInteraction")]
    assert kinds == ["textEntryInteraction", "textEntryInteraction", "textEntryInteraction",
                     "inlineChoiceInteraction"]
    choices = [c.text for c in root.iter(f"{QTI}inlineChoice")]
    assert choices == ["zuständige Stelle", "Presse", "Nachbarschaft"]


def _gift_back(course: Course) -> tuple[dict[str, Question], list[str]]:
    exported = export_gift(course)
    result = convert_gift(exported.text, unit_id="gift", language=course.language,
                          path="export.gift")
    assert not result.errors, [d.format() for d in result.errors]
    files = dict(result.files)
    files["course.md"] = minimal_course_md("zurueck", "Zurück", language=course.language)
    return compile_files(files).questions(), [n.text for n in exported.notes]


def test_one_gap_goes_through_gift_as_missing_word_and_comes_back() -> None:
    course = _course()
    back, notes = _gift_back(course)
    original = course.questions()
    assert set(back) == {"wahl", "wort", "zahl"}  # notruf has four gaps: left out, named
    assert any("notruf" in n or "4 gaps" in n for n in notes), notes
    for qid in back:
        assert signature(back[qid]) == signature(original[qid]), qid


def test_the_gift_text_of_a_one_gap_cloze() -> None:
    text = export_gift(_course()).text
    assert "Grant ist {~begraben =beigesetzt ~lebendig} in Grants Grab." in text
    assert "Das Durchsickern von Absichten heißt {=Leakage}." in text
    assert "Es gibt {#4} Schritte." in text
    moodle = read_gift("::wort::Das Durchsickern von Absichten heißt {=Leakage}.")
    assert moodle["qtype"] == "shortanswer"  # Moodle reads it as missing word
    assert str(moodle["questiontext"]).startswith("Das Durchsickern von Absichten heißt _____")
