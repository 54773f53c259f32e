"""xAPI statements to a Learning Record Store (off unless XAPI_ENDPOINT is set).

The rule of this package: building a statement is pure (`statements`: values in, a JSON-ready
dict out — no database, no clock, no randomness, so the same event always gives the same
statement and id) and kept apart from sending it (`sending`: one HTTP POST and what its answer
means; `delivery`: the outbox's sender for kind "xapi", which maps that answer to retry or
give up). Nothing here imports the services or the web layer: `services.learning_records` turns
learning events into statements and queues them in the outbox, in the transaction that wrote
them; the outbox hands each one to `delivery.send_statement` later.

`delivery` is imported on its own (it needs the outbox): `from lernmodul.xapi.delivery import
send_statement`.
"""

from lernmodul.xapi.sending import Answer, Delivery, Lrs, classify, post_statement
from lernmodul.xapi.statements import (
    ACTOR_MODES,
    IDENTIFIED,
    PSEUDONYM,
    CourseRef,
    ExamResult,
    ItemResult,
    Learner,
    Round,
    Sender,
    course_completed,
    course_started,
    exam_graded,
    item_answered,
    pseudonym,
)

__all__ = [
    "ACTOR_MODES",
    "IDENTIFIED",
    "PSEUDONYM",
    "Answer",
    "CourseRef",
    "Delivery",
    "ExamResult",
    "ItemResult",
    "Learner",
    "Lrs",
    "Round",
    "Sender",
    "classify",
    "course_completed",
    "course_started",
    "exam_graded",
    "item_answered",
    "post_statement",
    "pseudonym",
]
