"""Who is asking and what they may see: one rule for API tokens and admin logins alike.

The rule (docs/scope.md tells it for users):

- `admin` sees and changes everything;
- `prime_admin` (one prime contractor) its prime's sites, the companies in those sites'
  CONFIRMED 施工体制, and its own company;
- `site_admin` (one site) its site and the companies in its CONFIRMED 施工体制;
- `company_admin` (one subcontractor) its own company's workers, and the sites where its
  company has a CONFIRMED edge;
- `device` (a reader) its site only.

An edge a call added (`SiteCompany.confirmed` false, source `call`) widens nobody's scope until
a manager of the site confirms it (workers_db.structure).

The rule is applied inside the queries: `scope_sites`, `scope_companies` and `scope_workers`
add a filter (a sub-select, not a list fetched first) to a statement; the `*_or_raise`
look-ups answer `NotFound` or `Forbidden` (workers_db.errors), which the API turns into 404/403
and the admin UI into abort(404/403).  A worker the caller may not see is answered like an
unknown one (`NotFound`), so worker ids cannot be probed; a site or company outside the scope
is `Forbidden`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, exists, false, select, union
from sqlalchemy.orm import Session

from workers_db.audit import actor_of
from workers_db.errors import Forbidden, NotFound
from workers_db.models import AuditEntry, Company, Site, SiteCompany, Worker

S = TypeVar("S", bound=Select[*tuple[Any, ...]])

ROLES = ("admin", "prime_admin", "site_admin", "company_admin", "device")
MANAGER_ROLES = ("admin", "prime_admin", "site_admin")


@dataclass(frozen=True)
class Principal:
    """The caller: an API token (`token_id`) or an admin-UI login (`user_id`)."""

    role: str  # one of ROLES
    name: str
    site_id: int | None = None
    company_id: int | None = None
    token_id: int | None = None
    user_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def own_company_only(self) -> int | None:
        """A company_admin's company: its views of a site show only its own workers' rows."""
        return self.company_id if self.role == "company_admin" else None

    def speaks_for_prime(self, prime_company_id: int) -> bool:
        """An admin, or that prime's own prime_admin: who sees a member company's figures
        across its sites and sets its targets (a site_admin sees one site's figures, never
        the prime's; a company_admin neither)."""
        return self.is_admin or (self.role == "prime_admin" and self.company_id == prime_company_id)

    @property
    def actor(self) -> str:
        """How the audit trail names this caller (`token:<id>`, `user:<id>`: workers_db.audit)."""
        return actor_of(self)

    # The methods below are the rule read as sets, for code that needs the ids themselves.

    def visible_site_ids(self, session: Session) -> set[int] | None:
        """None means every site."""
        ids = site_ids_select(self)
        return None if ids is None else set(session.scalars(ids))

    def visible_company_ids(self, session: Session) -> set[int] | None:
        """Companies whose workers this principal may see; None means all."""
        ids = company_ids_select(self)
        return None if ids is None else set(session.scalars(ids))

    def can_see_site(self, session: Session, site_id: int) -> bool:
        return _contains(session, site_ids_select(self), site_id)

    def can_manage_site(self, session: Session, site_id: int) -> bool:
        """Change a site's settings, structure, roster, exceptions: a manager who sees it."""
        return self.role in MANAGER_ROLES and self.can_see_site(session, site_id)

    def can_manage_company(self, session: Session, company_id: int) -> bool:
        """See the company and its workers (and register workers into it)."""
        return _contains(session, company_ids_select(self), company_id)

    def can_see_worker(self, session: Session, worker: Worker) -> bool:
        return self.can_manage_company(session, worker.company_id)


# ---------------------------------------------------------------- the rule as sub-selects


def _confirmed() -> ColumnElement[bool]:
    return SiteCompany.confirmed.is_(True)


def site_ids_select(principal: Principal) -> Select[int] | None:
    """The ids of the sites the principal sees, as a sub-select; None means every site."""
    role = principal.role
    if role == "admin":
        return None
    if role in ("site_admin", "device"):
        return select(Site.id).where(Site.id == principal.site_id)
    if role == "prime_admin":
        return select(Site.id).where(Site.prime_company_id == principal.company_id)
    if role == "company_admin":
        return select(SiteCompany.site_id).where(
            SiteCompany.company_id == principal.company_id, _confirmed()
        )
    return select(Site.id).where(false())


def company_ids_select(principal: Principal) -> Select[int] | None:
    """The ids of the companies whose workers the principal sees; None means every company."""
    role = principal.role
    if role == "admin":
        return None
    if role == "company_admin":
        return select(Company.id).where(Company.id == principal.company_id)
    sites = site_ids_select(principal)
    assert sites is not None
    in_structure = select(SiteCompany.company_id).where(
        SiteCompany.site_id.in_(sites), _confirmed()
    )
    if role == "prime_admin":
        own = select(Company.id).where(Company.id == principal.company_id)
        return select(union(in_structure, own).subquery().c[0])
    return in_structure


def _contains(session: Session, ids: Select[int] | None, ident: int) -> bool:
    if ids is None:
        return True
    return bool(session.scalar(select(exists().where(ids.subquery().c[0] == ident))))


def scope_sites(stmt: S, principal: Principal, column: Any = Site.id) -> S:
    """Limit a statement to rows whose `column` (a site id) the principal sees."""
    ids = site_ids_select(principal)
    return stmt if ids is None else stmt.where(column.in_(ids))


def scope_companies(stmt: S, principal: Principal, column: Any = Company.id) -> S:
    """Limit a statement to rows whose `column` (a company id) the principal sees."""
    ids = company_ids_select(principal)
    return stmt if ids is None else stmt.where(column.in_(ids))


def scope_workers(stmt: S, principal: Principal, column: Any = Worker.company_id) -> S:
    """Limit a statement over `Worker` (joined or selected) to the workers the principal
    sees; `column` is the worker's company id."""
    return scope_companies(stmt, principal, column)


# ---------------------------------------------------------------- look-ups that refuse


def site_or_raise(
    session: Session, principal: Principal, site_id: int, manage: bool = False
) -> Site:
    """The site; `NotFound` when there is none, `Forbidden` when the principal may not see
    it (or, with `manage`, may not change it)."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(field="site_id")
    allowed = (
        principal.can_manage_site(session, site_id)
        if manage
        else principal.can_see_site(session, site_id)
    )
    if not allowed:
        raise Forbidden("scope.site_outside")
    return site


def company_or_raise(session: Session, principal: Principal, company_id: int) -> Company:
    """The company; `NotFound` when there is none, `Forbidden` outside the scope."""
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(field="company_id")
    if not principal.can_manage_company(session, company_id):
        raise Forbidden("scope.company_outside")
    return company


def worker_or_raise(session: Session, principal: Principal, worker_id: int) -> Worker:
    """The worker; `NotFound` alike when there is none and when the principal may not see it
    (whether a worker id exists is itself not told)."""
    worker = session.get(Worker, worker_id)
    if worker is None or not principal.can_see_worker(session, worker):
        raise NotFound(field="worker_id")
    return worker


def entry_worker_or_raise(
    session: Session, principal: Principal, site_id: int, worker_id: int, manage: bool = False
) -> tuple[Site, Worker]:
    """The site and worker of a roster day or a 事後登録, or the refusal, before anything is
    written: the site must be visible (`manage`: manageable), else `Forbidden`; the worker in
    the caller's scope, else `NotFound` (a company_admin's scope is its own workers).  The
    roster, the manual entries of the API and the admin 事後登録 form all call this."""
    site = site_or_raise(session, principal, site_id, manage=manage)
    worker = worker_or_raise(session, principal, worker_id)
    return site, worker


# ---------------------------------------------------------------- who may place a company


def created_by(session: Session, principal: Principal, company_id: int) -> bool:
    """Did this very caller (token or login) create the company?  Read from the audit row
    its creation left."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    AuditEntry.object_type == "company",
                    AuditEntry.object_id == str(company_id),
                    AuditEntry.action == "create_company",
                    AuditEntry.actor == principal.actor,
                )
            )
        )
    )


def may_place_company(session: Session, principal: Principal, company_id: int) -> bool:
    """May the principal put this company into (or move it within) a site's 施工体制?

    An admin any company; a prime_admin or site_admin a company it already sees (its own
    prime, or one confirmed in one of its sites) or one it created itself.  Anything else
    (another prime's subcontractor, a company only a call brought in) stays out.
    """
    if principal.is_admin:
        return True
    if principal.role not in MANAGER_ROLES:
        return False
    return principal.can_manage_company(session, company_id) or created_by(
        session, principal, company_id
    )


def own_workers_only(stmt: S, principal: Principal, worker_column: Any) -> S:
    """A company_admin sees the rows about its own company's workers only (events, work
    records, exceptions of a site it sees)."""
    if principal.role != "company_admin":
        return stmt
    own = select(Worker.id).where(Worker.company_id == principal.company_id)
    return stmt.where(worker_column.in_(own))
