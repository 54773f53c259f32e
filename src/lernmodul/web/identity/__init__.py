"""Sign-in through the authority's identity provider (OpenID Connect): the routes only.

The protocol is in `lernmodul.identity.oidc`, the account rules in `lernmodul.identity.linking`.
"""

from lernmodul.web.identity.views import bp, oidc_display_name, provider_logout_url

__all__ = ["bp", "oidc_display_name", "provider_logout_url"]
