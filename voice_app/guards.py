"""Requests refused before any work: bodies larger than the route can need.

`MAX_CONTENT_LENGTH` (8 MiB, `create_app`) stays the ceiling for the admin UI's CSV upload.
The routes the outside world posts to at volume get much less: a Twilio webhook is a few
hundred bytes of form fields, a batch of 1,000 card touches about 200 KB of JSON.  A
`Content-Length` over the limit gets 413 before the body is read, the signature is checked
or the database is touched; a chunked body without a length is cut off at the same limit
while it is read (Flask's per-request `max_content_length`).
"""

from __future__ import annotations

from flask import Flask
from flask.globals import request_ctx
from werkzeug.exceptions import RequestEntityTooLarge

TWILIO_MAX_BODY = 64 * 1024
TOUCHES_MAX_BODY = 1024 * 1024
_LIMITS = (("/twilio/", TWILIO_MAX_BODY), ("/api/v1/touches", TOUCHES_MAX_BODY))


def body_limit(path: str) -> int | None:
    for prefix, limit in _LIMITS:
        if path.startswith(prefix):
            return limit
    return None


def _refuse_oversized_bodies() -> None:
    current = request_ctx.request  # not the proxy: one look-up for every request's three reads
    limit = body_limit(current.path)
    if limit is None:
        return
    current.max_content_length = limit
    length = current.content_length
    if length is not None and length > limit:
        raise RequestEntityTooLarge(f"the body is {length} bytes; this route takes at most {limit}")


def init_app(app: Flask) -> None:
    app.before_request(_refuse_oversized_bodies)
