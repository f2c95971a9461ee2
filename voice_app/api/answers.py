"""What /api/v1 answers: every JSON shape, declared once (pydantic), built by the views and
described in the OpenAPI document from the same models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Problem(BaseModel):
    field: str | None = Field(description="the parameter or body field, null for the request")
    message: str


class Errors(BaseModel):
    """Every error answer under /api/v1, whatever its status."""

    errors: list[Problem]


class CompanyOut(Answer):
    id: int
    name: str
    name_kana: str | None
    ccus_business_id: str | None
    sole_proprietor: bool
    active: bool


class SiteOut(Answer):
    id: int
    name: str
    site_code: str
    prime_company_id: int
    dial_in_number: str | None
    ccus_site_id: str | None
    registered_in_ccus: bool
    contract_amount_yen: int | None
    answer_mode: str
    model_works: bool
    reader_present: bool
    active: bool


class EdgeOut(Answer):
    """One edge of a site's 施工体制."""

    id: int
    site_id: int
    company_id: int
    parent_company_id: int | None
    tier: int
    source: str
    confirmed: bool


class WorkerOut(Answer):
    id: int
    name: str
    name_kana: str | None
    company_id: int
    ccus_worker_id: str | None
    phones: list[str] = Field(description="E.164")
    card_uids: list[str] = Field(description="canonical: F:/A:/B: and upper-case hex")
    language: str
    has_pin: bool
    kentaikyo: bool
    card_level: int | None
    active: bool


class RosterOut(Answer):
    id: int
    site_id: int
    worker_id: int
    work_date: str
    source: str
    occurred_at: str
    created: bool = Field(description="false when the same day was already entered")


class EventOut(Answer):
    id: int
    source: str
    site_id: int
    worker_id: int | None
    occurred_at: str | None
    work_date: str
    direction: str | None
    card_uid: str | None
    caller: str | None = Field(description="masked")
    device: str | None
    seq: int | None
    clock_synced: bool
    received_at: str | None
    approved_at: str | None
    approved_by: str | None
    note: str | None


class WorkRecordOut(Answer):
    id: int
    worker_id: int
    worker_name: str
    company_id: int
    site_id: int
    work_date: str
    first_in: str | None
    last_out: str | None
    sources: list[str]
    countable: bool
    event_count: int


class ExceptionOut(Answer):
    id: int
    kind: str
    site_id: int | None
    worker_id: int | None
    event_id: int | None
    work_date: str | None
    detail: dict[str, Any]
    status: str
    reason_code: str | None
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: str | None
    created_at: str | None


class JobOut(Answer):
    job_id: str


class Rejected(Answer):
    event_id: str | None
    index: int
    error: str = Field(description="a code (docs/nfc.md)")
    message: str


class TouchesOut(Answer):
    accepted: int
    duplicates: int
    rejected: list[Rejected]
    workers: dict[str, str | None] = Field(description="event_id: the worker's name, or null")


class StatsOut(BaseModel):
    """The figures of docs/figures.md; `series` when asked for."""

    model_config = ConfigDict(extra="allow")


class Document(BaseModel):
    """A JSON document whose keys are described in docs/documents.md."""

    model_config = ConfigDict(extra="allow")
