"""Sends one statement to the LRS: POST <endpoint>/statements, and what the answer means.

The only I/O of this package. 200 and 204 (the same id with the same body, a resend) mean
delivered; 409 (the same id with another body) can never succeed; 5xx, a timeout or a refused
connection may succeed later; 401/403 too, once an operator fixes the credentials; any other
answer is final.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import requests

from lernmodul.xapi.statements import XAPI_VERSION

TIMEOUT_SECONDS = 10


class Delivery(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # try again later
    REFUSED = "refused"  # never succeeds: mark as failed


@dataclass(frozen=True, slots=True)
class Answer:
    delivery: Delivery
    detail: str


@dataclass(frozen=True, slots=True)
class Lrs:
    """Where to send: the xAPI endpoint (…/xAPI) and its basic-auth credentials."""

    endpoint: str
    username: str = ""
    password: str = ""

    @property
    def statements_url(self) -> str:
        return self.endpoint.rstrip("/") + "/statements"


def classify(status: int, text: str = "") -> Answer:
    """What an LRS answer with this status means for the statement."""
    detail = f"LRS answered {status}" + (f": {text[:300]}" if text else "")
    if status in (200, 204):
        return Answer(Delivery.DELIVERED, detail)
    if status >= 500 or status in (401, 403, 408, 429):
        return Answer(Delivery.RETRY, detail)
    return Answer(Delivery.REFUSED, detail)


def post_statement(lrs: Lrs, statement: dict[str, Any], *, http: requests.Session | None = None,
                   timeout: float = TIMEOUT_SECONDS) -> Answer:
    """POSTs one statement (X-Experience-API-Version 1.0.3, basic auth if configured)."""
    auth = (lrs.username, lrs.password) if lrs.username else None
    client = http or requests.Session()
    try:
        response = client.post(lrs.statements_url, json=statement, auth=auth,
                               headers={"X-Experience-API-Version": XAPI_VERSION},
                               timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        return Answer(Delivery.RETRY, f"LRS not reachable: {type(error).__name__}")
    finally:
        if http is None:
            client.close()
    return classify(response.status_code, response.text if response.status_code >= 400 else "")
