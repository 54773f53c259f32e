"""option ids that say nothing about place or key: rewrite the ids stored in attempts

Options used to be named a, b, c … by their place in the source, which gives the key away
(authors tend to put the right answer first; order items stand in the right order). Their
ids are now hashes of question id and label (core.compiler.questions.option_ids). Attempts
store option ids in `questions` (display order), `responses` and `attempt_results.scores`
(marks): each course version is compiled from its stored sources, and every stored id is
mapped from the old name of its place to the new id of the option at that place. Values
that are no option id of the question (text and number answers, already new ids) stay as
they are. Only rows change, no table is copied: the HR summary triggers are not touched.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from lernmodul.core.compiler import compile_course
from lernmodul.core.compiler.questions import legacy_option_id
from lernmodul.core.model import QuestionType

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOG = logging.getLogger("alembic.runtime.migration")

versions = sa.table("course_versions", sa.column("id", sa.Integer),
                    sa.column("course_id", sa.String), sa.column("sources", sa.JSON))
attempts = sa.table("attempts", sa.column("id", sa.Integer),
                    sa.column("course_version_id", sa.Integer),
                    sa.column("questions", sa.JSON), sa.column("responses", sa.JSON))
results = sa.table("attempt_results", sa.column("id", sa.Integer),
                   sa.column("attempt_id", sa.Integer), sa.column("scores", sa.JSON))

#: per question id: (question type, old id -> new id)
Renames = dict[str, tuple[QuestionType, dict[str, str]]]


def _renames(course_id: str, sources: Mapping[str, Any]) -> Renames | None:
    files = {name: (text or "").encode() for name, text in sources.items()}
    course = compile_course(files, base=course_id).course
    if course is None:
        return None
    return {q.id: (q.type, {legacy_option_id(n): o.id for n, o in enumerate(q.options)})
            for q in course.questions().values()}


def _response(kind: QuestionType, value: Any, rename: Callable[[str], str]) -> Any:
    if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE) and isinstance(value, str):
        return rename(value)
    if kind in (QuestionType.MULTIPLE, QuestionType.ORDER) and isinstance(value, list):
        return [rename(v) if isinstance(v, str) else v for v in value]
    if kind is QuestionType.MATCH and isinstance(value, dict):
        return {rename(k): rename(v) if isinstance(v, str) else v for k, v in value.items()}
    return value  # number and text answers are no option ids


def _rewrite(renames: Renames, qid: str, backwards: bool) -> tuple[QuestionType | None,
                                                                   Callable[[str], str]]:
    found = renames.get(qid)
    if found is None:
        return None, lambda value: value
    kind, mapping = found
    if backwards:
        mapping = {new: old for old, new in mapping.items()}
    return kind, lambda value: mapping.get(value, value)


BATCH = 500


def _rows(connection: sa.Connection, query: sa.Select[Any],
          key: sa.ColumnClause[Any]) -> Iterator[sa.Row[Any]]:
    """The rows of `query` in batches by `key` (the table's id), not all at once."""
    last = 0
    while True:
        batch = connection.execute(query.where(key > last).order_by(key).limit(BATCH)).all()
        yield from batch
        if len(batch) < BATCH:
            return
        last = batch[-1].id


def _migrate(backwards: bool) -> None:
    connection = op.get_bind()
    for version in _rows(connection, sa.select(versions.c.id, versions.c.course_id),
                         versions.c.id):
        sources = connection.scalar(sa.select(versions.c.sources)
                                    .where(versions.c.id == version.id))
        renames = _renames(version.course_id, sources or {})
        if renames is None:
            LOG.warning("course version %s does not compile: its attempts keep their ids",
                        version.id)
            continue
        ids = sa.select(attempts.c.id).where(attempts.c.course_version_id == version.id)
        for row in _rows(connection, sa.select(attempts.c.id, attempts.c.questions,
                                               attempts.c.responses)
                         .where(attempts.c.course_version_id == version.id), attempts.c.id):
            questions = []
            for qid, order in row.questions:
                _kind, rename = _rewrite(renames, qid, backwards)
                questions.append([qid, [rename(o) for o in order]])
            responses = {}
            for qid, value in (row.responses or {}).items():
                kind, rename = _rewrite(renames, qid, backwards)
                responses[qid] = value if kind is None else _response(kind, value, rename)
            connection.execute(attempts.update().where(attempts.c.id == row.id)
                               .values(questions=questions, responses=responses))
        for row in _rows(connection, sa.select(results.c.id, results.c.scores)
                         .where(results.c.attempt_id.in_(ids)), results.c.id):
            scores = {}
            for qid, score in (row.scores or {}).items():
                _kind, rename = _rewrite(renames, qid, backwards)
                marks = score.get("marks") or {}
                scores[qid] = {**score, "marks": {rename(k): v for k, v in marks.items()}}
            connection.execute(results.update().where(results.c.id == row.id)
                               .values(scores=scores))


def upgrade() -> None:
    _migrate(backwards=False)


def downgrade() -> None:
    _migrate(backwards=True)
