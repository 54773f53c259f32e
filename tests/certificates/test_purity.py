"""The certificate library stays a library: no web framework, database or CLI behind the import."""

from __future__ import annotations

import subprocess
import sys


def test_importing_certificates_pulls_in_no_framework_or_database() -> None:
    code = (
        "import sys, lernmodul.certificates as c\n"
        "c.render_pdf; c.sign_credential\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'click', 'werkzeug', 'jinja2', 'alembic'} "
        "or m.startswith(('lernmodul.web', 'lernmodul.db', 'lernmodul.services', 'lernmodul.content', "
        "'lernmodul.cli')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
