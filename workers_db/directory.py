"""Look-ups by the keys people type: a site's code, a company's name, a worker's 技能者ID or
phone.  Used by the CLI and the demo data; the caller look-up of a call is `workers_db`'s
intake side."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.models import Company, Phone, Site, Worker


def site_by_code(session: Session, code: str) -> Site | None:
    """The site with this code, active or not."""
    return session.scalar(select(Site).where(Site.site_code == code))


def site_codes(session: Session) -> dict[int, str]:
    return {site_id: code for site_id, code in session.execute(select(Site.id, Site.site_code))}


def company_by_name(session: Session, name: str) -> Company | None:
    return session.scalar(select(Company).where(Company.name == name).order_by(Company.id).limit(1))


def worker_by_ccus_id(session: Session, ccus_worker_id: str) -> Worker | None:
    return session.scalar(select(Worker).where(Worker.ccus_worker_id == ccus_worker_id))


def worker_by_phone(session: Session, e164: str) -> Worker | None:
    return session.scalar(select(Worker).join(Phone).where(Phone.e164 == e164))


def worker_by_name(session: Session, company_id: int, name: str) -> Worker | None:
    return session.scalar(
        select(Worker).where(Worker.name == name, Worker.company_id == company_id)
    )
