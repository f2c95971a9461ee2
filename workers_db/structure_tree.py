"""Reading the 施工体制 of one site as a tree (the admin structure page); the changes to it
are in workers_db.structure."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.models import Company, Event, SiteCompany, Worker


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


def companies_in_tree(session: Session, site_id: int) -> dict[int, str]:
    """The names of the site's companies (parents to choose from), by tier then name."""
    return dict(
        session.execute(
            select(SiteCompany.company_id, Company.name)
            .join(Company, Company.id == SiteCompany.company_id)
            .where(SiteCompany.site_id == site_id)
            .order_by(SiteCompany.tier.nulls_last(), Company.name)
        ).all()
    )


def has_unconfirmed(session: Session, site_id: int) -> bool:
    return (
        session.scalar(
            select(SiteCompany.id)
            .where(SiteCompany.site_id == site_id, SiteCompany.confirmed.is_(False))
            .limit(1)
        )
        is not None
    )


def workers_today_by_company(session: Session, site_id: int, work_date: object) -> dict[int, int]:
    return dict(
        session.execute(
            select(Worker.company_id, func.count(func.distinct(Event.worker_id)))
            .join(Worker, Worker.id == Event.worker_id)
            .where(Event.site_id == site_id, Event.work_date == work_date)
            .group_by(Worker.company_id)
        ).all()
    )
