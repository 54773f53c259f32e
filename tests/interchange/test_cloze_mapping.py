"""The cloze mapping, ready for the cloze type: gaps as QTI text entry and inline choice
interactions inside the text and back to [[…]] gaps; one gap as GIFT's missing word."""

from __future__ import annotations

from lernmodul.core.model import Question, QuestionType, Scoring
from lernmodul.interchange import import_qti
from lernmodul.interchange.cloze import Cloze, Gap, gap_markdown
from lernmodul.interchange.gift_export import _Question, cloze_gift
from lernmodul.interchange.qti_items import build_item

from .moodle_gift import read_gift
from .qti_structure import QTI, check_item

NOTRUF = Cloze((
    "<p>Bei akuter Gefahr rufen Sie die ", Gap("text", ("110",)),
    " an, bei einem Notfall die ", Gap("text", ("112", "eins eins zwei")),
    ". Beobachtungen gehen an die ", Gap("choice", ("zuständige Stelle", "Presse", "Nachbarschaft")),
    ". Stufen 0 bis ", Gap("number", value=3.0), " oder ", Gap("number", value=3.5, tolerance=0.5),
    ".</p>\n"))


def _question(scoring: Scoring = Scoring.ALL) -> Question:
    return Question(id="notruf-nummern", type=QuestionType.TEXT, stem_html="", points=2,
                    scoring=scoring, explanation_html="<p>Bundesweit gleich.</p>\n")


def test_gaps_become_interactions_in_the_text_and_pass_the_check() -> None:
    from lxml import etree

    data = build_item(_question(), cloze=NOTRUF)
    assert check_item(data) == []
    root = etree.fromstring(data)
    paragraph = root.find(f"{QTI}itemBody/{QTI}p")
    kinds = [etree.QName(e).localname for e in paragraph]
    assert kinds == ["textEntryInteraction", "textEntryInteraction", "inlineChoiceInteraction",
                     "textEntryInteraction", "textEntryInteraction"]
    assert paragraph.text == "Bei akuter Gefahr rufen Sie die "
    assert paragraph[0].tail == " an, bei einem Notfall die "
    declarations = {d.get("identifier"): d.get("baseType")
                    for d in root.iter(f"{QTI}responseDeclaration")}
    assert declarations == {"RESPONSE_1": "string", "RESPONSE_2": "string",
                            "RESPONSE_3": "identifier", "RESPONSE_4": "float",
                            "RESPONSE_5": "float"}
    assert root.find(f".//{QTI}and") is not None  # scoring=all: every gap right
    partial = etree.fromstring(build_item(_question(Scoring.PARTIAL), cloze=NOTRUF))
    assert len(partial.findall(f"{QTI}responseProcessing/{QTI}responseCondition")) == 5


def test_gaps_come_back_as_cloze_markdown() -> None:
    data = build_item(_question(), cloze=NOTRUF)
    result = import_qti({"items/notruf.xml": data})
    assert result.notes == ()
    [text] = result.files.values()
    assert ("::: question cloze id=notruf-nummern points=2\nBei akuter Gefahr rufen Sie die "
            "[[110]] an, bei einem Notfall die [[112|eins eins zwei]]. Beobachtungen gehen an "
            "die [[*zuständige Stelle|Presse|Nachbarschaft]]. Stufen 0 bis [[= 3]] oder "
            "[[= 3.5 ± 0.5]].\n\n> Bundesweit gleich.\n:::") in text
    partial = import_qti({"n.xml": build_item(_question(Scoring.PARTIAL), cloze=NOTRUF)})
    assert "id=notruf-nummern points=2 scoring=partial" in "".join(partial.files.values())


def test_gap_markdown_escapes_what_would_end_a_gap() -> None:
    assert gap_markdown(Gap("text", ("a|b", "c]]d"))) == "[[a\\|b|c]\\]d]]"
    assert gap_markdown(Gap("choice", ("x", "y"), right=1)) == "[[x|*y]]"


def test_one_gap_is_gifts_missing_word_and_more_are_left_out() -> None:
    notes: list = []
    writer = _Question(_question(), "de", notes)
    one = Cloze(("<p>Grant ist ", Gap("choice", ("begraben", "beigesetzt", "lebendig"), right=1),
                 " in Grants Grab.</p>"))
    gift = cloze_gift(one, "::grant::", writer)
    assert gift == "::grant::Grant ist {~begraben =beigesetzt ~lebendig####Bundesweit gleich.} " \
                   "in Grants Grab."
    moodle = read_gift(gift)
    assert moodle["qtype"] == "multichoice" and moodle["single"] == 1
    assert moodle["questiontext"] == "Grant ist _____ in Grants Grab."
    number = cloze_gift(Cloze(("<p>Stufe ", Gap("number", value=3.0, tolerance=0.5), ".</p>")),
                        "::n::", writer)
    assert read_gift(number)["tolerance"] == [0.5]
    assert cloze_gift(NOTRUF, "::x::", writer) is None
    assert "cloze with 5 gaps" in notes[-1].text
