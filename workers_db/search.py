"""Searching workers by what a site admin types: a name, a reading, a 技能者ID, a phone.

Names are stored by `clean_text` and readings by `kana_text` (workers_db.text), so the query is
normalised the same way and compared with a plain case-insensitive LIKE on the stored values:
「大野 健太」, 「大野　健太」 and 「大野健太」 find the name (spaces are ignored on both sides),
「おおの」 and 「ｵｵﾉ」 find the reading オオノ.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import aliased

from workers_db.identifiers import InvalidIdentifier, normalize_phone
from workers_db.models import Company, Phone, Worker
from workers_db.text import clean_text, kana_text

_LIKE_ESCAPE = "\\"
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def _contains(value: str) -> str:
    """A LIKE pattern matching `value` anywhere, its own `%` and `_` taken literally."""
    escaped = value.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


def _without_spaces(column: Any) -> ColumnElement[str]:
    return func.replace(column, " ", "")


def worker_matches(q: str) -> ColumnElement[bool] | None:
    """The condition a worker meets when it matches `q`: its name,
    reading, company's name, 技能者ID or one of its phones.  None for an empty query."""
    text = clean_text(q)
    if not text:
        return None
    name = _contains(text.replace(" ", ""))
    kana = _contains(kana_text(q).replace(" ", ""))
    # The companies are matched once each, not once per worker (a site of 100,000 workers
    # has a few hundred companies: bench/admin_pages_bench.py).
    company = aliased(Company)
    matching_companies = select(company.id).where(
        or_(
            _without_spaces(company.name).ilike(name, escape=_LIKE_ESCAPE),
            _without_spaces(company.name_kana).ilike(kana, escape=_LIKE_ESCAPE),
        )
    )
    conditions: list[ColumnElement[bool]] = [
        _without_spaces(Worker.name).ilike(name, escape=_LIKE_ESCAPE),
        _without_spaces(Worker.name_kana).ilike(kana, escape=_LIKE_ESCAPE),
        Worker.company_id.in_(matching_companies),
        Worker.ccus_worker_id.like(_contains(text.replace("-", "")), escape=_LIKE_ESCAPE),
    ]
    try:
        owners = select(Phone.worker_id).where(Phone.e164 == normalize_phone(text))
        conditions.append(Worker.id.in_(owners))
    except InvalidIdentifier:
        pass
    return or_(*conditions)


def search_workers(stmt: S, q: str) -> S:
    """`stmt` (already limited to the caller's scope, selecting from Worker joined with its
    Company) narrowed to the workers matching `q`; unchanged for an empty query."""
    condition = worker_matches(q)
    return stmt if condition is None else stmt.where(condition)
