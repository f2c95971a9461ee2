"""Who is asking and what they may see: one `Principal` for API tokens and admin logins.

Scoping is applied in queries (`visible_site_ids`, `visible_company_ids`), not in templates:
an admin sees everything, a prime_admin the sites whose prime is their company, a site_admin
one site, a company_admin the workers of one subcontractor (and the sites where it works).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.models import Site, SiteCompany, Worker


@dataclass(frozen=True)
class Principal:
    role: str  # admin, prime_admin, site_admin, company_admin, device
    name: str
    site_id: int | None = None
    company_id: int | None = None
    token_id: int | None = None
    user_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def visible_site_ids(self, session: Session) -> set[int] | None:
        """None means every site."""
        if self.role == "admin":
            return None
        if self.role in ("site_admin", "device"):
            return {self.site_id} if self.site_id is not None else set()
        if self.role == "prime_admin":
            return set(
                session.scalars(select(Site.id).where(Site.prime_company_id == self.company_id))
            )
        if self.role == "company_admin":
            return set(
                session.scalars(
                    select(SiteCompany.site_id).where(SiteCompany.company_id == self.company_id)
                )
            )
        return set()

    def can_see_site(self, session: Session, site_id: int) -> bool:
        ids = self.visible_site_ids(session)
        return ids is None or site_id in ids

    def can_manage_site(self, session: Session, site_id: int) -> bool:
        """Change a site's settings, structure, roster, exceptions: not a company_admin."""
        return (
            self.role != "company_admin"
            and self.role != "device"
            and self.can_see_site(session, site_id)
        )

    def visible_company_ids(self, session: Session) -> set[int] | None:
        """Companies whose workers this principal may see; None means all."""
        if self.role == "admin":
            return None
        if self.role == "company_admin":
            return {self.company_id} if self.company_id is not None else set()
        site_ids = self.visible_site_ids(session) or set()
        if not site_ids:
            return set()
        companies = set(
            session.scalars(select(SiteCompany.company_id).where(SiteCompany.site_id.in_(site_ids)))
        )
        if self.role == "prime_admin" and self.company_id is not None:
            companies.add(self.company_id)
        return companies

    def can_manage_company(self, session: Session, company_id: int) -> bool:
        ids = self.visible_company_ids(session)
        return ids is None or company_id in ids

    def can_see_worker(self, session: Session, worker: Worker) -> bool:
        return self.can_manage_company(session, worker.company_id)
