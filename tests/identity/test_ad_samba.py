"""The Active Directory preset against a real Samba AD DC (see ad_tree.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from lernmodul.db.models import utcnow
from lernmodul.identity.ldap import DirectorySettings
from lernmodul.identity.ldap.sync import report_lines, sync_directory

from .ad_tree import ad_config, samba  # noqa: F401 - the fixture


def test_explore(samba, db_session, app):
    settings = DirectorySettings.from_config(ad_config(samba))
    result = sync_directory(db_session, settings, now=utcnow())
    print("\n".join(l for l in report_lines(result, dry_run=False) if not l.startswith("created: CN=J")))
    assert 0
