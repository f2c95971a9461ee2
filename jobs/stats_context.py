"""What the statistics say about sites and member companies beyond the counts: site facts,
readiness (現場登録, カードリーダー設置・稼働), 施工体制 tiers, and progress against a member
company's target and commitment for the fiscal year, pro-rated to the elapsed share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.models import (
    ApiToken,
    Event,
    Site,
    SiteCompany,
    SiteTarget,
    Target,
    WorkRecord,
)

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
    session: Session,
    prime_company_id: int,
    date_to: date,
    today: date,
    period_figures: dict[str, Any],
) -> dict[str, Any] | None:
    """The member company's 新目標 for the fiscal year of `date_to`, or None when none is set.

    タッチ数: the fiscal-year count of countable worker-days up to the end of the period (or
    today, if earlier) against the target and commitment, each pro-rated to the share of the
    fiscal year elapsed by then.  Rates (事業者登録率, 技能者登録率) are judged on the period's
    own figures (`period_figures`), not pro-rated."""
    fy = fiscal_year_of(date_to)
    row = session.scalar(
        select(Target).where(Target.company_id == prime_company_id, Target.fiscal_year == fy)
    )
    if row is None:
        return None
    fy_first, fy_last = fiscal_year_range(fy)
    as_of = max(min(date_to, today), fy_first)
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
    count = int(count or 0)
    target_pr = row.target_count * elapsed_days / fy_days
    commitment_pr = row.commitment_count * elapsed_days / fy_days
    result: dict[str, Any] = {
        "fiscal_year": fy,
        "touches_target": row.target_count,
        "touches_commitment": row.commitment_count,
        "touches_target_prorated": target_pr,
        "touches_commitment_prorated": commitment_pr,
        "company_rate_target": row.company_rate_target,
        "company_rate_commitment": row.company_rate_commitment,
        "worker_rate_target": row.worker_rate_target,
        "worker_rate_commitment": row.worker_rate_commitment,
        "company_id": prime_company_id,
        "fiscal_year_from": fy_first.isoformat(),
        "fiscal_year_to": fy_last.isoformat(),
        "as_of": as_of.isoformat(),
        "elapsed_days": elapsed_days,
        "fiscal_year_days": fy_days,
        "elapsed_share": elapsed_days / fy_days,
        "work_history_count": count,
        "meets_target_prorated": count >= target_pr,
        "meets_commitment_prorated": count >= commitment_pr,
        "touches_standing": standing(count, target=target_pr, commitment=commitment_pr),
    }
    for figure, prefix in (
        ("company_registration_rate", "company_rate"),
        ("worker_registration_rate", "worker_rate"),
    ):
        result[f"{prefix}_standing"] = standing(
            period_figures.get(figure),
            target=getattr(row, f"{prefix}_target"),
            commitment=getattr(row, f"{prefix}_commitment"),
        )
    return result


def standing(
    value: float | None, target: float | None = None, commitment: float | None = None
) -> str | None:
    """How a figure stands against its pair: `"target"` (the target is met), `"commitment"`
    (only the commitment), `"below"` (neither), or None when there is nothing to judge."""
    if value is None or (target is None and commitment is None):
        return None
    if target is not None and value >= target:
        return "target"
    if commitment is not None and value >= commitment:
        return "commitment"
    return "below"


def site_target_standing(
    notified: SiteTarget | None, site_figures: dict[str, Any]
) -> dict[str, Any] | None:
    """A site's figures against the ones its prime notified to it (None when none were)."""
    if notified is None:
        return None
    out: dict[str, Any] = {
        "company_rate": notified.company_rate,
        "worker_rate": notified.worker_rate,
        "accumulation_rate": notified.accumulation_rate,
    }
    for name, figure in (
        ("company_rate", "company_registration_rate"),
        ("worker_rate", "worker_registration_rate"),
        ("accumulation_rate", "accumulation_rate"),
    ):
        wanted = getattr(notified, name)
        value = site_figures.get(figure)
        out[f"{name}_met"] = None if wanted is None or value is None else value >= wanted
    return out
