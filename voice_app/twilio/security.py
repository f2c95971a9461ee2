"""X-Twilio-Signature, checked before anything else, failing closed.

The URL signed is `PUBLIC_BASE_URL` + path + query string, never the client-sent Host or
X-Forwarded-* headers.  Without PUBLIC_BASE_URL (development, the demo) it is the address the
server itself listens on (the WSGI `SERVER_NAME`/`SERVER_PORT`), again not a header.  Without
TWILIO_AUTH_TOKEN every request is refused, and the log says why.

The check is twilio's `RequestValidator`.  Its `validate` computes two HMACs on every request
(the URL with and without its port, since Twilio's own signing is inconsistent about ports);
`signature_matches` first computes the one for the URL exactly as it is signed here, and only
when that does not match asks `validate` for the other forms: one HMAC for Twilio's requests,
and every request that `validate` refuses is still refused.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator

from flask import Request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from workers_db.identifiers import mask_phone
from workers_db.settings import Settings

log = logging.getLogger(__name__)


# GENBA_TWIML_SIGNATURE: whose signature header the TwiML routes read.  SignalWire signs its
# cXML webhooks the way Twilio does (HMAC-SHA1 of URL and sorted form fields, base64) with the
# project's signing key (put it in TWILIO_AUTH_TOKEN), in its own header; see docs/providers.md.
SIGNATURE_HEADERS: dict[str, tuple[str, ...]] = {
    "twilio": ("X-Twilio-Signature",),
    "signalwire": ("X-SignalWire-Signature", "X-Twilio-Signature"),
}


def base_url(request: Request, settings: Settings) -> str:
    """`PUBLIC_BASE_URL`, else the address the server listens on (never a client header)."""
    if settings.public_base_url:
        return settings.public_base_url
    environ = request.environ
    return f"{environ['wsgi.url_scheme']}://{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"


def signed_url(request: Request, settings: Settings) -> str:
    query = request.query_string.decode("latin-1")
    return base_url(request, settings) + request.path + (f"?{query}" if query else "")


def refusal(request: Request, settings: Settings) -> str | None:
    """Why this request must be refused with 403, or None when it is Twilio's."""
    token = settings.twilio_auth_token
    if not token:
        return (
            "TWILIO_AUTH_TOKEN is not set: every /twilio/* request is refused until it is "
            "(set it to the Twilio account's auth token)"
        )
    headers = SIGNATURE_HEADERS[settings.twiml_signature]
    header = next((h for h in headers if request.headers.get(h)), headers[0])
    signature = request.headers.get(header, "")
    if not signature:
        return f"no {header} header"
    url = signed_url(request, settings)
    if not signature_matches(RequestValidator(token), url, request.form, signature):
        return (
            f"{header} does not match {url} (caller "
            f"{mask_phone(request.form.get('From', '')[:40])}); check PUBLIC_BASE_URL and the token"
        )
    return None


def signature_matches(
    validator: RequestValidator, url: str, form: MultiDict[str, str], signature: str
) -> bool:
    """`validator.validate(url, form, signature)`, computing the signature of `url` itself first
    (Twilio signs the URL it was given, which is the one `signed_url` rebuilds)."""
    expected = validator.compute_signature(url, _Values(form))
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return True
    return bool(validator.validate(url, form, signature))


class _Values:
    """The form as twilio's `compute_signature` reads it: the field names, and each field's
    values by `getall` (the name it tries first; on Werkzeug's MultiDict, which calls it
    `getlist`, it would raise and catch an AttributeError for every field)."""

    def __init__(self, form: MultiDict[str, str]) -> None:
        self.form = form

    def __iter__(self) -> Iterator[str]:
        return iter(self.form)

    def __len__(self) -> int:
        return len(self.form)

    def getall(self, name: str) -> list[str]:
        return self.form.getlist(name)
