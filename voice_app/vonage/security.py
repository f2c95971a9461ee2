"""Vonage's signed webhooks, checked before anything else, failing closed.

Every request carries `Authorization: Bearer <JWT>`, HS256 with the account's signature
secret (`VONAGE_SIGNATURE_SECRET`).  The token is verified with PyJWT; its `payload_hash`
claim must be the hex SHA-256 of the raw body (so the body cannot be swapped under a valid
token) and its `iat` within five minutes of the webhook's clock (so an old token cannot be
replayed).  Without the secret every `/vonage/*` request is refused, and the log says why.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import jwt
from flask import Request

from workers_db.settings import Settings

MAX_AGE_S = 300


def refusal(request: Request, settings: Settings, now: datetime) -> str | None:
    """Why this request must be refused with 403, or None when Vonage signed it."""
    secret = settings.vonage_signature_secret
    if not secret:
        return (
            "VONAGE_SIGNATURE_SECRET is not set: every /vonage/* request is refused until it "
            "is (set it to the Vonage account's signature secret)"
        )
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "no Authorization: Bearer token"
    try:
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=["HS256"],
            options={"require": ["iat"], "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        return f"the JWT is not valid ({type(exc).__name__})"
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or abs(now.timestamp() - iat) > MAX_AGE_S:
        return "the JWT's iat is not within five minutes"
    digest = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    if not hmac.compare_digest(str(claims.get("payload_hash", "")), digest):
        return "the JWT's payload_hash does not match the body"
    return None


def sign(body: bytes, secret: str, iat: int) -> str:
    """A token as Vonage makes it (for the call simulator and the tests)."""
    claims = {"iat": iat, "jti": hashlib.sha256(body + str(iat).encode()).hexdigest()[:32]}
    claims["payload_hash"] = hashlib.sha256(body).hexdigest()
    return jwt.encode(claims, secret, algorithm="HS256")
