"""LDAP and Active Directory: the directory sync and the optional sign-in by LDAP bind.

The rule of this package: the directory is read with a service account, never anonymously;
its people become accounts by the rules of `lernmodul.identity` (keyed by (issuer, subject)
with issuer "ldap:<base DN>" and subject entryUUID (OpenLDAP) or objectGUID (AD), linked by
personnel number, never by e-mail address alone, every change audited). The sync deactivates
only accounts linked to this directory, and deletes nothing. A password is checked only by a
bind as the person's DN over the configured (verified) connection, never with an empty
password. settings.py reads LDAP_*; entries.py maps an entry (pure); client.py talks to the
server (ldap3); sync.py is the sync; login.py the sign-in.
"""

from lernmodul.identity.ldap.client import DirectoryError
from lernmodul.identity.ldap.settings import DirectoryConfigError, DirectorySettings

__all__ = ["DirectoryConfigError", "DirectoryError", "DirectorySettings"]
