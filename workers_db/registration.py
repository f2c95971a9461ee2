"""Pre-registration: companies, sites, the 施工体制 tree, workers with their phones and cards,
and the look-ups a call or a touch needs (who is this phone, this card, this dialled number).

Uniqueness of phones and cards is decided by the database: a concurrent registration of the
same number by two requests ends with one IntegrityError, turned here into a field error.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr_flows.formats import PIN_DIGITS, is_pin
from ivr_flows.languages import CODES
from workers_db.audit import SETUP_ACTOR, audit
from workers_db.errors import FieldProblem, NotFound, ValidationFailed
from workers_db.identifiers import (
    InvalidIdentifier,
    canonical_card_uid,
    card_technology,
    normalize_ccus_id,
    normalize_phone,
    validate_site_code,
)
from workers_db.models import (
    Card,
    Company,
    Phone,
    PhoneCrewMember,
    Site,
    SiteCompany,
    Worker,
)
from workers_db.text import clean_text, optional_kana

LANGUAGES = CODES  # the phone's languages: one list, in ivr_flows.languages
PIN_PROBLEM = FieldProblem("pin", "pin.digits", {"min": PIN_DIGITS[0], "max": PIN_DIGITS[1]})


def pin_is_valid(pin: str) -> bool:
    """Empty (no PIN), or a PIN the phone accepts (`ivr_flows.formats.is_pin`)."""
    text = pin.strip()
    return not text or is_pin(text)


_hasher = PasswordHasher()
# PINs have 4 to 8 digits: no hash cost keeps so few values from an offline search, so what
# guards them is the database's access control and the lock-out after wrong tries.  A lighter
# Argon2id (about 1 ms instead of about 120 ms here) keeps importing tens of thousands of
# workers with PINs in seconds, not hours; `verify_secret` reads the parameters from the hash.
_pin_hasher = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=1)


def hash_secret(secret: str) -> str:
    """Argon2id hash, for passwords."""
    return _hasher.hash(secret)


def hash_pin(pin: str) -> str:
    """Argon2id hash of a worker's PIN (lighter parameters, see `_pin_hasher`)."""
    return _pin_hasher.hash(pin)


def verify_secret(hashed: str | None, secret: str) -> bool:
    if not hashed:
        return False
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough (and fast per request)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "gc_" + secrets.token_urlsafe(32)


def tokens_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


# ---------------------------------------------------------------- companies and sites


def create_company(
    session: Session,
    name: str,
    ccus_business_id: str | None = None,
    sole_proprietor: bool = False,
    name_kana: str | None = None,
    *,
    actor: str = SETUP_ACTOR,
    **audit_detail: Any,
) -> Company:
    """A company; `audit_detail` adds what the caller knows (e.g. the site it was added for)."""
    problems: list[FieldProblem] = []
    name = clean_text(name)
    if not name:
        problems.append(FieldProblem("name", "required"))
    ccus = _ccus(ccus_business_id, "ccus_business_id", problems)
    if ccus and session.scalar(select(Company.id).where(Company.ccus_business_id == ccus)):
        problems.append(FieldProblem("ccus_business_id", "already_registered", {"value": ccus}))
    if problems:
        raise ValidationFailed(problems)
    company = Company(
        name=name,
        name_kana=optional_kana(name_kana),
        ccus_business_id=ccus,
        sole_proprietor=bool(sole_proprietor),
    )
    _insert_unique(session, "ccus_business_id", company)
    audit(
        session, actor, "create_company", "company", company.id, name=company.name, **audit_detail
    )
    return company


