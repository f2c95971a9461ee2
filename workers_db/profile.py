"""What the site's documents need beyond check-in (docs/documents.md): a worker's roster
fields (職種, 生年月日, 雇入年月日, 社会保険, 緊急連絡先, 資格), a company's 工種・主任技術者・工期
at a site, and a worker's 受入教育実施日 at a site.

One home for reading and checking them, whatever the way in (admin form, API, CSV import):
every field is optional, an empty value clears it, dates are `YYYY-MM-DD` (or `YYYY/MM/DD`, as
Excel writes them), 資格 is a list (`;` or `、` between items in one text).  These are personal
data: the audit trail records which fields changed, never their values, and nothing here logs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers_db.audit import audit
from workers_db.errors import FieldProblem, ValidationFailed
from workers_db.models import Company, SiteCompany, SiteWorker, Worker

MAX_TEXT = 100
MAX_CONTACT = 200
MAX_QUALIFICATIONS = 30
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_LIST_SPLIT = re.compile(r"[;；、\n]")


@dataclass(frozen=True)
class ProfileField:
    name: str  # attribute and API field
    kind: str  # text, date or list
    ja: str  # label, and the Japanese CSV column
    max_length: int = MAX_TEXT


WORKER_FIELDS: tuple[ProfileField, ...] = (
    ProfileField("trade", "text", "職種"),
    ProfileField("birth_date", "date", "生年月日"),
    ProfileField("hired_on", "date", "雇入年月日"),
    ProfileField("health_insurance", "text", "健康保険", 40),
    ProfileField("pension_insurance", "text", "年金保険", 40),
    ProfileField("employment_insurance", "text", "雇用保険", 40),
    ProfileField("emergency_contact", "text", "緊急連絡先", MAX_CONTACT),
    ProfileField("qualifications", "list", "資格"),
)
SITE_COMPANY_FIELDS: tuple[ProfileField, ...] = (
    ProfileField("trade", "text", "工種"),
    ProfileField("chief_engineer", "text", "主任技術者"),
    ProfileField("works_from", "date", "工期 (開始)"),
    ProfileField("works_to", "date", "工期 (終了)"),
)
SITE_WORKER_FIELDS: tuple[ProfileField, ...] = (
    ProfileField("induction_on", "date", "受入教育実施日"),
)
# the CSV import's column names for the worker fields: Japanese and English both work
WORKER_CSV_COLUMNS: dict[str, str] = {
    **{f.ja: f.name for f in WORKER_FIELDS},
    **{f.name: f.name for f in WORKER_FIELDS},
}
INSURANCE_EXEMPT = "適用除外"

Value = str | date | list[str] | None


def _text(raw: object, field: ProfileField, problems: list[FieldProblem]) -> str | None:
    if not isinstance(raw, str):
        problems.append(FieldProblem(field.name, "not_text"))
        return None
    value = unicodedata.normalize("NFKC", raw).strip()
    if len(value) > field.max_length:
        problems.append(FieldProblem(field.name, "too_long", {"max": field.max_length}))
        return None
    return value or None


def parse_date(raw: object, name: str, problems: list[FieldProblem]) -> date | None:
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        problems.append(FieldProblem(name, "date.required"))
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    match = _DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        problems.append(FieldProblem(name, "date.format", {"value": raw}))
        return None


def _list(raw: object, field: ProfileField, problems: list[FieldProblem]) -> list[str] | None:
    if isinstance(raw, str):
        items = [unicodedata.normalize("NFKC", p).strip() for p in _LIST_SPLIT.split(raw)]
    elif isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        items = [unicodedata.normalize("NFKC", p).strip() for p in raw]
    else:
        problems.append(FieldProblem(field.name, "not_text_list"))
        return None
    items = [p for p in items if p]
    if len(items) > MAX_QUALIFICATIONS or any(len(p) > MAX_TEXT for p in items):
        problems.append(
            FieldProblem(
                field.name,
                "qualifications.too_many",
                {"max": MAX_QUALIFICATIONS, "max_length": MAX_TEXT},
            )
        )
        return None
    return items or None


def parse_fields(
    raw: Mapping[str, object], fields: tuple[ProfileField, ...], problems: list[FieldProblem]
) -> dict[str, Value]:
    """The values of the fields present in `raw` (absent fields are left as they are; an
    empty value is None, which clears the field)."""
    out: dict[str, Value] = {}
    for field in fields:
        if field.name not in raw:
            continue
        value = raw[field.name]
        if value is None or value == "" or value == []:
            out[field.name] = None
        elif field.kind == "date":
            out[field.name] = parse_date(value, field.name, problems)
        elif field.kind == "list":
            out[field.name] = _list(value, field, problems)
        else:
            out[field.name] = _text(value, field, problems)
    return out


def _apply(row: object, values: Mapping[str, Value]) -> list[str]:
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


def set_worker_profile(
    session: Session, worker: Worker, raw: Mapping[str, object], actor: str
) -> list[str]:
    """Set the worker's roster fields found in `raw`; returns the names that changed.  The
    caller has checked that `actor` may see the worker."""
    problems: list[FieldProblem] = []
    values = parse_fields(raw, WORKER_FIELDS, problems)
    if problems:
        raise ValidationFailed(problems)
    changed = _apply(worker, values)
    if changed:
        audit(session, actor, "set_worker_profile", "worker", worker.id, fields=changed)
    return changed


def set_site_company_works(
    session: Session, edge: SiteCompany, raw: Mapping[str, object], actor: str
) -> list[str]:
    """工種, 主任技術者 and 工期 of a company at a site (the caller may manage the site)."""
    problems: list[FieldProblem] = []
    values = parse_fields(raw, SITE_COMPANY_FIELDS, problems)
    first = values.get("works_from", edge.works_from)
    last = values.get("works_to", edge.works_to)
    if isinstance(first, date) and isinstance(last, date) and last < first:
        problems.append(
            FieldProblem("works_to", "works.reversed", {"first": str(first), "last": str(last)})
        )
    if problems:
        raise ValidationFailed(problems)
    changed = _apply(edge, values)
    if changed:
        audit(
            session,
            actor,
            "set_site_company_works",
            "site_company",
            edge.id,
            site_id=edge.site_id,
            company_id=edge.company_id,
            fields=changed,
        )
    return changed


def set_site_worker(
    session: Session, site_id: int, worker: Worker, raw: Mapping[str, object], actor: str
) -> SiteWorker:
    """The worker's 受入教育実施日 at the site (the caller may see both)."""
    problems: list[FieldProblem] = []
    values = parse_fields(raw, SITE_WORKER_FIELDS, problems)
    if problems:
        raise ValidationFailed(problems)
    row = session.scalar(
        select(SiteWorker).where(SiteWorker.site_id == site_id, SiteWorker.worker_id == worker.id)
    )
    if row is None:
        row = SiteWorker(site_id=site_id, worker_id=worker.id)
        session.add(row)
    changed = _apply(row, values)
    session.flush()
    if changed:
        audit(
            session, actor, "set_site_worker", "worker", worker.id, site_id=site_id, fields=changed
        )
    return row


def profile_json(worker: Worker) -> dict[str, object]:
    out: dict[str, object] = {}
    for field in WORKER_FIELDS:
        value = getattr(worker, field.name)
        out[field.name] = value.isoformat() if isinstance(value, date) else value
    return out


def site_company_rows(session: Session, site_id: int) -> list[tuple[SiteCompany, str]]:
    """The site's 施工体制 edges with their company names, in tier order."""
    rows = session.execute(
        select(SiteCompany, Company.name)
        .join(Company, Company.id == SiteCompany.company_id)
        .where(SiteCompany.site_id == site_id)
        .order_by(SiteCompany.tier.nulls_last(), Company.name)
    )
    return [(edge, name) for edge, name in rows]
