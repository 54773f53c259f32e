"""`lernmodul directory sync`: the directory's people into accounts, in one transaction.

Reads the whole tree first (paged), then applies it with `identity.bulk.sync_identities`:
new people are created, changed or moved people updated, people who left or are disabled
deactivated (their sessions end). A run that finds nobody at all changes nothing: an empty
result is far more often a wrong base DN or filter than a city without staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lernmodul.db.identities import ExternalIdentity
from lernmodul.identity.bulk import BulkReport, Person, sync_identities
from lernmodul.identity.claims import ClaimMapping, IdentityError
from lernmodul.identity.ldap.client import Snapshot, read_snapshot, service_connection
from lernmodul.identity.ldap.entries import (
    DirectoryEntry,
    claim_mapping,
    is_disabled,
    normalise_dn,
    subject_of,
    to_identity,
)
from lernmodul.identity.ldap.settings import DirectorySettings


class EmptyDirectory(Exception):
    """The search found nobody while accounts are linked to the directory: nothing was changed."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    report: BulkReport
    entries: int


def people_of(snapshot: Snapshot, settings: DirectorySettings) -> list[Person]:
    """Each entry as a Person (its Identity, or the reason it cannot be one)."""
    mapping = claim_mapping(settings)
    return [_person(entry, snapshot, settings, mapping) for entry in snapshot.entries]


def _person(entry: DirectoryEntry, snapshot: Snapshot, settings: DirectorySettings,
            mapping: ClaimMapping) -> Person:
    try:
        subject: str | None = subject_of(entry, settings)
    except IdentityError as error:
        return Person(entry.dn, None, error)
    dn = normalise_dn(entry.dn) if (snapshot.disabled or snapshot.groups) else ""
    disabled = is_disabled(entry, settings) or dn in snapshot.disabled
    try:
        identity = to_identity(entry, settings, mapping=mapping,
                               groups=snapshot.groups.get(dn, ()), subject=subject)
    except IdentityError as error:
        return Person(entry.dn, subject, error, disabled)
    return Person(entry.dn, subject, identity, disabled)


def read_directory(settings: DirectorySettings) -> Snapshot:
    """The whole directory as one sync needs it (before any database transaction starts).
    DirectoryError when it cannot be read."""
    with service_connection(settings) as connection:
        return read_snapshot(connection, settings)


def apply_snapshot(session: Session, settings: DirectorySettings, snapshot: Snapshot, *,
                   now: datetime) -> SyncResult:
    """Applies what the directory lists to the accounts in `session` (the caller commits or,
    for a dry run, rolls back); EmptyDirectory when it lists nobody but accounts are linked."""
    if not snapshot.entries and session.scalar(
            select(func.count()).select_from(ExternalIdentity)
            .where(ExternalIdentity.issuer == settings.issuer)):
        raise EmptyDirectory(f"no entry matches {settings.user_filter} below {settings.base_dn}")
    report = sync_identities(session, people_of(snapshot, settings), issuer=settings.issuer, now=now)
    return SyncResult(report=report, entries=len(snapshot.entries))


def sync_directory(session: Session, settings: DirectorySettings, *, now: datetime) -> SyncResult:
    """read_directory, then apply_snapshot."""
    return apply_snapshot(session, settings, read_directory(settings), now=now)


def report_lines(result: SyncResult, *, dry_run: bool) -> list[str]:
    """What a run did (or, for a dry run, would do), one line each, then the totals."""
    report = result.report
    would = "would be " if dry_run else ""
    lines = [f"created: {c.key} <{c.email}>" for c in report.created]
    lines += [f"updated: {c.key} <{c.email}> ({', '.join(c.fields)})" for c in report.updated]
    lines += [f"deactivated ({c.fields[0] if c.fields else ''}): {c.key} <{c.email}>"
              for c in report.deactivated]
    lines += [f"skipped: {p.key}: {p.code}{' (' + p.detail + ')' if p.detail else ''}"
              for p in report.problems]
    if dry_run:
        lines = [f"[dry run] {line}" for line in lines]
    lines.append(f"{result.entries} entries read, {report.unchanged} unchanged, "
                 f"{len(report.problems)} skipped")
    lines.append(f"{len(report.created)} {would}created, {len(report.updated)} {would}updated, "
                 f"{len(report.deactivated)} {would}deactivated")
    return lines
