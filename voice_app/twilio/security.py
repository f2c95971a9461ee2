"""X-Twilio-Signature, checked before anything else, failing closed.

The URL signed is `PUBLIC_BASE_URL` + path + query string, never the client-sent Host or
X-Forwarded-* headers.  Without PUBLIC_BASE_URL (development, the demo) it is the address the
server itself listens on (the WSGI `SERVER_NAME`/`SERVER_PORT`), again not a header.  Without
TWILIO_AUTH_TOKEN every request is refused, and the log says why.
"""

from __future__ import annotations

import logging

from flask import Request
from twilio.request_validator import RequestValidator

from workers_db.identifiers import mask_phone
from workers_db.settings import Settings

log = logging.getLogger(__name__)


def signed_url(request: Request, settings: Settings) -> str:
    base = settings.public_base_url
    if not base:
        environ = request.environ
        base = f"{environ['wsgi.url_scheme']}://{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


def refusal(request: Request, settings: Settings) -> str | None:
    """Why this request must be refused with 403, or None when it is Twilio's."""
    token = settings.twilio_auth_token
    if not token:
        return (
            "TWILIO_AUTH_TOKEN is not set: every /twilio/* request is refused until it is "
            "(set it to the Twilio account's auth token)"
        )
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return "no X-Twilio-Signature header"
    url = signed_url(request, settings)
    if not RequestValidator(token).validate(url, request.form, signature):
        return (
            f"X-Twilio-Signature does not match {url} (caller "
            f"{mask_phone(request.form.get('From', '')[:40])}); check PUBLIC_BASE_URL and the token"
        )
    return None
