"""`genba-call companies` and `genba-call sites`: the ids other commands take
(`--prime ID`, `--company ID`, `--site CODE`), so nobody has to guess them."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from voice_app.cli.documents import CLI_ADMIN
from voice_app.extensions import db
from workers_db.scope_lists import companies_in_scope, sites_in_scope


@click.command("companies")
@with_appcontext
def companies_command() -> None:
    """会社の一覧と ID / companies and their ids (for --prime and --company)."""
    session = db()
    primes = {site.prime_company_id for site in sites_in_scope(session, CLI_ADMIN)}
    rows = companies_in_scope(session, CLI_ADMIN)
    click.echo("ID\t元請 prime\t事業者ID CCUS\t会社名 name")
    for company in rows:
        click.echo(
            f"{company.id}\t{'○' if company.id in primes else ''}"
            f"\t{company.ccus_business_id or '—'}"
            f"\t{company.name}{'（一人親方）' if company.sole_proprietor else ''}"
            f"{'' if company.active else ' [inactive]'}"
        )
    if not rows:
        click.echo("(まだ会社がありません / no companies yet: genba-call import FILE.csv)")


@click.command("sites")
@with_appcontext
def sites_command() -> None:
    """現場の一覧 / sites: code (for --site), id, prime (company id), number to call."""
    click.echo("現場コード code\tID\t元請 prime\t電話番号 number\t現場名 name")
    for site in sorted(sites_in_scope(db(), CLI_ADMIN), key=lambda s: s.site_code):
        click.echo(
            f"{site.site_code}\t{site.id}\t{site.prime_company_id}"
            f"\t{site.dial_in_number or '—'}\t{site.name}"
        )


COMMANDS = [companies_command, sites_command]
