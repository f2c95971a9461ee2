"""The 施工体制 (contract tree) of a site: every change to it goes through here.

- `place_company`: a site's manager puts a company under a parent (default: the prime), or
  moves or confirms one already there (the admin structure page, the company form,
  `POST /api/v1/site-companies`);
- `remove_company`: takes a company out; its subcontractors move up to its parent;
- `add_call_edge`: a call from a worker of a company not yet in the tree adds it
  *unconfirmed* (source `call`), which widens nobody's scope (workers_db.scope);
- `add_site_company`: the same placement for trusted callers without a principal (CSV
  import, demo data).

Tiers are always the depth under the prime (prime 0, 一次 1, 二次 2, …), recomputed for the
whole site after every change, so moving a company moves its subcontractors with it; a parent
inside the company's own subtree (a loop) is refused.  Each operation writes its audit row.
"""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from workers_db.audit import audit, system_actor
from workers_db.db import insert_ignoring_conflict
from workers_db.errors import FieldProblem, Forbidden, NotFound, ValidationFailed
from workers_db.models import Company, Site, SiteCompany
from workers_db.resolutions import resolve_structure_exceptions
from workers_db.scope import Principal, may_place_company, site_or_raise

MAX_TIER = 9
CALL_ACTOR = system_actor("call")  # the edge a phone call (any voice provider) added
_EDGES: Table = SiteCompany.__table__  # type: ignore[assignment]


def edges_of(session: Session, site_id: int) -> dict[int, SiteCompany]:
    """The site's edges by company id."""
    return {
        e.company_id: e
        for e in session.scalars(select(SiteCompany).where(SiteCompany.site_id == site_id))
    }


