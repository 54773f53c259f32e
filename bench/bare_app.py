"""The ceiling for bench/http.py: a bare Flask route rendering a template of a given size.

Served by the same gunicorn settings as lernmodul, it shows what Flask + Jinja + gunicorn
cost on this machine without any of lernmodul's work (no database, no session, no course)."""

from __future__ import annotations

import os

from flask import Flask, render_template_string

PAGE = """<!doctype html><html lang="de"><head><title>{{ title }}</title></head>
<body><main>{% for p in paragraphs %}<p>{{ p }}</p>{% endfor %}</main></body></html>"""


def create_app() -> Flask:
    app = Flask(__name__)
    size = int(os.environ.get("BARE_PAGE_BYTES", "20000"))
    paragraph = "Bedrohungsmanagement schützt Menschen, bevor etwas passiert. " * 4
    paragraphs = [paragraph] * max(1, size // (len(paragraph.encode()) + 7))

    @app.route("/page")
    def page() -> str:
        return render_template_string(PAGE, title="Einheit", paragraphs=paragraphs)

    return app
