"""The signed-in user's scope in the admin UI: the one rule of `workers_db.scope`, with the
refusals turned into the UI's error pages.

`NotFound` becomes 404 and `Forbidden` 403 (an object outside the user's scope; a worker
outside it is 404 like an unknown one).  `refusing` does the same for any workers_db operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import abort
from sqlalchemy import Select

from voice_app.admin.security import current_principal
from voice_app.extensions import db
from workers_db import scope
from workers_db.errors import Forbidden, NotFound
from workers_db.models import Company, Site, Worker
from workers_db.scope_lists import companies_in_scope, sites_in_scope

S = TypeVar("S", bound=Select[*tuple[Any, ...]])
T = TypeVar("T")


@contextmanager
def refusing() -> Iterator[None]:
    """abort(404) on `NotFound`, abort(403) on `Forbidden` raised inside the block."""
    try:
        yield
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)


def _call(lookup: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with refusing():
        return lookup(db(), current_principal(), *args, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover


def visible_sites(active_only: bool = False) -> list[Site]:
    return sites_in_scope(db(), current_principal(), by_name=True, active_only=active_only)


def site_or_abort(site_id: int, manage: bool = False) -> Site:
    """The site if visible (and manageable when `manage`), else 404/403."""
    return _call(scope.site_or_raise, site_id, manage=manage)


def company_or_abort(company_id: int) -> Company:
    return _call(scope.company_or_raise, company_id)


def worker_or_abort(worker_id: int) -> Worker:
    return _call(scope.worker_or_raise, worker_id)


def scope_companies(stmt: S) -> S:
    """Limit a statement over `Company` to the companies the user may see."""
    return scope.scope_companies(stmt, current_principal())


def scope_workers(stmt: S) -> S:
    """Limit a statement over `Worker` to the workers of the companies the user may see."""
    return scope.scope_workers(stmt, current_principal())


def company_choices(active_only: bool = True) -> list[Company]:
    return companies_in_scope(db(), current_principal(), by_name=True, active_only=active_only)


def site_ids_in_scope() -> set[int] | None:
    """None means every site (admin)."""
    return current_principal().visible_site_ids(db())


def own_company_only() -> int | None:
    """A company_admin's company: their views of a site show only their own workers."""
    return current_principal().own_company_only