def descendants(edges: dict[int, SiteCompany], company_id: int) -> set[int]:
    """The companies under `company_id` (none of them may become its parent)."""
    children: dict[int, list[int]] = {}
    for edge in edges.values():
        if edge.parent_company_id is not None:
            children.setdefault(edge.parent_company_id, []).append(edge.company_id)
    found: set[int] = set()
    stack = [company_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def recompute_tiers(session: Session, site_id: int) -> None:
    """Every edge's tier from its parents: the prime 0, each level one more (at most 9)."""
    site = session.get(Site, site_id)
    assert site is not None
    prime_id = site.prime_company_id
    edges = edges_of(session, site_id)
    prime = edges.get(prime_id)
    if prime is not None:
        prime.tier, prime.parent_company_id = 0, None
    depth: dict[int, int] = {prime_id: 0}

    def tier_of(company_id: int, seen: frozenset[int]) -> int | None:
        if company_id in depth:
            return depth[company_id]
        edge = edges.get(company_id)
        if edge is None or edge.parent_company_id is None or company_id in seen:
            return None
        parent_tier = tier_of(edge.parent_company_id, seen | {company_id})
        if parent_tier is None:
            return None
        depth[company_id] = min(parent_tier + 1, MAX_TIER)
        return depth[company_id]

    for company_id, edge in edges.items():
        if company_id != prime_id:
            tier = tier_of(company_id, frozenset())
            if tier is not None:
                edge.tier = max(tier, 1)
    session.flush()


def _checked_parent(
    site: Site,
    edges: dict[int, SiteCompany],
    company_id: int,
    parent_id: int | None,
    tier: int | None,
) -> int:
    """The parent (default the prime), refused when it is not a confirmed company of the
    site, is the company itself or one under it, or when `tier` is not its tier + 1."""
    if company_id == site.prime_company_id:
        raise ValidationFailed.one("company_id", "structure.prime_is_root")
    parent_id = site.prime_company_id if parent_id is None else parent_id
    parent = edges.get(parent_id)
    if parent_id == company_id:
        raise ValidationFailed.one("parent_company_id", "structure.own_parent")
    if parent is None or not parent.confirmed:
        raise ValidationFailed.one(
            "parent_company_id", "structure.parent_outside", {"parent_id": parent_id}
        )
    if parent_id in descendants(edges, company_id):
        raise ValidationFailed.one("parent_company_id", "structure.loop", {"parent_id": parent_id})
    expected = min((parent.tier or 0) + 1, MAX_TIER)
    if tier is not None and tier != expected:
        raise ValidationFailed.one(
            "tier",
            "structure.tier_of_child",
            {"parent_id": parent_id, "parent_tier": parent.tier or 0, "expected": expected},
        )
    return parent_id


def _place(
    session: Session,
    site: Site,
    company_id: int,
    parent_id: int | None,
    tier: int | None,
    source: str,
    actor: str | None,
) -> SiteCompany:
    edges = edges_of(session, site.id)
    parent_id = _checked_parent(site, edges, company_id, parent_id, tier)
    edge = edges.get(company_id)
    before = (
        None
        if edge is None
        else {
            "parent_company_id": edge.parent_company_id,
            "tier": edge.tier,
            "confirmed": edge.confirmed,
        }
    )
    if edge is None:
        edge = SiteCompany(site_id=site.id, company_id=company_id)
        session.add(edge)
    edge.parent_company_id, edge.source, edge.confirmed = parent_id, source, True
    session.flush()
    recompute_tiers(session, site.id)
    if actor is not None:
        action = (
            "structure_add"
            if before is None
            else "structure_confirm"
            if not before["confirmed"]
            else "structure_move"
        )
        audit(
            session,
            actor,
            action,
            "site_company",
            edge.id,
            site_id=site.id,
            company_id=company_id,
            parent_company_id=parent_id,
            tier=edge.tier,
            source=source,
            before=before,
        )
    return edge


def place_company(
    session: Session,
    principal: Principal,
    site_id: int,
    company_id: int,
    parent_company_id: int | None = None,
    tier: int | None = None,
    source: str = "api",
) -> SiteCompany:
    """Put a company into the site's 施工体制 (confirmed), or move or confirm it there.

    The principal must manage the site (`Forbidden`/`NotFound`) and may place only a company
    already in the site's tree (confirming or moving it) or one `may_place_company` allows
    (`Forbidden`, also for an unknown company id, so ids cannot be probed); an admin naming no
    company gets a 422 on `company_id`.
    """
    site = site_or_raise(session, principal, site_id, manage=True)
    edge = edges_of(session, site.id).get(company_id)
    if edge is None and not may_place_company(session, principal, company_id):
        raise Forbidden("scope.company_outside")
    if parent_company_id is not None and not principal.can_manage_company(
        session, parent_company_id
    ):
        raise Forbidden("scope.parent_outside")
    if session.get(Company, company_id) is None:
        raise ValidationFailed.one("company_id", "not_found")
    return _place(session, site, company_id, parent_company_id, tier, source, principal.actor)


def add_site_company(
    session: Session,
    site_id: int,
    company_id: int,
    parent_company_id: int | None = None,
    tier: int | None = None,
    source: str = "import",
    confirmed: bool = True,
    actor: str | None = None,
) -> SiteCompany:
    """`place_company` for callers that decided the scope themselves (the CSV import puts
    the companies it created at the chosen site; demo data; tests), audited when `actor` is
    given.  `confirmed=False` is `add_call_edge`: the edge a call would have added."""
    site = session.get(Site, site_id)
    problems: list[FieldProblem] = []
    if site is None:
        problems.append(FieldProblem("site_id", "not_found"))
    if session.get(Company, company_id) is None:
        problems.append(FieldProblem("company_id", "not_found"))
    if problems:
        raise ValidationFailed(problems)
    assert site is not None
    if confirmed:
        return _place(session, site, company_id, parent_company_id, tier, source, actor)
    add_call_edge(session, site_id, company_id, parent_company_id, tier)
    return edges_of(session, site_id)[company_id]


def remove_company(session: Session, principal: Principal, site_id: int, edge_id: int) -> None:
    """Take a company out of the site's tree; its subcontractors move up to its parent."""
    site = site_or_raise(session, principal, site_id, manage=True)
    edge = session.get(SiteCompany, edge_id)
    if edge is None or edge.site_id != site.id:
        raise NotFound()
    if edge.company_id == site.prime_company_id:
        raise ValidationFailed.one("company_id", "structure.prime_stays")
    new_parent = edge.parent_company_id or site.prime_company_id
    for child in edges_of(session, site.id).values():
        if child.parent_company_id == edge.company_id:
            child.parent_company_id = new_parent
    audit(
        session,
        principal.actor,
        "structure_remove",
        "site_company",
        edge.id,
        site_id=site.id,
        company_id=edge.company_id,
        parent_company_id=edge.parent_company_id,
    )
    session.delete(edge)
    session.flush()
    recompute_tiers(session, site.id)


def site_edge(session: Session, principal: Principal, site_id: int, edge_id: int) -> SiteCompany:
    """One edge of a site the principal manages (`NotFound` when it is not of that site)."""
    site = site_or_raise(session, principal, site_id, manage=True)
    edge = session.get(SiteCompany, edge_id)
    if edge is None or edge.site_id != site.id:
        raise NotFound()
    return edge


def confirm_company(
    session: Session,
    principal: Principal,
    site_id: int,
    edge_id: int,
    parent_company_id: int | None,
) -> SiteCompany:
    """Confirm a company a call added, under the chosen parent, or move a confirmed one."""
    edge = site_edge(session, principal, site_id, edge_id)
    site = session.get(Site, site_id)
    assert site is not None
    was_confirmed = edge.confirmed
    placed = _place(
        session, site, edge.company_id, parent_company_id, None, edge.source, principal.actor
    )
    if not was_confirmed:  # the office's answer to the call's question
        resolve_structure_exceptions(session, site_id, edge.company_id, principal.actor)
    return placed


def add_call_edge(
    session: Session,
    site_id: int,
    company_id: int,
    parent_company_id: int | None,
    tier: int | None,
) -> None:
    """A call's guess: the caller's company joins the site's tree unconfirmed (nothing
    happens when it is there already).  It widens nobody's scope until confirmed."""
    inserted = session.execute(
        insert_ignoring_conflict(session, _EDGES, ("site_id", "company_id")).returning(_EDGES.c.id),
        {
            "site_id": site_id,
            "company_id": company_id,
            "parent_company_id": parent_company_id,
            "tier": tier,
            "source": "call",
            "confirmed": False,
        },
    ).scalar()
    if inserted is not None:
        audit(
            session,
            CALL_ACTOR,
            "structure_add",
            "site_company",
            inserted,
            site_id=site_id,
            company_id=company_id,
            parent_company_id=parent_company_id,
            tier=tier,
            source="call",
            confirmed=False,
        )
