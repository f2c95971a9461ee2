"""Changing a worker from the admin form, and linking a phone or card (any spelling) to a
worker, with validation that names each field (nothing is written when any field is wrong);
each change is audited here."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from workers_db.audit import audit
from workers_db.enrollment import LinkResult, link_card, link_phone
from workers_db.errors import FieldProblem, ValidationFailed
from workers_db.identifiers import (
    InvalidIdentifier,
    canonical_card_uid,
    normalize_ccus_id,
    normalize_phone,
)
from workers_db.models import Phone, Worker
from workers_db.registration import (
    LANGUAGES,
    PIN_PROBLEM,
    ccus_worker_taken,
    hash_pin,
    pin_is_valid,
)
from workers_db.text import clean_text, optional_kana


def _int_or_none(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


def worker_changes(
    session: Session, worker: Worker, form: Mapping[str, str], actor: str
) -> list[str]:
    """Validate the edit form and apply it to `worker`; returns the names of changed fields."""
    problems: list[FieldProblem] = []
    name = clean_text(form.get("name"))
    if not name:
        problems.append(FieldProblem("name", "required"))
    ccus = None
    try:
        ccus = normalize_ccus_id(form.get("ccus_worker_id"))
    except InvalidIdentifier as exc:
        problems.append(exc.problem("ccus_worker_id"))
    if ccus and ccus_worker_taken(session, ccus, worker.id):
        problems.append(FieldProblem("ccus_worker_id", "ccus.taken_by_worker", {"value": ccus}))
    language = (form.get("language") or "ja").strip().lower()
    if language not in LANGUAGES:
        problems.append(
            FieldProblem("language", "one_of", {"value": language, "choices": ", ".join(LANGUAGES)})
        )
    level = _int_or_none(form.get("card_level"))
    if level is not None and level not in (1, 2, 3, 4):
        problems.append(FieldProblem("card_level", "card_level"))
    pin = (form.get("pin") or "").strip()
    if not pin_is_valid(pin):
        problems.append(PIN_PROBLEM)
    if problems:
        raise ValidationFailed(problems)

    new = {
        "name": name,
        "name_kana": optional_kana(form.get("name_kana")),
        "company_id": int(form.get("company_id") or worker.company_id),
        "ccus_worker_id": ccus,
        "language": language,
        "card_level": level,
        "kentaikyo": form.get("kentaikyo") in ("1", "on"),
    }
    changed = [key for key, value in new.items() if getattr(worker, key) != value]
    for key in changed:
        setattr(worker, key, new[key])
    if pin:
        worker.pin_hash = hash_pin(pin)
        changed.append("pin")
    session.flush()
    audit(session, actor, "edit_worker", "worker", worker.id, changed=changed)
    return changed


def remove_phone(session: Session, phone: Phone, actor: str) -> None:
    """Take a phone number off its worker (their earlier calls stay theirs)."""
    audit(
        session,
        actor,
        "remove_phone",
        "phone",
        phone.id,
        worker_id=phone.worker_id,
        e164=phone.e164,
    )
    session.delete(phone)
    session.flush()


def link_phone_to(session: Session, phone: str, worker_id: int, actor: str) -> LinkResult:
    """Register a phone (any spelling) to a worker; its earlier calls become the worker's
    (`workers_db.enrollment`, which audits and resolves the matching exceptions)."""
    try:
        e164 = normalize_phone(phone)
    except InvalidIdentifier as exc:
        raise ValidationFailed([exc.problem("phone")]) from exc
    return link_phone(session, e164, worker_id, actor)


def link_card_to(session: Session, card_uid: str, worker_id: int, actor: str) -> LinkResult:
    """Register a card (any spelling of its id) to a worker, with its earlier touches."""
    try:
        uid = canonical_card_uid(card_uid)
    except InvalidIdentifier as exc:
        raise ValidationFailed([exc.problem("card_uid")]) from exc
    return link_card(session, uid, worker_id, actor)
