"""`genba-call create-token` and `genba-call create-user`."""

from __future__ import annotations

import os

import click
from flask.cli import with_appcontext

from voice_app.extensions import db
from workers_db.accounts import MIN_PASSWORD_LENGTH, create_token, create_user, email_taken
from workers_db.audit import cli_actor
from workers_db.directory import site_by_code
from workers_db.models import ROLES, Company, Site


def _site_by_code(code: str) -> Site:
    site = site_by_code(db(), code)
    if site is None:
        raise click.ClickException(f"--site: no site with code {code!r}")
    return site


@click.command("create-token")
@click.option("--role", type=click.Choice(ROLES), help="an API token for this role")
@click.option("--device", "device_name", help="a reader agent's token: the device's name")
@click.option("--site", "site_code", help="site code (for --device, and site_admin tokens)")
@click.option("--company", "company_id", type=int, help="company id (prime_admin, company_admin)")
@with_appcontext
def create_token_command(
    role: str | None, device_name: str | None, site_code: str | None, company_id: int | None
) -> None:
    """Print a new token once; only its hash is stored."""
    if bool(role) == bool(device_name):
        raise click.UsageError("give either --role ROLE or --device NAME --site SITE_CODE")
    session = db()
    site = _site_by_code(site_code) if site_code else None
    if device_name:
        if site is None:
            raise click.UsageError("--device needs --site SITE_CODE")
        role = "device"
    assert role is not None
    if role == "site_admin" and site is None:
        raise click.UsageError("a site_admin token needs --site SITE_CODE")
    if role in ("prime_admin", "company_admin"):
        if company_id is None:
            raise click.UsageError(f"a {role} token needs --company ID")
        if session.get(Company, company_id) is None:
            raise click.ClickException(f"--company: no company with id {company_id}")
    token = create_token(
        session,
        role=role,
        actor=cli_actor(),
        device_name=device_name,
        site=site,
        company_id=company_id,
    )
    session.commit()
    click.echo(token)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--site", "site_code", help="site code (site_admin)")
@click.option("--company", "company_id", type=int, help="company id (prime_admin, company_admin)")
@with_appcontext
def create_user_command(
    email: str, role: str, site_code: str | None, company_id: int | None
) -> None:
    """Create an admin-UI login; the password is read from GENBA_PASSWORD or asked for."""
    email = email.strip().lower()
    if "@" not in email:
        raise click.ClickException(f"--email: {email!r} is not an e-mail address")
    session = db()
    site = _site_by_code(site_code) if site_code else None
    if role == "site_admin" and site is None:
        raise click.UsageError("role site_admin needs --site SITE_CODE")
    if role in ("prime_admin", "company_admin") and company_id is None:
        raise click.UsageError(f"role {role} needs --company ID")
    if company_id is not None and session.get(Company, company_id) is None:
        raise click.ClickException(f"--company: no company with id {company_id}")
    if email_taken(session, email):
        raise click.ClickException(f"--email: a user {email} already exists")
    password = os.environ.get("GENBA_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    create_user(
        session,
        email=email,
        password=password,
        role=role,
        site_id=site.id if site else None,
        company_id=company_id,
        actor=cli_actor(),
    )
    session.commit()
    click.echo(f"created {role} {email}")


COMMANDS = [create_token_command, create_user_command]
