"""Deep linking: the request's settings, and the signed LtiDeepLinkingResponse with one resource link.

The JWT is made and signed by pylti1p3 (`DeepLink`, `DeepLinkResource`, `LineItem`); this module
only says what the content item holds: the launch URL, the custom parameters that name the
course (and `target=exam` for the final exam alone) and a line item for the platform's gradebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from lernmodul.db.lti import LtiPlatform
from lernmodul.lti.config import registration_of
from lernmodul.lti.launch import DEEP_LINKING_SETTINGS, Launch

DEPLOYMENT_ID = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
SCORE_MAXIMUM = 100
TARGET_COURSE = "course"
TARGET_EXAM = "exam"
TARGETS = (TARGET_COURSE, TARGET_EXAM)


@dataclass(frozen=True, slots=True)
class DeepLinkRequest:
    """What a deep-linking request asks: where the answer goes and what comes back unchanged."""

    deployment_id: str
    return_url: str
    data: Any = None


@dataclass(frozen=True, slots=True)
class ContentChoice:
    """The course (or only its final exam) the author picked, with the titles to show there."""

    course_id: str
    target: str
    title: str


def request_of(launch: Launch) -> DeepLinkRequest:
    """The settings of a validated deep-linking launch (the launch checked they are complete)."""
    settings = launch.claims[DEEP_LINKING_SETTINGS]
    return DeepLinkRequest(deployment_id=str(launch.claims.get(DEPLOYMENT_ID, "")),
                           return_url=str(settings["deep_link_return_url"]), data=settings.get("data"))


def custom_parameters(choice: ContentChoice) -> dict[str, str]:
    """The custom parameters of the link: course=<id>, and target=exam for the exam alone."""
    custom = {"course": choice.course_id}
    if choice.target == TARGET_EXAM:
        custom["target"] = TARGET_EXAM
    return custom


def resource_id(choice: ContentChoice) -> str:
    """The line item's resourceId: the course id, with ":exam" for the final exam alone."""
    return choice.course_id if choice.target == TARGET_COURSE else f"{choice.course_id}:{TARGET_EXAM}"


def content_item(choice: ContentChoice, launch_url: str) -> DeepLinkResource:
    """One ltiResourceLink: title, our launch URL, the custom parameters and a line item."""
    line_item = (LineItem().set_score_maximum(SCORE_MAXIMUM).set_label(choice.title)
                 .set_resource_id(resource_id(choice)))
    return (DeepLinkResource().set_title(choice.title).set_url(launch_url)
            .set_custom_params(custom_parameters(choice)).set_lineitem(line_item))


def response_jwt(platform: LtiPlatform, request: DeepLinkRequest, choice: ContentChoice, *,
                 launch_url: str, keys: tuple[str, str]) -> str:
    """The signed LtiDeepLinkingResponse (iss our client id, aud the platform, the request's data)."""
    settings: Any = {"deep_link_return_url": request.return_url, "accept_types": ["ltiResourceLink"],
                     "accept_presentation_document_targets": ["iframe", "window"]}
    if request.data is not None:
        settings["data"] = request.data
    deep_link = DeepLink(registration_of(platform, *keys), request.deployment_id, settings)
    return str(deep_link.get_response_jwt([content_item(choice, launch_url)]))
