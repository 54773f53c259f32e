"""The layout file: found in the checkout or the wheel, checked with clear errors, and really used."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.pdfbase.pdfmetrics import stringWidth

from lernmodul.certificates import LayoutError, default_layout_path, fit_text, load_layout, render_pdf
from lernmodul.certificates import layout as layout_module
from lernmodul.certificates.pdf import font_name

from .conftest import make_data, pdf_lines, pdf_reader

REPO = Path(__file__).resolve().parents[2]


def test_default_layout_is_the_checkouts_template() -> None:
    assert default_layout_path() == REPO / "templates" / "certificate" / "layout.toml"
    layout = load_layout()
    assert set(layout.labels) == {"de", "en"}
    assert layout.labels["de"]["valid_until"] == "Gültig bis"
    assert layout.labels["en"]["no_expiry"] == "no expiry date"


def test_installed_package_finds_the_copy_in_its_data_folder(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site-packages" / "lernmodul" / "certificates"
    package.mkdir(parents=True)
    shipped = tmp_path / "site-packages" / "lernmodul" / "_data" / "templates" / "certificate"
    shipped.mkdir(parents=True)
    (shipped / "layout.toml").write_text("# shipped copy\n")
    monkeypatch.setattr(layout_module, "PACKAGE_DIR", package)
    assert default_layout_path() == shipped / "layout.toml"
    (shipped / "layout.toml").unlink()
    with pytest.raises(LayoutError, match=r"no certificate/layout\.toml"):
        default_layout_path()


def _write_variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (REPO / "templates" / "certificate" / "layout.toml").read_text("utf-8")
    assert old in text, old
    path = tmp_path / "layout.toml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("margin_mm = 22", "margin_mm = 22\nmargins = 3", r"\[page\]: unknown key\(s\) margins"),
    ("margin_mm = 22", "margin_mm = 0", r"\[page\]: margin_mm = 0 is outside"),
    ('accent = "#17406d"', 'accent = "blue"', r"\[colours\]: accent = 'blue' is not a colour"),
    ('colour = "accent"\nmax_lines = 1', 'colour = "acent"\nmax_lines = 1',
     r"\[title\]: colour = 'acent' is neither #rrggbb nor one of accent, line, muted, text"),
    ('font = "bold"', 'font = "heavy"', r"\[title\]: font must be"),
    ("size = 30", 'size = "30"', r"\[title\]: size must be a number"),
    ('path = ""', 'path = "emblem.png"', r"\[logo\]: path: file not found"),
    ('verify = "Verify at:"', "", r"\[labels.en\]: missing text verify"),
    ('issued_on = "Ausgestellt am {date}"', 'issued_on = "Ausgestellt am {datum}"',
     r"\[labels.de\]: issued_on: unknown placeholder\(s\) \{datum\}; allowed: \{date\}"),
    ('minutes = "{minutes} Minuten"', 'minutes = "{minutes Minuten"', r"\[labels.de\]: minutes: "),
    ('"Oktober", "November", "Dezember"]', '"Oktober", "November"]', r"months must be a list of the 12"),
    ("[verification]", "[verifcation]", r"unknown section\(s\) verifcation"),
    ("[details]", "[details_]", r"unknown section"),
    ("[page]", "[page", r"not valid TOML"),
])
def test_mistakes_in_the_layout_file_are_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _write_variant(tmp_path, old, new)
    with pytest.raises(LayoutError, match=message) as error:
        load_layout(path)
    assert str(path) in str(error.value)


def test_missing_layout_file_is_a_layout_error(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="cannot read"):
        load_layout(tmp_path / "nope.toml")


def test_an_authority_restyles_labels_colours_and_logo_without_code(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (120, 60), (200, 30, 30)).save(tmp_path / "emblem.png")
    path = _write_variant(tmp_path, 'header = ""\nintro = "Hiermit',
                          'header = "Landesamt für Fortbildung"\nintro = "Hiermit')
    text = path.read_text("utf-8").replace('path = ""', 'path = "emblem.png"')
    text = text.replace('accent = "#17406d"', 'accent = "#7a1f2b"')
    path.write_text(text, "utf-8")
    layout = load_layout(path)
    assert layout.logo is not None and layout.logo.path == tmp_path / "emblem.png"
    pdf = render_pdf(make_data(), layout=layout)
    assert "Landesamt für Fortbildung" in pdf_lines(pdf)
    page = pdf_reader(pdf).pages[0]
    images = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
    assert any(image.get("/Subtype") == "/Image" for image in images)
    content = page.get_contents().get_data()
    assert b".478431 .121569 .168627 rg" in content  # the new accent #7a1f2b fills the title
    assert b".090196 .25098 .427451 rg" not in content  # the default accent #17406d is gone


def test_an_edited_layout_file_is_read_again(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'intro = "This is to certify that"', 'intro = "We certify that"')
    assert load_layout(path).labels["en"]["intro"] == "We certify that"
    text = path.read_text("utf-8").replace("We certify that", "It is hereby certified that")
    path.write_text(text + "\n# edited\n", "utf-8")
    assert load_layout(path).labels["en"]["intro"] == "It is hereby certified that"


WORDS = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x24F),
                min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(words=st.lists(WORDS, min_size=1, max_size=12), separators=st.lists(st.sampled_from([" ", "-"]),
                                                                             min_size=12, max_size=12),
       width=st.floats(min_value=60, max_value=700), lines=st.integers(min_value=1, max_value=3))
def test_fitted_text_is_never_wider_than_allowed(words: list[str], separators: list[str], width: float,
                                                 lines: int) -> None:
    text = "".join(word + separator for word, separator in zip(words, separators, strict=False)).strip(" -")
    font = font_name(load_layout().fonts["bold"])
    fitted = fit_text(text, font, 28, 16, width, lines)
    assert 1 <= len(fitted.lines) <= lines
    assert fitted.size <= 28
    for line in fitted.lines:
        assert stringWidth(line, font, fitted.size) <= width + 1e-6
    assert "".join("".join(fitted.lines).split()) == "".join(text.split())


def test_more_lines_allowed_than_the_text_has_pieces() -> None:
    font = font_name(load_layout().fonts["bold"])
    fitted = fit_text("A AAAAA", font, 28, 16, 60, 3)
    assert fitted.lines == ("A", "AAAAA")
    assert all(stringWidth(line, font, fitted.size) <= 60 for line in fitted.lines)


def test_text_that_fits_keeps_its_size_and_line() -> None:
    font = font_name(load_layout().fonts["bold"])
    fitted = fit_text("Zofia Łukasiewicz", font, 27, 16, 700, 2)
    assert fitted.lines == ("Zofia Łukasiewicz",) and fitted.size == 27


def test_text_shrinks_before_it_wraps_and_wraps_before_going_below_the_minimum() -> None:
    font = font_name(load_layout().fonts["bold"])
    text = "Hohenzollern-Sigmaringen Schwarzenberg"
    natural = stringWidth(text, font, 20)
    shrunk = fit_text(text, font, 20, 15, natural * 0.9, 2)
    assert len(shrunk.lines) == 1 and 15 <= shrunk.size < 20
    wrapped = fit_text(text, font, 20, 15, natural * 0.6, 2)
    assert wrapped.lines == ("Hohenzollern-Sigmaringen", "Schwarzenberg") and wrapped.size >= 15
