"""Searches whose text never appears in a URL (a phone number in `?q=` ends up in every proxy's
and server's access log).

Every search box of the admin UI POSTs to `/admin/search` (the text in the body, with the CSRF
token); the text is kept in the user's own session under a random token and the browser is
redirected to the page with `?s=<token>`, so the result is an ordinary page (reload, back and
page links work) whose URL says nothing.  Pages read the text with `search_text()`.  A plain
`?q=` is still read, for links and scripts that use it; the UI never writes one.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.utils import redirect

from voice_app.admin import bp
from voice_app.admin.security import login_required

SESSION_SEARCHES = "searches"
KEEP_SEARCHES = 8  # the newest few (the session is a cookie: keep it small)
SEARCH_PAGES = ("admin.workers", "admin.phones", "admin.cards", "admin.companies")
# Filters that may stay in the URL: they carry no personal data.
CARRIED_FILTERS = ("show", "company_id")


@bp.post("/search")
@login_required()
def search() -> ResponseReturnValue:
    target = request.form.get("to", "")
    if target not in SEARCH_PAGES:
        abort(400)
    args: dict[str, Any] = {k: request.form[k] for k in CARRIED_FILTERS if request.form.get(k)}
    text = (request.form.get("q") or "").strip()
    if text:
        token = secrets.token_urlsafe(12)
        saved = [pair for pair in session.get(SESSION_SEARCHES) or [] if len(pair) == 2]
        session[SESSION_SEARCHES] = [*saved, [token, text]][-KEEP_SEARCHES:]
        args["s"] = token
    return redirect(url_for(target, **args))


def search_text() -> str:
    """The search of this request: by its token (`?s=`), else a plain `?q=`."""
    token = request.args.get("s")
    if token:
        for saved_token, text in session.get(SESSION_SEARCHES) or []:
            if saved_token == token:
                return str(text)
        return ""
    return (request.args.get("q") or "").strip()
