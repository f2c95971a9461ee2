"""voice_app.vonage: the same call flow on Vonage's Voice API (NCCO), registered by the app
factory.  See docs/providers.md."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from voice_app.vonage.views import bp

    app.register_blueprint(bp)
