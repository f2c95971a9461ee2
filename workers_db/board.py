"""Today's board of one site, read straight from the raw events (the source of truth), so a
call shows up the moment it is recorded, before reconciliation has run.

Workers are grouped by employer in the order of the site's 施工体制 (prime, then tier 1, 2, …);
companies not (yet) in the structure come last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workers_db.models import Company, Event, SiteCompany, Worker, WorkException


@dataclass
class BoardRow:
    worker_id: int
    name: str
    name_kana: str | None
    has_ccus_id: bool
    entered_at: datetime | None = None
    left_at: datetime | None = None
    sources: set[str] = field(default_factory=set)
    events: int = 0
    manual_pending: bool = False

    @property
    def on_site(self) -> bool:
        return self.left_at is None


@dataclass
class BoardGroup:
    company_id: int
    company_name: str
    tier: int | None
    in_structure: bool
    confirmed: bool
    rows: list[BoardRow] = field(default_factory=list)

    @property
    def on_site(self) -> int:
        return sum(1 for r in self.rows if r.on_site)


@dataclass
class Board:
    work_date: date
    groups: list[BoardGroup]
    open_exceptions: int

    @property
    def rows(self) -> list[BoardRow]:
        return [r for g in self.groups for r in g.rows]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def on_site(self) -> int:
        return sum(1 for r in self.rows if r.on_site)

    @property
    def left(self) -> int:
        return self.total - self.on_site

    @property
    def without_ccus(self) -> int:
        return sum(1 for r in self.rows if not r.has_ccus_id)


def _apply(row: BoardRow, event: Event) -> None:
    """Fold one event (in time order) into the worker's row.

    Entry/exit follow the recorded direction; an event without a direction (a roster line, a
    touch the intake did not classify) is an entry when it is the first, else an exit.
    """
    row.events += 1
    row.sources.add(event.source)
    if event.source == "manual" and event.approved_at is None:
        row.manual_pending = True
    exit_like = event.direction == "exit" or (
        event.direction is None and row.entered_at is not None
    )
    if row.entered_at is None and not exit_like:
        row.entered_at = event.occurred_at
    elif exit_like:
        row.left_at = event.occurred_at
    else:  # a new entry after an exit: on site again
        row.left_at = None


def build_board(
    session: Session, site_id: int, work_date: date, only_company_id: int | None = None
) -> Board:
    stmt = (
        select(Event, Worker)
        .join(Worker, Worker.id == Event.worker_id)
        .where(Event.site_id == site_id, Event.work_date == work_date)
        .order_by(Event.occurred_at, Event.id)
    )
    if only_company_id is not None:
        stmt = stmt.where(Worker.company_id == only_company_id)
    rows: dict[int, BoardRow] = {}
    company_of: dict[int, int] = {}
    for event, worker in session.execute(stmt):
        row = rows.get(worker.id)
        if row is None:
            row = rows[worker.id] = BoardRow(
                worker_id=worker.id,
                name=worker.name,
                name_kana=worker.name_kana,
                has_ccus_id=worker.ccus_worker_id is not None,
            )
            company_of[worker.id] = worker.company_id
        _apply(row, event)

    edges = {
        e.company_id: e
        for e in session.scalars(select(SiteCompany).where(SiteCompany.site_id == site_id))
    }
    company_ids = set(company_of.values())
    names = (
        dict(
            session.execute(
                select(Company.id, Company.name).where(Company.id.in_(company_ids))
            ).all()
        )
        if company_ids
        else {}
    )
    groups: dict[int, BoardGroup] = {}
    for worker_id, row in rows.items():
        cid = company_of[worker_id]
        group = groups.get(cid)
        if group is None:
            edge = edges.get(cid)
            group = groups[cid] = BoardGroup(
                company_id=cid,
                company_name=names.get(cid, "?"),
                tier=edge.tier if edge else None,
                in_structure=edge is not None,
                confirmed=bool(edge.confirmed) if edge else False,
            )
        group.rows.append(row)
    for group in groups.values():
        group.rows.sort(key=lambda r: (r.entered_at is None, r.entered_at or datetime.max, r.name))
    ordered = sorted(
        groups.values(),
        key=lambda g: (not g.in_structure, g.tier if g.tier is not None else 99, g.company_name),
    )
    open_count = 0
    if only_company_id is None:
        open_count = int(
            session.scalar(
                select(func.count(WorkException.id)).where(
                    WorkException.site_id == site_id, WorkException.status == "open"
                )
            )
            or 0
        )
    return Board(work_date=work_date, groups=ordered, open_exceptions=open_count)
