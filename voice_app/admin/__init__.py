"""voice_app.admin: the site office (現場事務所) web UI under /admin.

Server-rendered pages (Flask + Jinja2), Japanese by default with English selectable, usable on
a phone.  One module per page family registers its views on `bp`: `auth` (login, language),
`sites`, `board` (today's board, 事後登録), `registry` (companies, workers, phones, cards),
`imports` (CSV upload), `structure` (施工体制), `exceptions`, `stats`, `exports` and
`users` (logins).

Every view goes through `security.login_required`; what a user sees and changes is limited in
the queries by `workers_db.scope` (see `scoping`, docs/scope.md), never only in the templates.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def register(app: Flask) -> None:
    """Called by `create_app`, the one place that lists the view modules: each registers its
    views on `bp` when imported, and imports `bp` from here (never the other way round)."""
    from voice_app.admin import (  # noqa: F401
        auth,
        board,
        common,
        documents,
        exceptions,
        exports,
        imports,
        picker,
        profile,
        registry,
        searches,
        security,
        sites,
        stats,
        structure,
        targets,
        users,
        workers,
    )

    app.register_blueprint(bp)