def create_site(
    session: Session,
    name: str,
    site_code: str,
    prime_company_id: int,
    dial_in_number: str | None = None,
    ccus_site_id: str | None = None,
    contract_amount_yen: int | None = None,
    answer_mode: str = "confirm",
    model_works: bool = False,
    *,
    actor: str = SETUP_ACTOR,
) -> Site:
    problems: list[FieldProblem] = []
    if not (name or "").strip():
        problems.append(FieldProblem("name", "required"))
    code = None
    try:
        code = validate_site_code(str(site_code or ""))
    except InvalidIdentifier as exc:
        problems.append(exc.problem("site_code"))
    if code and session.scalar(select(Site.id).where(Site.site_code == code)):
        problems.append(FieldProblem("site_code", "site_code.taken", {"value": code}))
    if session.get(Company, prime_company_id) is None:
        problems.append(
            FieldProblem("prime_company_id", "company.not_found", {"id": prime_company_id})
        )
    dial_in = None
    if dial_in_number:
        try:
            dial_in = normalize_phone(dial_in_number)
        except InvalidIdentifier as exc:
            problems.append(exc.problem("dial_in_number"))
        if dial_in and session.scalar(select(Site.id).where(Site.dial_in_number == dial_in)):
            problems.append(FieldProblem("dial_in_number", "dial_in.taken", {"value": dial_in}))
    ccus = _ccus(ccus_site_id, "ccus_site_id", problems)
    if answer_mode not in ("confirm", "reject"):
        problems.append(FieldProblem("answer_mode", "answer_mode"))
    if contract_amount_yen is not None and (
        not isinstance(contract_amount_yen, int) or contract_amount_yen < 0
    ):
        problems.append(FieldProblem("contract_amount_yen", "contract_amount"))
    if problems:
        raise ValidationFailed(problems)
    assert code is not None
    site = Site(
        name=name.strip(),
        site_code=code,
        prime_company_id=prime_company_id,
        dial_in_number=dial_in,
        ccus_site_id=ccus,
        registered_in_ccus=ccus is not None,
        contract_amount_yen=contract_amount_yen,
        answer_mode=answer_mode,
        model_works=bool(model_works),
    )
    _insert_unique(session, "site_code", site)
    # The prime is the root of its own site's structure.
    session.add(SiteCompany(site_id=site.id, company_id=prime_company_id, tier=0, source="admin"))
    session.flush()
    audit(session, actor, "create_site", "site", site.id, site_code=site.site_code)
    return site


# ---------------------------------------------------------------- workers


def create_worker(
    session: Session,
    name: str,
    company_id: int,
    name_kana: str | None = None,
    ccus_worker_id: str | None = None,
    phones: Sequence[str] = (),
    card_uids: Sequence[str] = (),
    language: str | None = None,
    pin: str | None = None,
    kentaikyo: bool = False,
    card_level: int | None = None,
    *,
    actor: str = SETUP_ACTOR,
) -> Worker:
    """A worker with phones and cards; every problem is reported at once, nothing written."""
    problems: list[FieldProblem] = []
    name = clean_text(name)
    if not name:
        problems.append(FieldProblem("name", "required"))
    if session.get(Company, company_id) is None:
        problems.append(FieldProblem("company_id", "company.not_found", {"id": company_id}))
    ccus = _ccus(ccus_worker_id, "ccus_worker_id", problems)
    if ccus and ccus_worker_taken(session, ccus):
        problems.append(FieldProblem("ccus_worker_id", "ccus.taken_by_worker", {"value": ccus}))
    lang = (language or "ja").strip().lower() or "ja"
    if lang not in LANGUAGES:
        problems.append(
            FieldProblem(
                "language", "one_of", {"value": language or "", "choices": ", ".join(LANGUAGES)}
            )
        )
    if pin is not None and not pin_is_valid(str(pin)):
        problems.append(PIN_PROBLEM)
    if card_level is not None and card_level not in (1, 2, 3, 4):
        problems.append(FieldProblem("card_level", "card_level"))
    e164s = normalize_phones_into(phones, "phones", problems)
    uids = canonical_cards_into(card_uids, "card_uids", problems)
    problems.extend(ownership_problems(session, e164s, uids))
    if problems:
        raise ValidationFailed(problems)

    worker = Worker(
        name=name,
        name_kana=optional_kana(name_kana),
        company_id=company_id,
        ccus_worker_id=ccus,
        language=lang,
        pin_hash=hash_pin(str(pin).strip()) if pin and str(pin).strip() else None,
        kentaikyo=bool(kentaikyo),
        card_level=card_level,
    )
    worker.phones = [Phone(e164=e164) for e164 in e164s]
    worker.cards = [Card(uid=uid, technology=card_technology(uid)) for uid in uids]
    _insert_unique(session, "phones", worker, _WORKER_UNIQUES)
    audit(
        session,
        actor,
        "create_worker",
        "worker",
        worker.id,
        name=worker.name,
        company_id=company_id,
        phones=e164s,
        cards=uids,
    )
    return worker


def add_phone(session: Session, worker_id: int, phone: str) -> Phone:
    problems: list[FieldProblem] = []
    e164s = normalize_phones_into([phone], "phone", problems)
    problems.extend(ownership_problems(session, e164s, [], owner=worker_id))
    if problems:
        raise ValidationFailed(problems)
    existing = session.scalar(select(Phone).where(Phone.e164 == e164s[0]))
    if existing is not None:
        return existing
    row = Phone(e164=e164s[0], worker_id=worker_id)
    _insert_unique(session, "phone", row)
    return row


