"""Flask-Babel: German by default, English selectable; catalogues compiled on start.

The `.po` files under `translations/` are the source; the `.mo` files are build
products (git-ignored). `compile_catalogues` writes them next to the `.po` files when
they are missing or older, or into the instance folder when the package is read-only.
Source strings are English. After changing strings, from the checkout's root:

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs='.* .venv' \
        --no-location --sort-output -o /tmp/messages.pot .
    .venv/bin/pybabel update -i /tmp/messages.pot -d src/lernmodul/web/translations \
        --no-fuzzy-matching --ignore-obsolete --width 100

then fill in the empty German msgstr in translations/de (tests/app/test_i18n.py checks
that every message is translated and keeps its %(placeholders)s).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, request
from flask_babel import Babel, get_translations
from flask_login import current_user

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"

babel = Babel()


def init_app(app: Flask) -> None:
    directory = compile_catalogues(TRANSLATIONS_DIR, Path(app.instance_path) / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    babel.init_app(app, locale_selector=select_locale)
    # Templates look translations up once per request, not once per string (Flask-Babel's
    # own callables resolve domain, locale and catalogue again for every message).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def _request_translations() -> Any:
    translations = g.get("lernmodul_translations")
    if translations is None:
        translations = g.lernmodul_translations = get_translations()
    return translations


def select_locale() -> str:
    """The language cookie, else the user's saved choice, else German."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(current_app.config["LANGUAGE_COOKIE_NAME"])
    if chosen in languages:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def compile_catalogues(source: Path, fallback: Path) -> Path:
    """Compiles every stale `.po` under `source`; returns the directory holding the `.mo`."""
    try:
        _compile_into(source, source)
        return source
    except OSError:
        _compile_into(source, fallback)
        return fallback


def _compile_into(source: Path, target: Path) -> None:
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.is_file() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as handle:
            catalogue = read_po(handle, locale=po_path.parts[-3])
        # Write aside and rename: workers starting together never read half a file.
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalogue, use_fuzzy=False)
            os.replace(tmp, mo_path)
            # Same timestamp as the source: a later edit of the .po makes it stale again.
            source_ns = po_path.stat().st_mtime_ns
            os.utime(mo_path, ns=(source_ns, source_ns))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
