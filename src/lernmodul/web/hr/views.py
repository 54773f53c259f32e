"""HR views; the hr role is declared on the blueprint, org-unit scope is checked per object."""

from __future__ import annotations

from flask import Blueprint, render_template

from lernmodul.db.models import Role
from lernmodul.web.access import require_roles

bp = Blueprint("hr", __name__, url_prefix="/hr")
require_roles(bp, Role.HR.value)


@bp.route("/")
def index() -> str:
    return render_template("hr/index.html")
