"""Which access rule each endpoint declares, and the hook that enforces it before any view.

Every view carries one decorator: :func:`public`, :func:`signed_in`, :func:`staff_only`,
:func:`admin_only` or :func:`for_child`. Deny by default: :func:`enforce_route_rule` refuses an
endpoint without a rule (and the authorization test built from ``url_map`` fails for it). The
decisions themselves (who may do what with a child) are made in :mod:`app.circle.policy`; this
module only says which decision a route needs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

from app.circle.policy import (
    Action,
    Seat,
    is_staff,
    log,
    log_denied,
    may_manage_school,
    seat_or_404,
)

F = TypeVar("F", bound=Callable[..., Any])


class Scope(enum.StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    SIGNED_IN = "signed_in"  # any signed-in person
    STAFF = "staff"  # signed-in school staff
    ADMIN = "admin"  # signed-in school admin
    CHILD = "child"  # a member of the child's circle whose role allows the action


@dataclass(frozen=True)
class RouteRule:
    scope: Scope
    action: Action | None = None


def _tag(view: F, rule: RouteRule) -> F:
    # A function takes new attributes; its type does not say so.
    view.access_rule = rule  # type: ignore[attr-defined]
    return view


def public(view: F) -> F:
    """Open to anyone, signed in or not."""
    return _tag(view, RouteRule(Scope.PUBLIC))


def signed_in(view: F) -> F:
    """Open to any signed-in person."""
    return _tag(view, RouteRule(Scope.SIGNED_IN))


def staff_only(view: F) -> F:
    """Open to signed-in school staff; others get 403."""
    return _tag(view, RouteRule(Scope.STAFF))


def admin_only(view: F) -> F:
    """Open to signed-in school admins; others get 403."""
    return _tag(view, RouteRule(Scope.ADMIN))


def for_child(
    action: Action, *, check: Callable[[Seat], bool] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Load the signed-in person's seat in the URL's child's circle through
    :func:`seat_or_404` (404 outside it, 403 when the role may not ``action``) and pass the
    :class:`Seat` on: the view is ``view(seat, **kwargs)``, the child is ``seat.child``.

    ``check(seat)``, when given, is a further rule the role's permission alone cannot express
    (who signs for the child today, say): False, or an error in it, gives 403.
    """

    # The view takes the seat; what the URL map calls takes the ``child_id``.
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(child_id: int, **kwargs: Any) -> Any:
            # The user object, not the proxy: loaders and services ask the seat many times.
            seat = seat_or_404(child_id, current_user._get_current_object(), action)
            if check is not None and not _passes(check, seat):
                log_denied(f"check_{getattr(check, '__name__', 'rule')}_failed", child_id)
                abort(403)
            return view(seat, **kwargs)

        return _tag(wrapper, RouteRule(Scope.CHILD, action))

    return decorator


def _passes(check: Callable[[Seat], bool], seat: Seat) -> bool:
    try:
        return bool(check(seat))
    except Exception:
        log.exception("access check failed; denying")
        return False


PUBLIC_ENDPOINTS = frozenset({"static"})


def rule_for(endpoint: str | None) -> RouteRule | None:
    """The rule an endpoint declared, or None."""
    if endpoint in PUBLIC_ENDPOINTS:
        return RouteRule(Scope.PUBLIC)
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "access_rule", None)


def enforce_route_rule() -> Any:
    """before_request: deny by default; anonymous visitors are sent to sign in."""
    if request.endpoint is None:  # no such route: the 404 handler answers
        return None
    rule = rule_for(request.endpoint)
    if rule is None:
        log.error("endpoint %s has no access rule; refused", request.endpoint)
        abort(404)
    if rule.scope is Scope.PUBLIC:
        return None
    if not current_user.is_authenticated:
        from app.extensions import login_manager

        return login_manager.unauthorized()
    if rule.scope is Scope.STAFF and not is_staff(current_user):
        log_denied("not_staff", None)
        abort(403)
    if rule.scope is Scope.ADMIN and not may_manage_school(current_user):
        log_denied("not_admin", None)
        abort(403)
    return None
