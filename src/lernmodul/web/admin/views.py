"""Admin views; the admin role is declared on the blueprint (admins act on every unit)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask.sansio.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from lernmodul.db.models import Role
from lernmodul.services.org_units import UnitRow, list_unit_tree
from lernmodul.web.access import require_roles
from lernmodul.web.database import get_session
from lernmodul.web.security import render_error

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_roles(bp, Role.ADMIN.value)

# The CSV upload may be larger than other requests; the CLI has no limit at all.
DEFAULT_IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_ENDPOINTS = frozenset({"admin.import_users", "admin.confirm_import"})

ROLE_LABELS = {
    "learner": _l("Learner"),
    "trainer": _l("Trainer"),
    "hr": _l("HR"),
    "admin": _l("Administrator"),
}


def import_max_bytes() -> int:
    return int(current_app.config.get("USER_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES))


def _raise_import_limits() -> None:
    """Runs before the CSRF check parses the form: the import routes take larger bodies
    (the confirmation carries the file again, base64-encoded)."""
    if request.endpoint in IMPORT_ENDPOINTS:
        limit = import_max_bytes()
        request.max_content_length = limit * 2 + 64 * 1024
        request.max_form_memory_size = limit * 2 + 64 * 1024


@bp.record_once
def _install_limits(state: BlueprintSetupState) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_import_limits)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    if request.endpoint in IMPORT_ENDPOINTS:
        megabytes = import_max_bytes() / (1024 * 1024)
        return render_error(413, _(
            "The file is larger than %(size)s MB. Split it into several files, or import it "
            "on the server with the command lernmodul users import.", size=f"{megabytes:g}"))
    return render_error(413)


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


@bp.app_template_filter("admin_role")
def _role_filter(role: str) -> str:
    return role_label(role)


def unit_tree(with_counts: bool = False) -> list[UnitRow]:
    return list_unit_tree(get_session(), with_counts=with_counts)


def unit_choices(rows: list[UnitRow], none_label: Any) -> list[SelectChoice]:
    return [SelectChoice("", none_label)] + [SelectChoice(row.id, row.path) for row in rows]


@bp.route("/")
def index() -> str:
    return render_template("admin/index.html")


# the routes of the area, registered on `bp` when imported
from lernmodul.web.admin import deliveries, imports, lti_platforms, units, users  # noqa: E402, F401
