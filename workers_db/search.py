"""Searching workers (and companies) by what a site admin types: a name, a reading, a CCUS id,
a phone.

Names are stored by `clean_text` and readings by `kana_text` (workers_db.text), so the query is
normalised the same way and compared with a plain case-insensitive LIKE on the stored values:
「大野 健太」, 「大野　健太」 and 「大野健太」 find the name (spaces are ignored on both sides),
「おおの」 and 「ｵｵﾉ」 find the reading オオノ.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from workers_db.identifiers import InvalidIdentifier, normalize_phone
from workers_db.models import Company, Phone, Worker
from workers_db.scope import Principal, scope_workers
from workers_db.text import clean_text, kana_text

_LIKE_ESCAPE = "\\"
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def _contains(value: str) -> str:
    """A LIKE pattern matching `value` anywhere, its own `%` and `_` taken literally."""
    escaped = value.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


def _without_spaces(column: Any) -> ColumnElement[str]:
    return func.replace(column, " ", "")


def _named(name_column: Any, kana_column: Any, q: str) -> list[ColumnElement[bool]]:
    """A name column matching the cleaned query, or a reading matching it in katakana;
    spaces ignored on both sides."""
    name = _contains(clean_text(q).replace(" ", ""))
    kana = _contains(kana_text(q).replace(" ", ""))
    return [
        _without_spaces(name_column).ilike(name, escape=_LIKE_ESCAPE),
        _without_spaces(kana_column).ilike(kana, escape=_LIKE_ESCAPE),
    ]


def _ccus(column: Any, text: str) -> ColumnElement[bool]:
    return column.like(_contains(text.replace("-", "")), escape=_LIKE_ESCAPE)


def worker_matches(q: str) -> ColumnElement[bool] | None:
    """The condition a worker meets when it matches `q`: its name,
    reading, company's name, 技能者ID or one of its phones.  None for an empty query."""
    text = clean_text(q)
    if not text:
        return None
    # The companies are matched once each, not once per worker (a site of 100,000 workers
    # has a few hundred companies: bench/admin_pages_bench.py).
    company = aliased(Company)
    matching_companies = select(company.id).where(or_(*_named(company.name, company.name_kana, q)))
    conditions: list[ColumnElement[bool]] = [
        *_named(Worker.name, Worker.name_kana, q),
        Worker.company_id.in_(matching_companies),
        _ccus(Worker.ccus_worker_id, text),
    ]
    try:
        owners = select(Phone.worker_id).where(Phone.e164 == normalize_phone(text))
        conditions.append(Worker.id.in_(owners))
    except InvalidIdentifier:
        pass
    return or_(*conditions)


def search_companies(stmt: S, q: str) -> S:
    """`stmt` (selecting companies in the caller's scope) narrowed to those whose name,
    reading or 事業者ID matches `q`, normalised as for workers; unchanged for an empty query."""
    text = clean_text(q)
    if not text:
        return stmt
    return stmt.where(
        or_(*_named(Company.name, Company.name_kana, q), _ccus(Company.ccus_business_id, text))
    )


def search_workers(stmt: S, q: str) -> S:
    """`stmt` (already limited to the caller's scope, selecting from Worker joined with its
    Company) narrowed to the workers matching `q`; unchanged for an empty query."""
    condition = worker_matches(q)
    return stmt if condition is None else stmt.where(condition)


def worker_page(
    session: Session,
    principal: Principal,
    q: str,
    *,
    company_id: int | None,
    show_all: bool,
    limit: int,
    offset: int = 0,
) -> list[tuple[Worker, Company]]:
    """The workers the principal sees, with their companies, by company and reading: those
    matching `q` (of `company_id` when given); inactive ones only when `show_all`."""
    stmt = scope_workers(
        select(Worker, Company).join(Company, Company.id == Worker.company_id), principal
    )
    stmt = search_workers(stmt, q)
    if company_id:
        stmt = stmt.where(Worker.company_id == company_id)
    if not show_all:
        stmt = stmt.where(Worker.active.is_(True))
    order = (Company.name, Worker.name_kana, Worker.name, Worker.id)
    stmt = stmt.order_by(*order).offset(offset).limit(limit)
    return [(worker, company) for worker, company in session.execute(stmt)]
