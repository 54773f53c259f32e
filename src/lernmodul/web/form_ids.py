"""Forms that share a page with other forms: every field's id, the CSRF token's included,
starts with the form's `id_prefix`, so that ids stay unique on the page and each label
stays tied to its own input. Field names (what the form posts) do not change."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms.meta import DefaultMeta


class PrefixedForm(FlaskForm):
    """A FlaskForm whose field ids are `<id_prefix>-<field name>` (unless a field sets one)."""

    id_prefix = ""

    class Meta(DefaultMeta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            prefix = getattr(form, "id_prefix", "")
            if prefix and "id" not in unbound_field.kwargs:
                options = {**options, "id": f"{prefix}-{options['name']}"}
            return super().bind_field(form, unbound_field, options)
