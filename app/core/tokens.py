"""Signed, expiring values that a form carries from one request to the next."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def sign_value(value: Any, *, salt: str) -> str:
    """A tamper-proof token holding ``value`` (readable by anyone, changeable by no one)."""
    return _serializer(salt).dumps(value)


def read_value(token: str, *, salt: str, max_age: int) -> Any | None:
    """The value in ``token``, or None when it was changed, made for another use, or too old."""
    try:
        return _serializer(salt).loads(token, max_age=max_age)
    except BadSignature:
        return None
