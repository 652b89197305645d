"""Flask extensions, created unbound and attached to the app in create_app() (the job queue,
which the machinery declares its own jobs on, is ``app.core.jobs.huey``)."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mailman import Mail
from flask_wtf.csrf import CSRFProtect

__all__ = ["babel", "csrf", "limiter", "login_manager", "mail"]


def client_address() -> str:
    """The client's address as seen after ProxyFix (the trusted proxies are configured)."""
    return request.remote_addr or "unknown"


babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
mail = Mail()
limiter = Limiter(key_func=client_address, default_limits=[])
