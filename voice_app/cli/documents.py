"""`genba-call set-target`, `genba-call export attendance|roster|structure` and
`genba-call poster`: the site office's targets and paper from the command line
(docs/documents.md).  The CLI acts as an admin (whoever runs it holds the database)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from jobs.documents.attendance_export import attendance_csv, attendance_xlsx
from jobs.documents.poster import NoNumber, PosterText, poster_for, render_poster
from jobs.documents.roster import roster_companies, roster_xlsx
from jobs.documents.structure_chart import chart_nodes, render_pdf, render_svg
from voice_app.admin.common import today as _today
from voice_app.cli.reconcile import _site
from voice_app.extensions import db, runtime
from workers_db.attendance import attendance_sheet, parse_month
from workers_db.audit import cli_actor
from workers_db.errors import NotFound, ValidationFailed
from workers_db.identifiers import InvalidIdentifier, normalize_phone
from workers_db.messages import locale_lang
from workers_db.models import Site
from workers_db.scope import Principal
from workers_db.structure_tree import load_tree
from workers_db.targets import TargetFigures, set_target

CLI_ADMIN = Principal(role="admin", name="cli")


def _rate(value: float | None, option: str) -> float | None:
    if value is not None and not 0 <= value <= 1:
        raise click.BadParameter(f"{value} is not a fraction between 0 and 1", param_hint=option)
    return value


@click.command("set-target")
@click.option("--prime", "prime_id", type=int, required=True, help="member company (company id)")
@click.option("--fiscal-year", type=int, required=True, help="年度, e.g. 2026 (2026-04..2027-03)")
@click.option("--touches", type=int, required=True, help="タッチ数 target")
@click.option("--touches-commitment", type=int, required=True, help="タッチ数 commitment")
@click.option("--company-rate", type=float, help="事業者登録率 target, 0–1")
@click.option("--company-rate-commitment", type=float, help="事業者登録率 commitment, 0–1")
@click.option("--worker-rate", type=float, help="技能者登録率 (カード保有率) target, 0–1")
@click.option("--worker-rate-commitment", type=float, help="技能者登録率 commitment, 0–1")
@with_appcontext
def set_target_command(
    prime_id: int,
    fiscal_year: int,
    touches: int,
    touches_commitment: int,
    company_rate: float | None,
    company_rate_commitment: float | None,
    worker_rate: float | None,
    worker_rate_commitment: float | None,
) -> None:
    """新目標を登録 / set a member company's target and commitment for a fiscal year."""
    figures = TargetFigures(
        touches,
        touches_commitment,
        _rate(company_rate, "--company-rate"),
        _rate(company_rate_commitment, "--company-rate-commitment"),
        _rate(worker_rate, "--worker-rate"),
        _rate(worker_rate_commitment, "--worker-rate-commitment"),
    )
    session = db()
    try:
        row, created = set_target(session, CLI_ADMIN, cli_actor(), prime_id, fiscal_year, figures)
    except NotFound as exc:
        raise click.ClickException(f"--prime: {exc}") from None
    except ValidationFailed as exc:
        names = {"touches_target": "--touches", "touches_commitment": "--touches-commitment"}
        raise click.ClickException(
            "; ".join(
                f"{names.get(p.field or '', '--' + (p.field or '').replace('_', '-'))}: "
                f"{p.text(locale_lang())}"
                for p in exc.problems
            )
        ) from None
    session.commit()
    verb = "登録しました / set" if created else "置き換えました / replaced"
    click.echo(
        f"{row.fiscal_year}年度 FY{row.fiscal_year} prime {prime_id}: {verb} — "
        f"タッチ数 target {row.target_count:,}, commitment {row.commitment_count:,}"
    )


def _month(value: str) -> tuple[int, int]:
    month = parse_month(value)
    if month is None:
        raise click.BadParameter(f"{value!r} is not a month YYYY-MM", param_hint="--month")
    return month


def _output(path: Path, allowed: tuple[str, ...]) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in allowed:
        raise click.BadParameter(
            f"{path.name}: write .{' or .'.join(allowed)}", param_hint="-o/--output"
        )
    return suffix


@click.group("export")
def export_group() -> None:
    """出面表・作業員名簿・施工体系図を書き出す / export the site's documents."""


OUTPUT = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True
)
SITE = click.option("--site", "site_code", required=True, help="site code")


@export_group.command("attendance")
@SITE
@click.option("--month", required=True, help="YYYY-MM")
@OUTPUT
@with_appcontext
def export_attendance(site_code: str, month: str, output: Path) -> None:
    """出面表 (XLSX: A3 landscape; or CSV) / the month's attendance sheet."""
    kind = _output(output, ("xlsx", "csv"))
    year, number = _month(month)
    site = _site(site_code)
    sheet = attendance_sheet(db(), site.id, year, number)
    label = f"{site.name}（#{site.site_code}）"
    tz = runtime().settings.tz
    data = attendance_xlsx(sheet, label, tz) if kind == "xlsx" else attendance_csv(sheet, label, tz)
    output.write_bytes(data)
    click.echo(f"{output}: {len(sheet.rows)} workers, {sum(sheet.totals().values())} worker-days")


@export_group.command("roster")
@SITE
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--company", "company_id", type=int, help="one employer only (company id)")
@OUTPUT
@with_appcontext
def export_roster(site_code: str, month: str, company_id: int | None, output: Path) -> None:
    """作業員名簿 (全建統一様式第5号の列順) / the worker roster of the month."""
    _output(output, ("xlsx",))
    year, number = _month(month)
    site = _site(site_code)
    session = db()
    sheet = attendance_sheet(session, site.id, year, number, company_id=company_id)
    groups = roster_companies(session, sheet)
    output.write_bytes(
        roster_xlsx(site.name, site.prime_company.name, sheet.month_label, groups, _today())
    )
    click.echo(f"{output}: {len(groups)} companies, {len(sheet.rows)} workers")


@export_group.command("structure")
@SITE
@OUTPUT
@with_appcontext
def export_structure(site_code: str, output: Path) -> None:
    """施工体系図 (PDF: A3 landscape; or SVG) / the site's contract tree chart."""
    kind = _output(output, ("pdf", "svg"))
    site = _site(site_code)
    nodes = chart_nodes(load_tree(db(), site.id, {}))
    if kind == "pdf":
        output.write_bytes(render_pdf(site.name, site.site_code, nodes, _today()))
    else:
        output.write_text(render_svg(site.name, site.site_code, nodes, _today()), "utf-8")
    click.echo(f"{output}")


@click.command("poster")
@SITE
@click.option(
    "--number",
    help="the shared number to print, for a site without its own (callers key the site code)",
)
@OUTPUT
@with_appcontext
def poster_command(site_code: str, number: str | None, output: Path) -> None:
    """入口ポスター (A4 PDF) / the entrance poster: the number to call, how, QR code."""
    _output(output, ("pdf",))
    site = _site(site_code)
    output.write_bytes(render_poster(poster_text(site, number)))
    click.echo(f"{output}")


def poster_text(site: Site, shared_number: str | None) -> PosterText:
    try:
        shared = normalize_phone(shared_number) if shared_number else None
    except InvalidIdentifier as exc:
        raise click.BadParameter(str(exc), param_hint="--number") from None
    try:
        return poster_for(site.name, site.site_code, site.dial_in_number, shared, _today())
    except NoNumber as exc:
        raise click.UsageError(f"{exc} (--number)") from None


COMMANDS = [set_target_command, export_group, poster_command]
