"""voice_app: the Flask application.

The app factory (`create_app`), configuration, one session per request, and the blueprints:
`/twilio/*` (voice webhooks), `/api/v1` (JSON API), `/admin` (site office UI), plus the
`genba-call` command line (`voice_app.cli`).  Flask is imported inside `create_app`, so that
the reader agent's command (`voice_app.cli.agent`) runs without it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from workers_db.settings import Settings

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app.  `test_config` may carry `GENBA_SETTINGS` (a `Settings`) and
    `GENBA_SESSION_FACTORY` (a sessionmaker bound to a test transaction)."""
    from flask import Flask

    from voice_app import admin, api, extensions, guards, health, twilio, vonage
    from voice_app.sessions import WebhookFreeSessions

    app = Flask(__name__, instance_relative_config=False)
    app.session_interface = WebhookFreeSessions()
    config = dict(test_config or {})
    settings: Settings = config.pop("GENBA_SETTINGS", None) or Settings.from_env()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        JSON_AS_ASCII=False,
    )
    app.config.update(config)
    app.config["GENBA_SETTINGS"] = settings
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    _configure_logging(app)

    extensions.init_app(app, settings, config.get("GENBA_SESSION_FACTORY"))
    guards.init_app(app)  # oversized bodies refused before any work
    app.register_blueprint(health.bp)
    api.register(app)
    twilio.register(app)
    vonage.register(app)
    admin.register(app)
    return app


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # That format shows no source file or line: logging need not walk the stack for them
        # on every line (the logging HOWTO's "Optimization"; ~1 % of a zero-key check-in).
        logging._srcfile = None
    app.logger.setLevel(logging.INFO)
    # Alembic narrates every schema check ("Context impl …"); the CLI says what matters itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)
