"""The foundation's own checks: migrations, identifiers, idempotent intake, config."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select

from workers_db.errors import ValidationFailed
from workers_db.identifiers import (
    InvalidIdentifier,
    canonical_card_uid,
    mask_phone,
    normalize_phone,
)
from workers_db.intake import raise_exception, record_event, work_date_of
from workers_db.migrate import current_revision, head_revision, upgrade
from workers_db.models import Base, Event
from workers_db.settings import ConfigError, Settings

from .helpers import make_company, make_site, make_worker

TOKYO = ZoneInfo("Asia/Tokyo")


def test_migrations_match_models_and_run_twice(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []


@pytest.mark.parametrize(
    "written",
    [
        "090-1234-5678",
        "０９０－１２３４－５６７８",
        "+81 90 1234 5678",
        "(090)1234-5678",
        "09012345678",
    ],
)
def test_phone_spellings_become_e164(written: str) -> None:
    assert normalize_phone(written) == "+819012345678"


@pytest.mark.parametrize("bad", ["", "12", "090-1234", "abc-defg", "090-1234-5678-9999"])
def test_bad_phones_say_why(bad: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        normalize_phone(bad)
    assert str(info.value)


def test_mask_keeps_only_the_last_two_digits() -> None:
    masked = mask_phone("+819012345678")
    assert masked.endswith("78") and "1234" not in masked


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("01:2e:3f:4a:5b:6c:7d:8e", "F:012E3F4A5B6C7D8E"),
        ("012E3F4A5B6C7D8E", "F:012E3F4A5B6C7D8E"),
        ("a:04-a1-b2-c3", "A:04A1B2C3"),
        ("B:0102ABCD", "B:0102ABCD"),
    ],
)
def test_card_uids_are_canonical(raw: str, canonical: str) -> None:
    assert canonical_card_uid(raw) == canonical


def test_work_date_is_local() -> None:
    # 23:30 UTC on 1 April is 08:30 on 2 April in Tokyo.
    assert work_date_of(datetime(2026, 4, 1, 23, 30, tzinfo=UTC), TOKYO) == date(2026, 4, 2)


def test_record_event_is_idempotent(db_session) -> None:  # type: ignore[no-untyped-def]
    site = make_site(db_session)
    worker = make_worker(db_session)
    at = datetime(2026, 11, 26, 7, 45, tzinfo=TOKYO)
    first = record_event(
        db_session,
        external_id="call:CA1:entry",
        source="phone",
        site_id=site.id,
        worker_id=worker.id,
        occurred_at=at,
        tz=TOKYO,
        direction="entry",
    )
    again = record_event(
        db_session,
        external_id="call:CA1:entry",
        source="phone",
        site_id=site.id,
        worker_id=worker.id,
        occurred_at=at,
        tz=TOKYO,
        direction="entry",
    )
    assert first.created and not again.created
    assert again.event.id == first.event.id
    count = db_session.scalars(select(Event).where(Event.external_id == "call:CA1:entry")).all()
    assert len(count) == 1


def test_raise_exception_once_per_key(db_session) -> None:  # type: ignore[no-untyped-def]
    site = make_site(db_session)
    a = raise_exception(db_session, kind="withheld_caller", dedupe_key="k1", site_id=site.id)
    b = raise_exception(db_session, kind="withheld_caller", dedupe_key="k1", site_id=site.id)
    assert a.id == b.id


def test_phone_cannot_belong_to_two_workers(db_session) -> None:  # type: ignore[no-untyped-def]
    make_worker(db_session, phones=["090-1111-2222"])
    with pytest.raises(ValidationFailed) as info:
        make_worker(db_session, phones=["+81 90 1111 2222"])
    assert info.value.problems[0].field == "phone"


def test_production_refuses_missing_secrets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"GENBA_ENV": "production", "GENBA_INSTANCE": str(tmp_path)})
    assert "TWILIO_AUTH_TOKEN" in str(info.value) and "GENBA_SECRET_KEY" in str(info.value)


def test_defaults_follow_the_contract(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = Settings.from_env({"GENBA_INSTANCE": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'genba.db'}"
    assert s.redis_url is None and s.repeat_window_s == 600 and s.tz_name == "Asia/Tokyo"
    assert s.twilio_auth_token is None
    assert (tmp_path / "secret_key").exists()
    assert Settings.from_env({"GENBA_INSTANCE": str(tmp_path)}).secret_key == s.secret_key


def test_company_ccus_id_is_checked(db_session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as info:
        make_company(db_session, ccus_business_id="123")
    assert info.value.problems[0].field == "ccus_business_id"


def test_healthz_and_readyz(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json
    assert ready.json["checks"] == {"database": "ok", "redis": "ok"}


def test_an_idle_pooled_connection_is_pinged_and_replaced_when_dead(
    database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """workers_db.db: a connection back from a request a moment ago is handed out as it is
    (no ping); one idle for longer is pinged, and a dead one replaced before anyone uses it."""
    from sqlalchemy import text

    from workers_db import db

    pooled = db.make_engine(database_url, pool_size=1, max_overflow=0)
    pings: list[object] = []
    ping = pooled.dialect.do_ping

    def counted(dbapi: object) -> bool:
        pings.append(dbapi)
        return ping(dbapi)

    monkeypatch.setattr(pooled.dialect, "do_ping", counted)
    try:
        with pooled.connect() as conn:
            first = conn.scalar(text("SELECT pg_backend_pid()"))
        with pooled.connect() as conn:  # just returned: no ping
            assert conn.scalar(text("SELECT pg_backend_pid()")) == first
        assert pings == []
        with engine.connect() as admin:  # the connection dies while idle in the pool
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(db, "PG_PING_IDLE_S", 0.0)
        with pooled.connect() as conn:  # the ping fails: a new connection, no error
            assert conn.scalar(text("SELECT pg_backend_pid()")) != first
        assert len(pings) == 1
    finally:
        pooled.dispose()


def test_run_on_driver_gives_each_statement_its_rows(db_session) -> None:  # type: ignore[no-untyped-def]
    """In one pipeline: a statement without a result (SAVEPOINT) gives no rows, one with a
    result gives its rows, even none."""
    from sqlalchemy import literal, text

    from workers_db.db import DriverStatement, run_on_driver

    savepoint = DriverStatement(text("SAVEPOINT driver_rows"))
    one = DriverStatement(select(literal(7).label("n"), literal("x").label("s")))
    none = DriverStatement(select(Event.id).where(Event.external_id == "no such event"))
    assert run_on_driver(db_session, (savepoint, {}), (one, {}), (none, {})) == [[], [(7, "x")], []]
    assert run_on_driver(db_session, (one, {})) == [[(7, "x")]]
