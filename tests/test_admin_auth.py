"""Admin UI accounts: Argon2 login, throttling, CSRF, cookies, sessions, language."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from voice_app import create_app
from workers_db import lockout
from workers_db.models import AdminUser, AuditEntry, AuthFailure, Worker
from workers_db.registration import hash_secret
from workers_db.settings import Settings

from .admin_support import CSRF, PASSWORD, World, login_as, world_fixture  # noqa: F401

_CSRF_FIELD = re.compile(rb'name="csrf_token" value="([^"]+)"')


def form_token(client: FlaskClient, url: str = "/admin/login") -> str:
    page = client.get(url)
    match = _CSRF_FIELD.search(page.data)
    assert match, page.data[:500]
    return match.group(1).decode()


def log_in(client: FlaskClient, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    token = form_token(client)
    return client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token, **extra}
    )


def test_login_page_is_japanese_with_email_and_password(client: FlaskClient) -> None:
    page = client.get("/admin/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    assert "ログイン" in html and 'lang="ja"' in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_pages_need_a_login(client: FlaskClient, world: World) -> None:
    answer = client.get(f"/admin/sites/{world.a.site.id}/board")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/admin/login?next=")


def test_login_logs_in_and_audits(client: FlaskClient, world: World, db_session: Session) -> None:
    answer = log_in(client, "siteA@example.jp", PASSWORD)
    assert answer.status_code == 302
    board = client.get(answer.headers["Location"], follow_redirects=True)
    assert board.status_code == 200
    assert world.a.site.name in board.get_data(as_text=True)
    actor = f"user:{world.a.users['site_admin'].id}"
    assert db_session.scalar(
        select(AuditEntry).where(AuditEntry.action == "login", AuditEntry.actor == actor)
    )


def test_login_goes_to_a_safe_next_only(client: FlaskClient, world: World) -> None:
    answer = log_in(client, "admin@example.jp", PASSWORD, next="https://evil.example/x")
    assert answer.headers["Location"] == "/admin/"
    client.post("/admin/logout", data={"csrf_token": form_token(client, "/admin/sites")})
    answer = log_in(client, "admin@example.jp", PASSWORD, next="/admin/workers")
    assert answer.headers["Location"] == "/admin/workers"


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: FlaskClient, world: World
) -> None:
    wrong = log_in(client, "admin@example.jp", "not the password")
    unknown = log_in(client, "nobody@example.jp", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "メールアドレスかパスワードが違います"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert client.get("/admin/sites").status_code == 302  # still not logged in


def test_five_failures_lock_the_email(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    for _ in range(lockout.LOGIN_EMAIL.tries):
        assert log_in(client, "admin@example.jp", "wrong").status_code == 401
    locked = log_in(client, "admin@example.jp", PASSWORD)
    assert locked.status_code == 429
    assert "15分後" in locked.get_data(as_text=True)
    row = db_session.scalar(select(AuthFailure).where(AuthFailure.key == "login:admin@example.jp"))
    assert row is not None and row.locked_until is not None
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "login_locked"))
    # another account from elsewhere is not affected by this e-mail's lock
    other = app_client_from(client, "10.9.9.9")
    assert log_in(other, "siteA@example.jp", PASSWORD).status_code == 302


def app_client_from(client: FlaskClient, address: str) -> FlaskClient:
    other = client.application.test_client()
    other.environ_base["REMOTE_ADDR"] = address
    return other


def test_many_failures_from_one_address_lock_that_address(
    client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    four = lockout.Limit(4, lockout.LOGIN_IP.window, lockout.LOGIN_IP.lock)
    monkeypatch.setattr(lockout, "LOGIN_IP", four)  # the real 20 costs 20 Argon2 checks
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    for n in range(four.tries):
        log_in(client, f"guess{n}@example.jp", "wrong")
    assert log_in(client, "admin@example.jp", PASSWORD).status_code == 429
    assert (
        log_in(app_client_from(client, "192.0.2.8"), "admin@example.jp", PASSWORD).status_code
        == 302
    )


def test_inactive_user_cannot_log_in(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    world.admin.active = False
    db_session.commit()
    assert log_in(client, "admin@example.jp", PASSWORD).status_code == 401


def test_post_without_csrf_token_is_refused(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    assert (
        client.post(
            "/admin/login", data={"email": "admin@example.jp", "password": PASSWORD}
        ).status_code
        == 400
    )
    login_as(client, world.admin)
    worker = world.a.worker
    answer = client.post(f"/admin/workers/{worker.id}/active", data={"active": "0"})
    assert answer.status_code == 400
    assert "読み込み直して" in answer.get_data(as_text=True)
    wrong = client.post(
        f"/admin/workers/{worker.id}/active", data={"active": "0", "csrf_token": "forged"}
    )
    assert wrong.status_code == 400
    db_session.expire_all()
    assert db_session.get(Worker, worker.id).active is True  # type: ignore[union-attr]
    ok = client.post(f"/admin/workers/{worker.id}/active", data={"active": "0", "csrf_token": CSRF})
    assert ok.status_code == 302


def test_session_cookie_is_httponly_samesite_and_secure_in_production(
    settings: Settings, session_factory: sessionmaker[Session], world: World
) -> None:
    production = create_app(
        {
            "TESTING": True,
            "GENBA_SETTINGS": settings.with_overrides(environment="production"),
            "GENBA_SESSION_FACTORY": session_factory,
        }
    )
    client = production.test_client()
    answer = client.get("/admin/login")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_password_change_ends_other_sessions(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["site_admin"])
    assert client.get("/admin/sites").status_code == 200
    world.a.users["site_admin"].password_hash = hash_secret("a brand new password")
    db_session.commit()
    assert client.get("/admin/sites").status_code == 302


def test_logout(client: FlaskClient, world: World) -> None:
    login_as(client, world.admin)
    assert client.post("/admin/logout", data={"csrf_token": CSRF}).status_code == 302
    assert client.get("/admin/sites").status_code == 302


def test_english_is_selectable_and_remembered(
    app: Flask, client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.admin)
    assert "入退場ボード" in client.get("/admin/sites").get_data(as_text=True)
    client.post("/admin/language", data={"lang": "en", "csrf_token": CSRF})
    page = client.get("/admin/sites").get_data(as_text=True)
    assert "Today&#39;s board" in page and 'lang="en"' in page
    user = db_session.scalar(select(AdminUser).where(AdminUser.email == "admin@example.jp"))
    db_session.refresh(user)
    assert user is not None and user.language == "en"


def test_site_admin_gives_a_subcontractor_its_login(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    login_as(client, world.a.users["site_admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert "companya@example.jp" in page and "companyb@example.jp" not in page
    data = {
        "csrf_token": CSRF,
        "email": "Oyakata@Example.jp",
        "role": "company_admin",
        "company_id": str(world.a.sub.id),
        "password": "long enough pw",
    }
    assert client.post("/admin/users", data=data).status_code == 302
    user = db_session.scalar(select(AdminUser).where(AdminUser.email == "oyakata@example.jp"))
    assert user is not None and user.role == "company_admin" and user.company_id == world.a.sub.id
    assert user.password_hash.startswith("$argon2")
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "create_user"))
    short = client.post("/admin/users", data={**data, "email": "x@example.jp", "password": "short"})
    assert short.status_code == 422 and "10文字以上" in short.get_data(as_text=True)
    # nobody grants more than they hold
    other = {**data, "email": "y@example.jp", "company_id": str(world.b.sub.id)}
    assert client.post("/admin/users", data=other).status_code == 403
    prime = {**data, "email": "z@example.jp", "role": "prime_admin"}
    assert client.post("/admin/users", data=prime).status_code == 403
    # the new login works and sees its own company's workers only
    fresh = client.application.test_client()
    assert log_in(fresh, "oyakata@example.jp", "long enough pw").status_code == 302
    workers = fresh.get("/admin/workers").get_data(as_text=True)
    assert "作業員A" in workers and "作業員B" not in workers
    assert fresh.get("/admin/users").status_code == 403


def test_deactivating_a_login_ends_its_session(
    client: FlaskClient, world: World, db_session: Session
) -> None:
    target = world.a.users["company_admin"]
    other = client.application.test_client()
    login_as(other, target)
    assert other.get("/admin/workers").status_code == 200
    login_as(client, world.a.users["prime_admin"])
    answer = client.post(
        f"/admin/users/{target.id}/active", data={"csrf_token": CSRF, "active": "0"}
    )
    assert answer.status_code == 302
    assert other.get("/admin/workers").status_code == 302  # back to the login page
    own = world.a.users["prime_admin"].id
    assert (
        client.post(
            f"/admin/users/{own}/active", data={"csrf_token": CSRF, "active": "0"}
        ).status_code
        == 400
    )
