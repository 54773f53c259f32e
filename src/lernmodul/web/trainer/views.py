"""Trainer views; the trainer role is declared on the blueprint."""

from __future__ import annotations

from flask import Blueprint, render_template

from lernmodul.db.models import Role
from lernmodul.web.access import require_roles

bp = Blueprint("trainer", __name__, url_prefix="/trainer")
require_roles(bp, Role.TRAINER.value)


@bp.route("/")
def index() -> str:
    return render_template("trainer/index.html")
