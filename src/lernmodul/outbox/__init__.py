"""The delivery outbox: messages to other systems (LTI scores, xAPI statements), never lost
and never sent twice for the same result.

The rule of this package: a message is queued with `enqueue` inside the transaction that
writes the result it reports, keyed by (kind, key) so that a second queueing of the same
result does nothing; it is sent later by `deliver_due`, outside any database transaction, by
the sender registered for its kind. A claimed row carries a lease (its next attempt moves into
the future), so two workers never send the same row at once. Senders get plain values (the
row's payload and a configuration mapping), never a session; this package imports only the
database models, never services, LTI or the web layer.
"""

from lernmodul.outbox.delivery import (
    DeliveryItem,
    DeliveryStats,
    PermanentDeliveryError,
    RetryableDeliveryError,
    Sender,
    backoff_seconds,
    deliver_due,
    register_sender,
    registered_kinds,
)
from lernmodul.outbox.queue import (
    ENQUEUED_KEY,
    enqueue,
    give_up,
    list_deliveries,
    purge_finished,
    retry_now,
)

__all__ = [
    "ENQUEUED_KEY",
    "DeliveryItem",
    "DeliveryStats",
    "PermanentDeliveryError",
    "RetryableDeliveryError",
    "Sender",
    "backoff_seconds",
    "deliver_due",
    "enqueue",
    "give_up",
    "list_deliveries",
    "purge_finished",
    "register_sender",
    "registered_kinds",
    "retry_now",
]
