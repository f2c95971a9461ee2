"""Sessions that end on the server side: a copy of the session cookie saved before logout, a
password change or deactivation opens nothing afterwards (the cookie is signed, not stored:
the login's session epoch in its stamp is what the server checks on every request)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from .admin_support import CSRF, PASSWORD, World, login_as, world_fixture  # noqa: F401
from .test_admin_auth import form_token, log_in


class SavedCookie:
    """A copy of a session cookie (a saved or stolen one), replayed as it was on every
    request: the server clearing it in the answer does not change the copy."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        cookie = client.get_cookie("session")
        assert cookie is not None
        self.app, self.value = app, cookie.value

    def get(self, url: str) -> TestResponse:
        browser = self.app.test_client()
        browser.set_cookie("session", self.value)
        return browser.get(url)


def _copy_of_cookie(app: Flask, client: FlaskClient) -> SavedCookie:
    return SavedCookie(app, client)


def _site_admin_and_admin(
    app: Flask, client: FlaskClient, world: World
) -> tuple[SavedCookie, FlaskClient]:
    """Side A's site admin logged in through the form in `client` (and a saved copy of its
    cookie), and the admin signed in in another browser."""
    assert log_in(client, "siteA@example.jp", PASSWORD).status_code == 302
    return _copy_of_cookie(app, client), login_as(app.test_client(), world.admin)


def test_a_cookie_saved_before_logout_no_longer_opens_the_workers(
    app: Flask, client: FlaskClient, world: World
) -> None:
    assert log_in(client, "siteA@example.jp", PASSWORD).status_code == 302
    saved = _copy_of_cookie(app, client)
    assert saved.get("/admin/workers").status_code == 200
    client.post("/admin/logout", data={"csrf_token": form_token(client, "/admin/sites")})
    answer = saved.get("/admin/workers")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/admin/login")
    # logging in again gives a working session (the epoch only ends the old ones)
    assert log_in(client, "siteA@example.jp", PASSWORD).status_code == 302
    assert client.get("/admin/workers").status_code == 200


def test_a_password_change_ends_every_session_of_that_login(
    app: Flask, client: FlaskClient, world: World
) -> None:
    target = world.a.users["site_admin"]
    saved, admin = _site_admin_and_admin(app, client, world)
    answer = admin.post(
        f"/admin/users/{target.id}/password",
        data={"csrf_token": CSRF, "password": "a brand new password"},
    )
    assert answer.status_code == 302
    assert saved.get("/admin/workers").status_code == 302
    assert client.get("/admin/workers").status_code == 302
    assert admin.get("/admin/workers").status_code == 200  # only that login's sessions end


def test_deactivation_ends_every_session_and_reactivation_revives_none(
    app: Flask, client: FlaskClient, world: World
) -> None:
    target = world.a.users["site_admin"]
    saved, admin = _site_admin_and_admin(app, client, world)
    url = f"/admin/users/{target.id}/active"
    assert admin.post(url, data={"csrf_token": CSRF, "active": "0"}).status_code == 302
    assert saved.get("/admin/workers").status_code == 302
    assert admin.post(url, data={"csrf_token": CSRF, "active": "1"}).status_code == 302
    assert saved.get("/admin/workers").status_code == 302
    assert log_in(app.test_client(), "siteA@example.jp", PASSWORD).status_code == 302
