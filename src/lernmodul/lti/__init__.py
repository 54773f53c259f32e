"""lernmodul as an LTI 1.3 tool: login initiation, resource-link and deep-linking launches,
the deep-linking response, dynamic registration, tool keys.

The rule of this package: the protocol is the library's (pylti1p3, no JOSE of our own); this
package only feeds it the registered platforms from the database, keeps each nonce in the
database so that it is usable once across all workers, adds the checks the library leaves
out (audience/azp, issued-at, RS256 only, the two message types we take), and turns a valid launch
into an `Identity` for `lernmodul.identity.sign_in`. A refusal is a `LaunchError` with a
code that the web edge turns into a message. It imports neither the web layer nor its
templates; the routes are in `lernmodul.web.lti`.
"""

from lernmodul.lti.keys import load_or_create_tool_key, tool_jwks
from lernmodul.lti.launch import Launch, LaunchError, login_redirect_url, validate_launch
from lernmodul.lti.users import sign_in_launch

__all__ = [
    "Launch",
    "LaunchError",
    "load_or_create_tool_key",
    "login_redirect_url",
    "sign_in_launch",
    "tool_jwks",
    "validate_launch",
]
