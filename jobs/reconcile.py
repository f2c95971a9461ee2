"""Reconciliation of raw events into work records (placeholder until the reconciliation
issue lands: it only logs what it was asked to do)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def reconcile_site_days(site_id: int | None, date_from: str, date_to: str) -> dict[str, object]:
    log.info("reconcile requested: site=%s %s..%s", site_id, date_from, date_to)
    return {"site_id": site_id, "from": date_from, "to": date_to, "records": 0}
