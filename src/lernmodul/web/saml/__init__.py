"""Sign-in with SAML 2.0: the routes under /saml (metadata, login, ACS, logout).

The protocol is in `lernmodul.identity.saml`; this blueprint only carries requests to it.
"""

from lernmodul.web.saml.setup import SamlState, init_app, saml_state
from lernmodul.web.saml.views import bp

__all__ = ["SamlState", "bp", "init_app", "saml_state"]
