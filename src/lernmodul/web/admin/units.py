"""Org unit administration: the tree, create, rename, move (no cycles), delete when empty."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from lernmodul.db.models import OrgUnit, utcnow
from lernmodul.services import org_units
from lernmodul.services.org_units import OrgUnitError
from lernmodul.web.admin.forms import ConfirmForm, UnitCreateForm, UnitMoveForm, UnitRenameForm
from lernmodul.web.admin.views import bp, unit_choices, unit_tree
from lernmodul.web.database import get_session

MESSAGES = {
    "name_required": _l("Enter a name."),
    "name_too_long": _l("The name is too long (at most 200 characters)."),
    "name_taken": _l("A unit with this name exists already at this place in the tree."),
    "no_parent": _l("The chosen parent unit does not exist."),
    "cycle": _l("A unit cannot be moved under itself or under one of its own sub-units."),
    "too_deep": _l("The tree has at most 12 levels: there is no room for this unit (with "
                   "its sub-units) there."),
    "not_empty": _l(
        "Only an empty unit can be deleted: it still has sub-units, people, or roles "
        "limited to it. Move them first."),
    "in_use": _l("This unit is still in use (for example by a training assignment) and "
                 "cannot be deleted."),
}


def _unit(unit_id: int) -> OrgUnit:
    unit = get_session().get(OrgUnit, unit_id)
    if unit is None:
        abort(404)
    return unit


@bp.route("/units")
def units() -> tuple[str, int]:
    return _render_units(UnitCreateForm(formdata=None))


def _render_units(form: UnitCreateForm, status: int = 200) -> tuple[str, int]:
    rows = unit_tree(with_counts=True)
    form.parent.choices = unit_choices(rows, _("(top level)"))
    return render_template("admin/units.html", rows=rows, form=form), status


@bp.post("/units")
def create_unit() -> Response | tuple[str, int]:
    form = UnitCreateForm()
    form.parent.choices = unit_choices(unit_tree(), _("(top level)"))
    if not form.validate_on_submit():
        return _render_units(form, 400)
    try:
        unit = org_units.create_unit(get_session(), name=form.name.data or "",
                                     parent_id=form.parent.data, now=utcnow(),
                                     actor_id=current_user.id)
    except OrgUnitError as error:
        form.name.errors = [str(MESSAGES[error.code])]
        return _render_units(form, 400)
    flash(_("The unit “%(name)s” has been created.", name=unit.name), "success")
    return redirect(url_for("admin.units"), 303)


@bp.route("/units/<int:unit_id>")
def unit(unit_id: int) -> tuple[str, int]:
    return _render_unit(_unit(unit_id))


def _render_unit(unit: OrgUnit, *, rename_form: UnitRenameForm | None = None,
                 move_form: UnitMoveForm | None = None, delete_error: str | None = None,
                 status: int = 200) -> tuple[str, int]:
    session = get_session()
    rows = unit_tree(with_counts=True)
    row = next(r for r in rows if r.id == unit.id)
    below = org_units.descendant_ids(session, [unit.id])
    if move_form is None:
        move_form = UnitMoveForm(formdata=None, parent=unit.parent_id or "")
    # a unit can go anywhere except under itself and its own sub-units
    move_form.parent.choices = unit_choices([r for r in rows if r.id not in below],
                                            _("(top level)"))
    children = [r for r in rows if r.parent_id == unit.id]
    return render_template(
        "admin/unit.html", unit=unit, row=row, children=children,
        rename_form=rename_form or UnitRenameForm(formdata=None, name=unit.name),
        move_form=move_form, delete_form=ConfirmForm(formdata=None),
        delete_error=delete_error), status


@bp.post("/units/<int:unit_id>/rename")
def rename_unit(unit_id: int) -> Response | tuple[str, int]:
    unit = _unit(unit_id)
    form = UnitRenameForm()
    if not form.validate_on_submit():
        return _render_unit(unit, rename_form=form, status=400)
    try:
        changed = org_units.rename_unit(get_session(), unit, name=form.name.data or "",
                                        now=utcnow(), actor_id=current_user.id)
    except OrgUnitError as error:
        form.name.errors = [str(MESSAGES[error.code])]
        return _render_unit(unit, rename_form=form, status=400)
    if changed:
        flash(_("The unit has been renamed."), "success")
    return redirect(url_for("admin.unit", unit_id=unit.id), 303)


@bp.post("/units/<int:unit_id>/move")
def move_unit(unit_id: int) -> Response | tuple[str, int]:
    unit = _unit(unit_id)
    form = UnitMoveForm()
    # validated against every unit, so that a forged cycle gets the service's message
    form.parent.choices = unit_choices(unit_tree(), _("(top level)"))
    if not form.validate_on_submit():
        return _render_unit(unit, move_form=form, status=400)
    try:
        changed = org_units.move_unit(get_session(), unit, parent_id=form.parent.data,
                                      now=utcnow(), actor_id=current_user.id)
    except OrgUnitError as error:
        form.parent.errors = [str(MESSAGES[error.code])]
        return _render_unit(unit, move_form=form, status=409 if error.code == "cycle" else 400)
    if changed:
        flash(_("The unit has been moved."), "success")
    return redirect(url_for("admin.unit", unit_id=unit.id), 303)


@bp.post("/units/<int:unit_id>/delete")
def delete_unit(unit_id: int) -> Response | tuple[str, int]:
    unit = _unit(unit_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_unit(unit, status=400)
    name = unit.name
    try:
        org_units.delete_unit(get_session(), unit, now=utcnow(), actor_id=current_user.id)
    except OrgUnitError as error:
        return _render_unit(unit, delete_error=str(MESSAGES[error.code]), status=409)
    flash(_("The unit “%(name)s” has been deleted.", name=name), "success")
    return redirect(url_for("admin.units"), 303)
