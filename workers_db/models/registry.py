"""Who and where: companies, workers with their phones and cards, sites, the 施工体制 tree,
and member companies' targets."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workers_db.models.base import Base, UTCDateTime, utcnow

CCUS_ID_CHECK = "length({col}) = 14"


class Company(Base):
    """An employer (事業者).  A sole proprietor (一人親方) is a one-person company."""

    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint(CCUS_ID_CHECK.format(col="ccus_business_id"), name="ccus_business_id_len"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str | None] = mapped_column(String(200))
    ccus_business_id: Mapped[str | None] = mapped_column(String(14), unique=True)
    ccus_registration_expires: Mapped[date | None] = mapped_column(Date)
    sole_proprietor: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    workers: Mapped[list[Worker]] = relationship(back_populates="company")


class Worker(Base):
    """A skilled worker (技能者).  `name_kana` is what the phone reads back."""

    __tablename__ = "workers"
    __table_args__ = (
        CheckConstraint(CCUS_ID_CHECK.format(col="ccus_worker_id"), name="ccus_worker_id_len"),
        CheckConstraint("card_level BETWEEN 1 AND 4", name="card_level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str | None] = mapped_column(String(200))
    ccus_worker_id: Mapped[str | None] = mapped_column(String(14), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="ja")
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    card_level: Mapped[int | None] = mapped_column(Integer)
    kentaikyo: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the 作業員名簿 needs; personal data, all optional (docs/documents.md).
    trade: Mapped[str | None] = mapped_column(String(100))  # 職種
    birth_date: Mapped[date | None] = mapped_column(Date)  # 生年月日
    hired_on: Mapped[date | None] = mapped_column(Date)  # 雇入年月日
    health_insurance: Mapped[str | None] = mapped_column(String(40))  # 健康保険 kind / 適用除外
    pension_insurance: Mapped[str | None] = mapped_column(String(40))  # 年金保険
    employment_insurance: Mapped[str | None] = mapped_column(String(40))  # 雇用保険
    emergency_contact: Mapped[str | None] = mapped_column(String(200))  # 緊急連絡先
    qualifications: Mapped[list[str] | None] = mapped_column(JSON)  # 資格・免許 (free list)

    company: Mapped[Company] = relationship(back_populates="workers")
    phones: Mapped[list[Phone]] = relationship(back_populates="worker")
    cards: Mapped[list[Card]] = relationship(back_populates="worker")


class Phone(Base):
    """A phone number (E.164) owned by exactly one worker; the database enforces uniqueness."""

    __tablename__ = "phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    worker: Mapped[Worker] = relationship(back_populates="phones")


class PhoneCrewMember(Base):
    """A further worker who checks in through someone else's phone (a foreman's crew phone).

    The phone keeps its one owner; crew members are added explicitly by an admin, so the
    call can offer "one of you, or all of you".
    """

    __tablename__ = "phone_crew_members"
    __table_args__ = (UniqueConstraint("phone_id", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_id: Mapped[int] = mapped_column(ForeignKey("phones.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Card(Base):
    """A card UID in canonical form (`F:`/`A:`/`B:` + upper-case hex), owned by one worker."""

    __tablename__ = "cards"
    __table_args__ = (CheckConstraint("technology IN ('F', 'A', 'B')", name="technology"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    technology: Mapped[str] = mapped_column(String(1))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    worker: Mapped[Worker] = relationship(back_populates="cards")


class Site(Base):
    """A construction site (現場) run by one prime contractor (元請)."""

    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("answer_mode IN ('confirm', 'reject')", name="answer_mode"),
        CheckConstraint("length(site_code) BETWEEN 4 AND 8", name="site_code_len"),
        CheckConstraint(CCUS_ID_CHECK.format(col="ccus_site_id"), name="ccus_site_id_len"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    site_code: Mapped[str] = mapped_column(String(8), unique=True)
    dial_in_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    ccus_site_id: Mapped[str | None] = mapped_column(String(14), unique=True)
    registered_in_ccus: Mapped[bool] = mapped_column(Boolean, default=False)
    prime_company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    contract_amount_yen: Mapped[int | None] = mapped_column(BigInteger)
    answer_mode: Mapped[str] = mapped_column(String(10), default="confirm")
    model_works: Mapped[bool] = mapped_column(Boolean, default=False)
    reader_present: Mapped[bool] = mapped_column(Boolean, default=False)
    reader_last_upload_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    prime_company: Mapped[Company] = relationship()


class SiteCompany(Base):
    """One edge of a site's contract tree (施工体制): `company` works under `parent_company`.

    Edges added by a call (a worker of a company not yet in the tree) arrive unconfirmed.
    """

    __tablename__ = "site_companies"
    __table_args__ = (
        UniqueConstraint("site_id", "company_id"),
        CheckConstraint("tier BETWEEN 0 AND 9", name="tier_range"),
        CheckConstraint("source IN ('admin', 'call', 'nfc', 'import', 'api')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    parent_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    tier: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10), default="api")
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the 施工体系図 shows of the company at this site; all optional.
    trade: Mapped[str | None] = mapped_column(String(100))  # 工種
    chief_engineer: Mapped[str | None] = mapped_column(String(100))  # 主任技術者
    works_from: Mapped[date | None] = mapped_column(Date)  # 工期 (from)
    works_to: Mapped[date | None] = mapped_column(Date)  # 工期 (to)


RATE_CHECK = "{col} IS NULL OR ({col} >= 0 AND {col} <= 1)"


class Target(Base):
    """A member company's 新目標 for one fiscal year (April–March): the タッチ数 target and
    minimum commitment, and optionally a target and commitment for 事業者登録率 and
    技能者登録率 (カード保有率), rates as fractions 0–1."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("company_id", "fiscal_year"),
        CheckConstraint("target_count >= 0 AND commitment_count >= 0", name="non_negative"),
        CheckConstraint(
            " AND ".join(
                f"({RATE_CHECK.format(col=c)})"
                for c in (
                    "company_rate_target",
                    "company_rate_commitment",
                    "worker_rate_target",
                    "worker_rate_commitment",
                )
            ),
            name="rates_0_1",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    target_count: Mapped[int] = mapped_column(BigInteger)
    commitment_count: Mapped[int] = mapped_column(BigInteger)
    company_rate_target: Mapped[float | None] = mapped_column(Float)
    company_rate_commitment: Mapped[float | None] = mapped_column(Float)
    worker_rate_target: Mapped[float | None] = mapped_column(Float)
    worker_rate_commitment: Mapped[float | None] = mapped_column(Float)


class SiteTarget(Base):
    """The figures a member company notifies to one of its sites (現場ルート): 事業者登録率,
    技能者登録率 and タッチ率 (就業履歴蓄積率), each 0–1 or unset.  The site is judged on them."""

    __tablename__ = "site_targets"
    __table_args__ = (
        CheckConstraint(
            " AND ".join(
                f"({RATE_CHECK.format(col=c)})"
                for c in ("company_rate", "worker_rate", "accumulation_rate")
            ),
            name="rates_0_1",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), unique=True)
    company_rate: Mapped[float | None] = mapped_column(Float)
    worker_rate: Mapped[float | None] = mapped_column(Float)
    accumulation_rate: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SiteWorker(Base):
    """What a site knows of one worker beyond the days: the date of the site's induction
    (受入教育実施日).  Personal data, scoped like the worker."""

    __tablename__ = "site_workers"
    __table_args__ = (UniqueConstraint("site_id", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    induction_on: Mapped[date | None] = mapped_column(Date)
