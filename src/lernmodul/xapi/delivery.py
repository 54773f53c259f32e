"""The outbox's sender for kind "xapi": one queued statement, POSTed to the configured LRS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lernmodul.outbox import DeliveryItem, PermanentDeliveryError, RetryableDeliveryError
from lernmodul.xapi.sending import TIMEOUT_SECONDS, Delivery, Lrs, post_statement

KIND = "xapi"


def lrs_from_config(config: Mapping[str, Any]) -> Lrs | None:
    """The LRS of XAPI_ENDPOINT / XAPI_USERNAME / XAPI_PASSWORD, or None when it is off."""
    endpoint = str(config.get("XAPI_ENDPOINT") or "").strip()
    if not endpoint:
        return None
    return Lrs(endpoint=endpoint, username=str(config.get("XAPI_USERNAME") or ""),
               password=str(config.get("XAPI_PASSWORD") or ""))


def send_statement(item: DeliveryItem, config: Mapping[str, Any]) -> None:
    """Returns when the LRS stored the statement (or had it already: 204 for a resend);
    raises RetryableDeliveryError (LRS away, 5xx, credentials refused) or
    PermanentDeliveryError (409: another statement has this id; other 4xx)."""
    lrs = lrs_from_config(config)
    if lrs is None:
        raise RetryableDeliveryError("XAPI_ENDPOINT is not set: kept until an LRS is configured")
    timeout = float(config.get("OUTBOX_SEND_TIMEOUT_SECONDS") or TIMEOUT_SECONDS)
    answer = post_statement(lrs, item.payload, timeout=timeout)
    if answer.delivery == Delivery.DELIVERED:
        return
    if answer.delivery == Delivery.REFUSED:
        raise PermanentDeliveryError(answer.detail)
    raise RetryableDeliveryError(answer.detail)
