"""Where to send people: safe `next=` targets and each user's start page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for

from lernmodul.db.models import Role, User

HOME_ENDPOINTS = (
    (Role.LEARNER, "learner.dashboard"),
    (Role.TRAINER, "trainer.index"),
    (Role.HR, "hr.index"),
    (Role.ADMIN, "admin.index"),
)


def safe_next_url(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or len(target) > 2000:
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_url(user: User) -> str:
    for role, endpoint in HOME_ENDPOINTS:
        if user.has_role(role.value):
            return url_for(endpoint)
    return url_for("auth.change_password")
