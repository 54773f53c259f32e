"""The directory sync at city scale: 10,000 people in 60 org units (and an HR group) loaded
with slapadd into a slapd this script starts on a free port, synced into an empty database
and again unchanged, on SQLite and (with --postgres URL, or LERNMODUL_TEST_POSTGRES) on
PostgreSQL. The reference is a plain ldap3 paged search of the same entries and attributes
in the same run: each of three unchanged syncs runs right after one, and the ratio is the
median of the three pairs. The goal is the unchanged sync within 2x of that search.

    .venv/bin/python bench/directory.py [--entries 10000] [--postgres URL]

The last line holds name=value pairs (seconds, ratios)."""

from __future__ import annotations

import sys

# bench/http.py must not shadow the standard library's `http` package for this script
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from ldap3 import SUBTREE
from sqlalchemy.engine import make_url

from lernmodul.db import migrate
from lernmodul.db.engine import make_engine, make_session_factory
from lernmodul.db.models import utcnow
from lernmodul.identity.ldap import DirectorySettings
from lernmodul.identity.ldap.client import service_connection
from lernmodul.identity.ldap.sync import apply_snapshot, read_directory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "identity"))
from slapd import MISSING, Slapd, is_installed

BASE = "dc=bench,dc=example"
SERVICE = f"cn=sync,{BASE}"
SECRET = "bench-sync-secret"
DEZERNATE, AEMTER = 6, 10


def tree(entries: int) -> str:
    parts = [f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Bench\ndc: bench\n",
             f"dn: {SERVICE}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
             f"cn: sync\nuserPassword: {SECRET}\n",
             f"dn: ou=Stadtverwaltung,{BASE}\nobjectClass: organizationalUnit\nou: Stadtverwaltung\n"]
    units = []
    for d in range(1, DEZERNATE + 1):
        dez = f"ou=Dezernat {d},ou=Stadtverwaltung,{BASE}"
        parts.append(f"dn: {dez}\nobjectClass: organizationalUnit\nou: Dezernat {d}\n")
        for a in range(1, AEMTER + 1):
            unit = f"ou=Amt {d}.{a} Bürgerdienste,{dez}"
            parts.append(f"dn: {unit}\nobjectClass: organizationalUnit\nou: Amt {d}.{a} Bürgerdienste\n")
            units.append(unit)
    hr = []
    for n in range(entries):
        dn = f"uid=p{n:05d},{units[n % len(units)]}"
        parts.append(f"dn: {dn}\nobjectClass: inetOrgPerson\nuid: p{n:05d}\ncn: Jörg Müller-{n}\n"
                     f"sn: Müller-{n}\ndisplayName: Jörg Müller-{n}\nmail: p{n:05d}@bench.example\n"
                     f"employeeNumber: {100000 + n}\n")
        if n % 100 == 0:
            hr.append(dn)
    parts.append(f"dn: cn=lm-hr,{BASE}\nobjectClass: groupOfNames\ncn: lm-hr\n"
                 + "".join(f"member: {dn}\n" for dn in hr))
    return "\n".join(parts) + "\n"


def bare_search(settings: DirectorySettings) -> tuple[float, int]:
    start = time.perf_counter()
    with service_connection(settings) as connection:
        found = sum(1 for item in connection.extend.standard.paged_search(
            settings.base_dn, settings.user_filter, search_scope=SUBTREE, attributes=settings.attributes,
            paged_size=settings.page_size, generator=True) if item.get("type") == "searchResEntry")
    return time.perf_counter() - start, found


def sync_once(sessions, settings: DirectorySettings) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    snapshot = read_directory(settings)
    with sessions.begin() as session:
        report = apply_snapshot(session, settings, snapshot, now=utcnow()).report
    took = time.perf_counter() - start
    counts = (len(report.created), len(report.updated), len(report.deactivated))
    return took, "{} created, {} updated, {} deactivated".format(*counts)


def measure(url: str, settings: DirectorySettings, label: str, entries: int) -> dict[str, float]:
    """The first sync, then three unchanged ones, each right after a bare search: on a busy
    machine the pairs see the same load, so the ratio is the median of the three pairs'."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    first, first_text = sync_once(sessions, settings)
    assert first_text == f"{entries} created, 0 updated, 0 deactivated", first_text
    pairs = [(bare_search(settings)[0], *sync_once(sessions, settings)) for _ in range(3)]
    engine.dispose()
    for _search, _took, again_text in pairs:
        assert again_text == "0 created, 0 updated, 0 deactivated", again_text
    again = min(took for _search, took, _text in pairs)
    ratio = statistics.median(took / search for search, took, _text in pairs)
    print(f"{label}: first sync {first:.2f} s ({first_text}), unchanged {again:.2f} s "
          f"(best of 3; {again_text}), {ratio:.2f} times the search just before it (median)")
    return {f"{label}_first_s": first, f"{label}_again_s": again, f"{label}_ratio_again": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("LERNMODUL_TEST_POSTGRES"))
    args = parser.parse_args()
    if not is_installed():
        sys.exit(MISSING)
    with tempfile.TemporaryDirectory() as folder:
        server = Slapd.configure(Path(folder) / "slapd", BASE, memberof=False)
        start = time.perf_counter()
        server.slapadd(tree(args.entries))
        print(f"slapadd of {args.entries} people: {time.perf_counter() - start:.1f} s")
        server.start()
        try:
            settings = DirectorySettings.from_config({
                "LDAP_URL": server.url, "LDAP_BASE_DN": BASE, "LDAP_BIND_DN": SERVICE,
                "LDAP_BIND_PASSWORD": SECRET, "LDAP_GROUP_ROLES": {"lm-hr": "hr"},
                "LDAP_GROUP_MEMBERSHIP": "member"})
            bare_search(settings)  # warm the server's cache, as it is for both
            searches = [bare_search(settings) for _ in range(3)]
            search_s = min(took for took, _n in searches)
            assert searches[0][1] == args.entries, searches[0]
            figures: dict[str, float] = {"entries": args.entries, "search_s": search_s}
            figures.update(measure(f"sqlite:///{folder}/directory.sqlite", settings, "sqlite", args.entries))
            if args.postgres:
                base = make_url(args.postgres)
                name = f"lernmodul_bench_directory_{os.getpid()}"
                admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False))
                with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
                try:
                    figures.update(measure(base.set(database=name).render_as_string(hide_password=False),
                                           settings, "pg", args.entries))
                finally:
                    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    admin.dispose()
        finally:
            server.stop()
    print(f"bare paged search of {args.entries} entries: {search_s:.2f} s (best of 3)")
    print(" ".join(f"{key}={value:.0f}" if key == "entries" else f"{key}={value:.2f}"
                   for key, value in figures.items()))


if __name__ == "__main__":
    main()
