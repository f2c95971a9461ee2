"""What the flow asks of the database; workers_db implements it (`workers_db.callers`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Protocol

from ivr_flows.model import MonthFigures, PastEvent, SiteInfo, WorkerInfo


class Lookup(Protocol):
    def site_by_number(self, e164: str) -> SiteInfo | None:
        """The active site whose dial-in number this is."""

    def site_by_code(self, code: str) -> SiteInfo | None:
        """The active site with this SITE_CODE."""

    def site(self, site_id: int) -> SiteInfo | None: ...

    def workers_by_phone(self, e164: str) -> list[WorkerInfo]:
        """Active workers who check in from this number: the owner first, then the crew."""

    def workers(self, ids: Sequence[int]) -> list[WorkerInfo]:
        """Active workers with these ids, in the order given."""

    def history(
        self, worker_ids: Sequence[int], site_id: int, since: datetime, until: datetime
    ) -> dict[int, list[PastEvent]]:
        """Each worker's phone and card events at the site in [since, until], oldest first."""

    def companies_missing(self, site_id: int, company_ids: Collection[int]) -> set[int]:
        """Those of the companies that have no edge in the site's 施工体制."""

    def placement(self, company_id: int, prime_company_id: int) -> tuple[int | None, int | None]:
        """(tier, parent company) of the company at another site of the same prime, if any."""

    def locked(self, keys: Sequence[str], now: datetime) -> bool:
        """Is any of these PIN failure counters locked at `now`?"""

    def count_pin_try(self, keys: Sequence[str], now: datetime) -> bool:
        """Count one PIN try against every key, durably, before the PIN is evaluated; False
        when the limit is reached (the PIN must then not be evaluated).  A success later
        clears the counters (`PinSucceeded`)."""

    def verify_pin(self, ccus_worker_id: str, pin: str) -> WorkerInfo | None:
        """The active worker with this CCUS id, if the PIN is theirs."""

    def month(self, worker_id: int, first: date, last: date) -> MonthFigures:
        """The worker's own countable work days in `first`..`last`, every site."""
