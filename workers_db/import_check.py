"""Checking a parsed pre-registration file against itself and the database (no writes).

`plan_import` finds every problem and decides, for each row, whether its company and worker
already exist (see `workers_db.importer` for the identity rules).  Look-ups go by batches of
values (`IN (...)`, `LOOKUP_CHUNK` at a time), never one query per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from workers_db.errors import Params
from workers_db.import_csv import ParsedFile, ParsedRow, RowProblem
from workers_db.models import Card, Company, Phone, Worker

LOOKUP_CHUNK = 5_000  # values per `IN (...)` look-up

CompanyKey = tuple[str, str]  # ("id", 事業者ID) or ("name", name)
T = TypeVar("T")


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


ProgressFactory = Callable[[str, int], Progress]


class _Silent:
    def update(self, n: int = 1) -> object:
        return None

    def close(self) -> None:
        return None


def no_progress(_description: str, _total: int) -> Progress:
    return _Silent()


@dataclass
class CompanyPlan:
    name: str
    ccus: str | None
    sole_proprietor: bool
    first_line: int
    existing_id: int | None = None


@dataclass(slots=True)
class WorkerPlan:
    row: ParsedRow
    company: CompanyKey
    existing_id: int | None = None
    new_phones: list[str] = field(default_factory=list)
    new_cards: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """What the file holds, what is (or would be) new, and every problem found."""

    encoding: str
    rows: int = 0
    companies_new: int = 0
    companies_existing: int = 0
    workers_new: int = 0
    workers_existing: int = 0
    phones_new: int = 0
    cards_new: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    written: bool = False

    @property
    def bad_rows(self) -> int:
        return len({p.line for p in self.problems})


@dataclass
class ImportPlan:
    parsed: ParsedFile
    companies: dict[CompanyKey, CompanyPlan]
    workers: list[WorkerPlan]
    problems: list[RowProblem]

    def report(self) -> ImportReport:
        existing = [c for c in self.companies.values() if c.existing_id is not None]
        new_workers = [w for w in self.workers if w.existing_id is None]
        return ImportReport(
            encoding=self.parsed.encoding,
            rows=len(self.parsed.rows),
            companies_new=len(self.companies) - len(existing),
            companies_existing=len(existing),
            workers_new=len(new_workers),
            workers_existing=len(self.workers) - len(new_workers),
            phones_new=sum(len(w.new_phones) for w in self.workers),
            cards_new=sum(len(w.new_cards) for w in self.workers),
            problems=sorted(set(self.problems), key=RowProblem.sort_key),
        )


def company_key(row: ParsedRow) -> CompanyKey:
    return ("id", row.company_ccus_id) if row.company_ccus_id else ("name", row.company)


def plan_import(
    session: Session,
    parsed: ParsedFile,
    progress: ProgressFactory = no_progress,
    visible_companies: set[int] | None = None,
) -> ImportPlan:
    """Every problem of the file (cells, rows against rows, rows against the database).

    `visible_companies`: the companies whose workers the uploader may see (None: all, the
    CLI); a phone, card or 技能者ID owned by a worker outside them is reported without saying
    whose (docs/scope.md)."""
    problems = list(parsed.problems)
    if problems and not parsed.rows:
        return ImportPlan(parsed, {}, [], problems)

    def bad(row: ParsedRow, column: str, code: str, params: Params) -> None:
        problems.append(RowProblem(row.line, column, code, params))

    companies = _companies_of_file(parsed.rows, bad)
    _duplicates_in_file(parsed.rows, bad)
    bar = progress("照合 checking", len(parsed.rows))
    try:
        _match_companies(session, companies, parsed.rows, bad)
        workers = _match_workers(session, parsed.rows, companies, bad, bar, visible_companies)
    finally:
        bar.close()
    return ImportPlan(parsed, companies, workers, problems)


_Bad = Callable[[ParsedRow, str, str, Params], None]


def _companies_of_file(rows: Sequence[ParsedRow], bad: _Bad) -> dict[CompanyKey, CompanyPlan]:
    """One company per name and per 事業者ID; its rows must agree on both and on 一人親方."""
    by_name: dict[str, ParsedRow] = {}
    by_ccus: dict[str, ParsedRow] = {}
    companies: dict[CompanyKey, CompanyPlan] = {}
    for row in rows:
        if not row.company or not row.readable("company_ccus_id"):
            continue
        first = by_name.setdefault(row.company, row)
        if first.company_ccus_id != row.company_ccus_id:
            params: Params = {"company": row.company, "row": first.line}
            if first.company_ccus_id:
                params = {**params, "ccus": first.company_ccus_id}
                bad(row, "company_ccus_id", "import.company_ccus_differs", params)
            else:
                bad(row, "company_ccus_id", "import.company_ccus_missing", params)
            continue
        if row.company_ccus_id:
            first = by_ccus.setdefault(row.company_ccus_id, row)
            if first.company != row.company:
                params = {"ccus": row.company_ccus_id, "company": first.company, "row": first.line}
                bad(row, "company", "import.ccus_other_company", params)
                continue
        key = company_key(row)
        plan = companies.get(key)
        if plan is None:
            companies[key] = CompanyPlan(
                row.company, row.company_ccus_id, row.sole_proprietor, row.line
            )
        elif row.readable("sole_proprietor") and plan.sole_proprietor != row.sole_proprietor:
            bad(row, "sole_proprietor", "import.sole_proprietor_differs", {"row": plan.first_line})
    return companies


def _duplicates_in_file(rows: Sequence[ParsedRow], bad: _Bad) -> None:
    """One 技能者ID, phone or card per row; identical id-less workers are one worker."""
    ccus: dict[str, int] = {}
    phones: dict[str, int] = {}
    cards: dict[str, int] = {}
    plain: dict[tuple[CompanyKey, str], int] = {}
    for row in rows:
        if row.worker_ccus_id:
            first = ccus.setdefault(row.worker_ccus_id, row.line)
            if first != row.line:
                params: Params = {"ccus": row.worker_ccus_id, "row": first}
                bad(row, "worker_ccus_id", "import.worker_ccus_twice", params)
        for e164 in row.phones:
            first = phones.setdefault(e164, row.line)
            if first != row.line:
                bad(row, "phone", "import.phone_twice", {"value": e164, "row": first})
        for uid in row.cards:
            first = cards.setdefault(uid, row.line)
            if first != row.line:
                bad(row, "card_uid", "import.card_twice", {"value": uid, "row": first})
        if identified_by_name(row) and row.company:
            first = plain.setdefault((company_key(row), row.worker), row.line)
            if first != row.line:
                bad(row, "worker", "import.same_worker", {"row": first})


def identified_by_name(row: ParsedRow) -> bool:
    """A row with no 技能者ID, phone or card: only its company and name say who it is."""
    return (
        not row.worker_ccus_id
        and not row.phones
        and not row.cards
        and row.readable("worker_ccus_id", "phone", "card_uid")
        and bool(row.worker)
    )


def _match_companies(
    session: Session,
    companies: dict[CompanyKey, CompanyPlan],
    rows: Sequence[ParsedRow],
    bad: _Bad,
) -> None:
    """Reuse a company with the same 事業者ID, or (no id in the file) the same name."""
    ids = [c.ccus for c in companies.values() if c.ccus]
    query = select(Company.id, Company.ccus_business_id)
    for company_id, ccus in _lookup(session, query, Company.ccus_business_id, ids):
        companies[("id", ccus)].existing_id = company_id
    names = [c.name for c in companies.values() if not c.ccus]
    by_name: dict[str, list[int]] = defaultdict(list)
    for company_id, name in _lookup(session, select(Company.id, Company.name), Company.name, names):
        by_name[name].append(company_id)
    for name, found in by_name.items():
        if len(found) == 1:
            companies[("name", name)].existing_id = found[0]
            continue
        listed = ", ".join(str(i) for i in sorted(found))
        params: Params = {"name": name, "count": len(found), "ids": listed}
        for row in rows:
            if row.company == name and not row.company_ccus_id:
                bad(row, "company_ccus_id", "import.company_ambiguous", params)


@dataclass(frozen=True, slots=True)
class _Known:
    id: int
    company_id: int
    name: str
    ccus: str | None


_WORKER_COLUMNS = select(Worker.id, Worker.company_id, Worker.name, Worker.ccus_worker_id)


def _match_workers(
    session: Session,
    rows: Sequence[ParsedRow],
    companies: dict[CompanyKey, CompanyPlan],
    bad: _Bad,
    bar: Progress,
    visible: set[int] | None = None,
) -> list[WorkerPlan]:
    known: dict[int, _Known] = {}
    ccus_ids = [r.worker_ccus_id for r in rows if r.worker_ccus_id]
    for found in _lookup(session, _WORKER_COLUMNS, Worker.ccus_worker_id, ccus_ids):
        known[found[0]] = _Known(*found)
    by_ccus = {k.ccus: k for k in known.values() if k.ccus}
    phones = [p for r in rows for p in r.phones]
    phone_owner = dict(_lookup(session, select(Phone.e164, Phone.worker_id), Phone.e164, phones))
    cards = [u for r in rows for u in r.cards]
    card_owner = dict(_lookup(session, select(Card.uid, Card.worker_id), Card.uid, cards))
    owners = sorted((set(phone_owner.values()) | set(card_owner.values())) - known.keys())
    for found in _lookup(session, _WORKER_COLUMNS, Worker.id, owners):
        known[found[0]] = _Known(*found)
    by_name = _workers_by_name(session, rows, companies)

    plans: list[WorkerPlan] = []
    for row in rows:
        bar.update(1)
        key = company_key(row)
        company = companies.get(key)
        company_id = company.existing_id if company else None
        plan = WorkerPlan(row, key)
        plans.append(plan)
        owned = [(p, phone_owner[p], "phone") for p in row.phones if p in phone_owner]
        owned += [(u, card_owner[u], "card_uid") for u in row.cards if u in card_owner]
        same: _Known | None = None
        if row.worker_ccus_id and row.worker_ccus_id in by_ccus:
            same = by_ccus[row.worker_ccus_id]
            if same.company_id != company_id and not _sees(visible, same.company_id):
                bad(row, "worker_ccus_id", "taken_by_other", {"value": row.worker_ccus_id})
            elif same.company_id != company_id:
                params: Params = {
                    "ccus": row.worker_ccus_id,
                    "worker_id": same.id,
                    "company_id": same.company_id,
                }
                bad(row, "worker_ccus_id", "import.worker_other_company", params)
        elif not row.worker_ccus_id and len({owner for _, owner, _ in owned}) == 1:
            owner = known[owned[0][1]]
            if owner.company_id == company_id and owner.name == row.worker:
                same = owner
        elif identified_by_name(row) and company_id is not None:
            same = by_name.get((company_id, row.worker))
        for value, owner_id, column in owned:
            if same is None or owner_id != same.id:
                other = known[owner_id]
                if not _sees(visible, other.company_id):
                    bad(row, column, "taken_by_other", {"value": value})
                    continue
                params = {
                    "value": value,
                    "worker_id": owner_id,
                    "name": other.name,
                    "company_id": other.company_id,
                }
                bad(row, column, "import.taken", params)
        if same is not None:
            plan.existing_id = same.id
        plan.new_phones = [p for p in row.phones if p not in phone_owner]
        plan.new_cards = [u for u in row.cards if u not in card_owner]
    return plans


def _sees(visible: set[int] | None, company_id: int) -> bool:
    return visible is None or company_id in visible


def _workers_by_name(
    session: Session, rows: Sequence[ParsedRow], companies: dict[CompanyKey, CompanyPlan]
) -> dict[tuple[int, str], _Known]:
    """Existing workers without a 技能者ID, for the rows that have no id, phone or card."""
    wanted: set[tuple[int, str]] = set()
    for row in rows:
        company = companies.get(company_key(row))
        if identified_by_name(row) and company and company.existing_id is not None:
            wanted.add((company.existing_id, row.worker))
    if not wanted:
        return {}
    company_ids = sorted({company_id for company_id, _ in wanted})
    query = _WORKER_COLUMNS.where(
        Worker.company_id.in_(company_ids), Worker.ccus_worker_id.is_(None)
    ).order_by(Worker.id)
    found: dict[tuple[int, str], _Known] = {}
    for values in _lookup(session, query, Worker.name, [name for _, name in wanted]):
        worker = _Known(*values)
        if (worker.company_id, worker.name) in wanted:
            found.setdefault((worker.company_id, worker.name), worker)
    return found


def _lookup(
    session: Session,
    query: Select[*tuple[Any, ...]],
    column: InstrumentedAttribute[Any],
    values: Sequence[Any],
) -> Iterator[Any]:
    """Rows of `query` where `column` is one of `values`: one query per chunk of values."""
    distinct = list(dict.fromkeys(values))
    for chunk in chunks(distinct, LOOKUP_CHUNK):
        yield from session.execute(query.where(column.in_(chunk)))


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
