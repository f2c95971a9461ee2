"""voice_app.twilio: the voice webhooks (see `views`), registered by the app factory."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from voice_app.twilio.views import bp

    app.register_blueprint(bp)
