"""What the statistics say about sites and member companies beyond the counts: site facts,
readiness (現場登録, カードリーダー設置・稼働), 施工体制 tiers, and progress against a member
company's target and commitment for the fiscal year, pro-rated to the elapsed share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.models import ApiToken, Event, Site, SiteCompany, Target, WorkRecord

READER_ACTIVE_DAYS = 7  # a reader is 稼働 if it uploaded within this many days
LARGE_CONTRACT_YEN = 100_000_000  # sites of contracts this large must have a reader


def fiscal_year_of(day: date) -> int:
    """Japanese fiscal year (年度): April to March, named by the year it starts in."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_range(fiscal_year: int) -> tuple[date, date]:
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)


def month_range(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def rate(numerator: int, denominator: int) -> float | None:
    """A share in [0, 1], or None when there is nothing to divide by."""
    return None if denominator == 0 else numerator / denominator


def site_info(session: Session, site_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    return {
        s.id: {
            "site_id": s.id,
            "site_code": s.site_code,
            "name": s.name,
            "prime_company_id": s.prime_company_id,
            "registered_in_ccus": s.registered_in_ccus,
            "model_works": s.model_works,
            "contract_amount_yen": s.contract_amount_yen,
        }
        for s in session.scalars(select(Site).where(Site.id.in_(site_ids)))
    }


def readiness(
    session: Session, site_ids: Sequence[int], now: datetime, date_to: date
) -> dict[str, Any]:
    """Over the sites active in the period (those with a work record in it): the share
    registered in CCUS, with a reader (an unrevoked device token, or the site's flag), with a
    reader that uploaded in the last 7 days, and the large sites that have no reader."""
    sites = list(session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.id)))
    ids = [s.id for s in sites]
    with_token = set(
        session.scalars(
            select(ApiToken.site_id).where(
                ApiToken.role == "device", ApiToken.revoked_at.is_(None), ApiToken.site_id.in_(ids)
            )
        )
    )
    since = now - timedelta(days=READER_ACTIVE_DAYS)
    uploading = set(
        session.scalars(
            select(Event.site_id)
            .where(
                Event.site_id.in_(ids),
                Event.source == "nfc",
                Event.work_date >= since.date() - timedelta(days=1),
                Event.received_at >= since,
            )
            .distinct()
        )
    )
    present = [s for s in sites if s.reader_present or s.id in with_token]
    active = [
        s
        for s in sites
        if s.id in uploading
        or (s.reader_last_upload_at is not None and s.reader_last_upload_at >= since)
    ]
    registered = [s for s in sites if s.registered_in_ccus]
    present_ids = {s.id for s in present}
    large = [
        {
            "site_id": s.id,
            "site_code": s.site_code,
            "name": s.name,
            "contract_amount_yen": s.contract_amount_yen,
        }
        for s in sites
        if (s.contract_amount_yen or 0) >= LARGE_CONTRACT_YEN and s.id not in present_ids
    ]
    n = len(sites)
    return {
        "as_of": now.isoformat(),
        "sites_active": n,
        "registered_in_ccus": len(registered),
        "registered_share": rate(len(registered), n),
        "reader_present": len(present),
        "reader_share": rate(len(present), n),
        "reader_active": len(active),
        "reader_active_share": rate(len(active), n),
        "large_contract_yen": LARGE_CONTRACT_YEN,
        "large_sites_without_reader": large,
    }


def tiers(
    session: Session, company_ids: Sequence[int], site_id: int | None, prime_company_id: int | None
) -> dict[int, int | None]:
    """Each company's tier in the 施工体制 (the lowest over the sites in scope)."""
    query = select(SiteCompany.company_id, func.min(SiteCompany.tier)).where(
        SiteCompany.company_id.in_(company_ids)
    )
    if site_id is not None:
        query = query.where(SiteCompany.site_id == site_id)
    elif prime_company_id is not None:
        query = query.where(
            SiteCompany.site_id.in_(
                select(Site.id).where(Site.prime_company_id == prime_company_id)
            )
        )
    return {cid: tier for cid, tier in session.execute(query.group_by(SiteCompany.company_id))}


def target_progress(
    session: Session, prime_company_id: int, date_to: date, today: date
) -> dict[str, Any]:
    """The member company's fiscal-year work-history count up to the end of the period (or
    today, if earlier) against its target and commitment, each pro-rated to the share of the
    fiscal year elapsed by then."""
    as_of = min(date_to, today)
    fy = fiscal_year_of(as_of)
    fy_first, fy_last = fiscal_year_range(fy)
    elapsed_days = (as_of - fy_first).days + 1
    fy_days = (fy_last - fy_first).days + 1
    count = session.scalar(
        select(func.count())
        .select_from(WorkRecord)
        .where(
            WorkRecord.countable.is_(True),
            WorkRecord.work_date.between(fy_first, as_of),
            WorkRecord.site_id.in_(
                select(Site.id).where(Site.prime_company_id == prime_company_id)
            ),
        )
    )
    row = session.scalar(
        select(Target).where(Target.company_id == prime_company_id, Target.fiscal_year == fy)
    )
    target = row.target_count if row else None
    commitment = row.commitment_count if row else None
    target_pr = None if target is None else target * elapsed_days / fy_days
    commitment_pr = None if commitment is None else commitment * elapsed_days / fy_days
    count = int(count or 0)
    return {
        "company_id": prime_company_id,
        "fiscal_year": fy,
        "fiscal_year_from": fy_first.isoformat(),
        "fiscal_year_to": fy_last.isoformat(),
        "as_of": as_of.isoformat(),
        "elapsed_days": elapsed_days,
        "fiscal_year_days": fy_days,
        "elapsed_share": elapsed_days / fy_days,
        "work_history_count": count,
        "target_count": target,
        "commitment_count": commitment,
        "target_prorated": target_pr,
        "commitment_prorated": commitment_pr,
        "meets_target_prorated": None if target_pr is None else count >= target_pr,
        "meets_commitment_prorated": None if commitment_pr is None else count >= commitment_pr,
    }
