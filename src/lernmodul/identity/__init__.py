"""Accounts from the authority's own identity systems: OpenID Connect, SAML 2.0, LDAP/AD.

The rule of this package: an external identity is keyed by (issuer, subject) and linked to an
existing account by personnel number, never by e-mail address alone. Protocol adapters turn
what their protocol delivered into an `Identity` (claims.py, pure) and hand it to
`linking.sign_in` (or the directory sync), which creates the account just in time, updates
name, e-mail, org unit and roles, and writes every change to the audit log, in the caller's
transaction. Nothing here knows Flask; the routes are in `lernmodul.web.identity` (OpenID
Connect) and `lernmodul.web.saml` (SAML 2.0, protocol in `saml.py`).
"""

from lernmodul.identity.claims import ClaimMapping, Identity, IdentityError, map_claims
from lernmodul.identity.linking import SignInResult, identities_of, sign_in

__all__ = [
    "ClaimMapping",
    "Identity",
    "IdentityError",
    "SignInResult",
    "identities_of",
    "map_claims",
    "sign_in",
]
