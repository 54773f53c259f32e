"""Admin views; the admin role is declared on the blueprint."""

from __future__ import annotations

from flask import Blueprint, render_template

from lernmodul.db.models import Role
from lernmodul.web.access import require_roles

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_roles(bp, Role.ADMIN.value)


@bp.route("/")
def index() -> str:
    return render_template("admin/index.html")
