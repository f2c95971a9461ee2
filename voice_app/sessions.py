"""The admin UI's signed-cookie session, never opened for the telephony webhooks.

Flask opens the session of every request before routing it: a signing serializer built and,
at the end, the session saved.  A webhook of Twilio or Vonage carries no cookie of ours and
reads or writes no session (its caller is identified by the signed form), so for their paths
`open_session` answers None and Flask uses its empty, read-only `NullSession`.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

WEBHOOK_PREFIXES = ("/twilio/", "/vonage/")


class WebhookFreeSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(WEBHOOK_PREFIXES):
            return None
        return super().open_session(app, request)
