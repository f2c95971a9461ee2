"""The 施工体制 of one site as a tree, and keeping its tiers consistent after a change.

The tier of a company is its depth under the prime (prime 0, 一次 1, 二次 2, …): after any
change the whole tree's tiers are recomputed from the parents, so moving a company moves its
subcontractors with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.models import Company, Event, SiteCompany, Worker

MAX_TIER = 9


@dataclass
class Node:
    edge: SiteCompany
    company: Company
    workers_today: int = 0
    children: list[Node] = field(default_factory=list)

    def subtree_ids(self) -> set[int]:
        """This company and every company under it (none of them may become its parent)."""
        ids = {self.company.id}
        for child in self.children:
            ids |= child.subtree_ids()
        return ids


def load_tree(session: Session, site_id: int, today_counts: dict[int, int]) -> list[Node]:
    rows = session.execute(
        select(SiteCompany, Company)
        .join(Company, Company.id == SiteCompany.company_id)
        .where(SiteCompany.site_id == site_id)
        .order_by(SiteCompany.tier.nulls_last(), Company.name)
    ).all()
    nodes = {
        edge.company_id: Node(edge, company, today_counts.get(company.id, 0))
        for edge, company in rows
    }
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.edge.parent_company_id or -1)
        if parent is None or parent is node:
            roots.append(node)
        else:
            parent.children.append(node)
    roots.sort(key=lambda n: (n.edge.tier != 0, n.edge.tier is None, n.company.name))
    return roots


def workers_today_by_company(session: Session, site_id: int, work_date: object) -> dict[int, int]:
    return dict(
        session.execute(
            select(Worker.company_id, func.count(func.distinct(Event.worker_id)))
            .join(Worker, Worker.id == Event.worker_id)
            .where(Event.site_id == site_id, Event.work_date == work_date)
            .group_by(Worker.company_id)
        ).all()
    )


def descendants(session: Session, site_id: int, company_id: int) -> set[int]:
    """The companies under `company_id` at this site (to refuse a parent that makes a loop)."""
    children: dict[int, list[int]] = {}
    for edge in session.scalars(select(SiteCompany).where(SiteCompany.site_id == site_id)):
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


def recompute_tiers(session: Session, site_id: int, prime_company_id: int) -> None:
    edges = {
        e.company_id: e
        for e in session.scalars(select(SiteCompany).where(SiteCompany.site_id == site_id))
    }
    prime = edges.get(prime_company_id)
    if prime is not None:
        prime.tier = 0
        prime.parent_company_id = None
    depth: dict[int, int] = {prime_company_id: 0}

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
        if company_id == prime_company_id:
            continue
        tier = tier_of(company_id, frozenset())
        if tier is not None:
            edge.tier = max(tier, 1)
    session.flush()
