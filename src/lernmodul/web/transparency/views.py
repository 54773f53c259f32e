"""What HR sees about me (the very rows of the HR person list) and my data as JSON."""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template
from flask_login import current_user

from lernmodul.db.models import Role, utcnow
from lernmodul.services import hr
from lernmodul.web.access import require_roles
from lernmodul.web.database import get_session, record_audit
from lernmodul.web.hr.views import COLUMN_LABELS, STATUS_LABELS, clock
from lernmodul.web.learner.views import course_of

bp = Blueprint("transparency", __name__, url_prefix="/me")
require_roles(bp, Role.LEARNER.value)


@bp.route("/hr-view")
def my_data() -> str:
    rows = hr.rows_of_person(get_session(), current_user.id, clock())
    return render_template("learner/my_data.html", rows=rows, columns=COLUMN_LABELS,
                           status_labels=STATUS_LABELS)


@bp.route("/data.json")
def download_data() -> Response:
    session = get_session()
    data = hr.personal_data(session, current_user, course_of)
    now = utcnow()
    data["exported_at"] = now.isoformat()
    record_audit(action="learner.data_copy", at=now, actor_id=current_user.id,
                 target=f"user:{current_user.id}")
    # < > & only occur inside JSON strings: escaped, a browser never reads markup from it
    body = (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response