def add_card(session: Session, worker_id: int, card_uid: str) -> Card:
    problems: list[FieldProblem] = []
    uids = canonical_cards_into([card_uid], "card_uid", problems)
    problems.extend(ownership_problems(session, [], uids, owner=worker_id))
    if problems:
        raise ValidationFailed(problems)
    existing = session.scalar(select(Card).where(Card.uid == uids[0]))
    if existing is not None:
        return existing
    row = Card(uid=uids[0], technology=card_technology(uids[0]), worker_id=worker_id)
    _insert_unique(session, "card_uid", row)
    return row


def add_crew_member(session: Session, phone_e164: str, worker_id: int) -> PhoneCrewMember:
    phone = session.scalar(select(Phone).where(Phone.e164 == phone_e164))
    if phone is None:
        raise NotFound("phone.not_registered", {"value": phone_e164})
    row = session.scalar(
        select(PhoneCrewMember).where(
            PhoneCrewMember.phone_id == phone.id, PhoneCrewMember.worker_id == worker_id
        )
    )
    if row is None:
        row = PhoneCrewMember(phone_id=phone.id, worker_id=worker_id)
        session.add(row)
        session.flush()
    return row


def normalize_phones_into(
    values: Iterable[str], field: str, problems: list[FieldProblem]
) -> list[str]:
    out: list[str] = []
    for value in values:
        try:
            e164 = normalize_phone(value)
        except InvalidIdentifier as exc:
            problems.append(exc.problem(field))
            continue
        if e164 in out:
            problems.append(FieldProblem(field, "listed_twice", {"value": e164}))
        else:
            out.append(e164)
    return out


def canonical_cards_into(
    values: Iterable[str], field: str, problems: list[FieldProblem]
) -> list[str]:
    out: list[str] = []
    for value in values:
        try:
            uid = canonical_card_uid(value)
        except InvalidIdentifier as exc:
            problems.append(exc.problem(field))
            continue
        if uid in out:
            problems.append(FieldProblem(field, "listed_twice", {"value": uid}))
        else:
            out.append(uid)
    return out


def ownership_problems(
    session: Session, e164s: Sequence[str], uids: Sequence[str], owner: int | None = None
) -> list[FieldProblem]:
    """Phones and cards already owned by a worker other than `owner`.  The answer never says
    whose: the owner may be outside the caller's scope (docs/scope.md)."""
    problems: list[FieldProblem] = []
    if e164s:
        for e164, worker_id in session.execute(
            select(Phone.e164, Phone.worker_id).where(Phone.e164.in_(e164s))
        ):
            if worker_id != owner:
                problems.append(FieldProblem("phone", "taken_by_other", {"value": e164}))
    if uids:
        for uid, worker_id in session.execute(
            select(Card.uid, Card.worker_id).where(Card.uid.in_(uids))
        ):
            if worker_id != owner:
                problems.append(FieldProblem("card_uid", "taken_by_other", {"value": uid}))
    return problems


def ccus_worker_taken(session: Session, ccus: str, except_worker_id: int | None = None) -> bool:
    """Another worker (than `except_worker_id`) has this 技能者ID."""
    stmt = select(Worker.id).where(Worker.ccus_worker_id == ccus)
    if except_worker_id is not None:
        stmt = stmt.where(Worker.id != except_worker_id)
    return session.scalar(stmt.limit(1)) is not None


# ---------------------------------------------------------------- helpers


def _ccus(value: str | None, field: str, problems: list[FieldProblem]) -> str | None:
    try:
        return normalize_ccus_id(value)
    except InvalidIdentifier as exc:
        problems.append(exc.problem(field))
        return None


# Which field a unique violation on inserting a worker names (the constraint's name on
# PostgreSQL, "table.column" on SQLite both contain these words; the first match wins).
_WORKER_UNIQUES = (("ccus_worker_id", "ccus_worker_id"), ("cards", "card_uids"))


def _insert_unique(
    session: Session, field: str, row: Any, fields: Sequence[tuple[str, str]] = ()
) -> None:
    """Insert in a savepoint: a unique violation (a concurrent registration won the race)
    becomes a field error, and the caller's transaction stays usable.  `fields` maps a word
    of the violated constraint to the field to name instead of `field`."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        violated = str(exc.orig)
        field = next((f for word, f in fields if word in violated), field)
        raise ValidationFailed.one(field, "concurrent_registration") from exc
