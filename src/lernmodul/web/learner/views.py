"""Learner views. Every view here needs the learner role (declared on the blueprint)."""

from __future__ import annotations

from flask import Blueprint, render_template

from lernmodul.db.models import Role
from lernmodul.web.access import require_roles

bp = Blueprint("learner", __name__)
require_roles(bp, Role.LEARNER.value)


@bp.route("/")
def dashboard() -> str:
    return render_template("learner/dashboard.html")
