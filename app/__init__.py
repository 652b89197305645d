"""Beeldbrug: a child's coach, teachers and parents look together at what the child needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BASE_DIR, Config, config_from_env


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    """Build the application: settings, extensions, blueprints, CLI and error pages."""
    config = config or config_from_env()
    config.check()
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(Path(config.INSTANCE_PATH)),
    )
    app.config.from_object(config)
    app.config.update(overrides)
    from app.core import urls

    urls.init_app(app)  # before any route: every id in an address goes through it
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(BASE_DIR / "translations")
    # The instance folder holds the database, media and signing keys: for this account only.
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        # Flask's documented way to wrap its WSGI app, though the type declares a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    from app.core import logs

    logs.init_logging()
    _init_extensions(app)
    _register_blueprints(app)

    from app import cli

    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app import models as _models  # noqa: F401  (every model registered before first use)
    from app.auth import login
    from app.circle import policy, routes
    from app.core import i18n, requests, web
    from app.core.db import db, utcnow
    from app.core.jobs import huey
    from app.extensions import babel, csrf, limiter, mail

    db.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    limiter.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)
    i18n.install(app)
    login.init_app(app)
    web.init_app(app)
    app.before_request(routes.enforce_route_rule)
    app.url_value_preprocessor(requests.limit_form_body)
    app.before_request(requests.refuse_unexpected_files)
    huey.init_app(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_login import current_user

        locale = str(i18n.locale() or app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "lang": locale,
            "text_dir": web.text_direction(locale),
            "menu_section": web.menu_section(request.path) if has_request_context() else None,
            "now": utcnow(),
            "nav": policy.navigation(current_user),
        }


def _register_blueprints(app: Flask) -> None:
    # Views are imported here, not in each package's __init__, so that models can be imported
    # on their own (by Alembic, tasks and the access policy) without pulling in every view.
    from app.admin import bp as admin_bp
    from app.admin import health as _health
    from app.admin import views as _admin_views  # noqa: F401
    from app.auth import bp as auth_bp
    from app.auth import factor_views as _factor_views  # noqa: F401
    from app.auth import passkey_views as _passkey_views  # noqa: F401
    from app.auth import views as _auth_views  # noqa: F401
    from app.children import bp as children_bp
    from app.children import erasure_views as _erasure_views  # noqa: F401
    from app.children import views as _children_views  # noqa: F401
    from app.children.export import views as _export_views  # noqa: F401
    from app.clips import bp as clips_bp
    from app.clips import views as _clips_views  # noqa: F401
    from app.consent import bp as consent_bp
    from app.consent import views as _consent_views  # noqa: F401
    from app.documents import bp as documents_bp
    from app.documents import views as _documents_views  # noqa: F401
    from app.meetings import bp as meetings_bp
    from app.meetings import views as _meetings_views  # noqa: F401
    from app.people import bp as people_bp
    from app.people import views as _people_views  # noqa: F401
    from app.plans import bp as plans_bp
    from app.plans import views as _plans_views  # noqa: F401

    blueprints = (
        auth_bp,
        children_bp,
        people_bp,
        consent_bp,
        clips_bp,
        meetings_bp,
        plans_bp,
        admin_bp,
        documents_bp,
        _health.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
