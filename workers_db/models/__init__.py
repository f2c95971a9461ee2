"""Typed SQLAlchemy 2.x models of genba-call.  Import models from here."""

from workers_db.models.access import ROLES, TOKEN_ROLES, AdminUser, ApiToken, AuthFailure
from workers_db.models.base import Base, UTCDateTime, utcnow
from workers_db.models.calls import CallLog, CallStep
from workers_db.models.events import (
    DIRECTIONS,
    EVENT_SOURCES,
    EXCEPTION_KINDS,
    AuditEntry,
    Event,
    WorkException,
    WorkRecord,
)
from workers_db.models.registry import (
    Card,
    Company,
    Phone,
    PhoneCrewMember,
    Site,
    SiteCompany,
    SiteTarget,
    SiteWorker,
    Target,
    Worker,
)

__all__ = [
    "DIRECTIONS",
    "EVENT_SOURCES",
    "EXCEPTION_KINDS",
    "ROLES",
    "TOKEN_ROLES",
    "AdminUser",
    "ApiToken",
    "AuditEntry",
    "AuthFailure",
    "Base",
    "CallLog",
    "CallStep",
    "Card",
    "Company",
    "Event",
    "Phone",
    "PhoneCrewMember",
    "Site",
    "SiteCompany",
    "SiteTarget",
    "SiteWorker",
    "Target",
    "UTCDateTime",
    "WorkException",
    "WorkRecord",
    "Worker",
    "utcnow",
]

# Registers the flush hook that marks the work days a transaction changes (see the module).
from workers_db import changes as _changes  # noqa: F401
