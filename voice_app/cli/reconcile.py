"""`genba-call reconcile`, `genba-call stats` and `genba-call report`.

- `reconcile [--site CODE] --from DATE --to DATE`: rebuilds the work records (and
  reconciliation exceptions) of exactly those work dates now, one transaction per site and
  chunk, without Redis;
- `stats [--site CODE | --prime ID] [--company ID] --from DATE --to DATE [--json]`: the
  figures of docs/figures.md as a bilingual table, or the full JSON of `jobs.stats.compute_stats`;
- `report --prime ID --month YYYY-MM [--out DIR]`: the monthly follow-up report (HTML, CSV).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from ivr_flows.days import DayRules
from jobs.figures import FIGURES
from jobs.reconcile import reconcile_range, summarize
from jobs.reports import build_monthly_report
from jobs.stats import compute_stats
from voice_app.extensions import db, runtime
from workers_db.attendance import parse_month
from workers_db.directory import site_by_code, site_codes
from workers_db.models import Company, Site


def _day(value: str, option: str) -> date:
    """A date written YYYY-MM-DD; anything else is a usage error (exit 2) naming the option."""
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date: write YYYY-MM-DD, e.g. 2026-12-01", param_hint=option
        ) from None


def _range(date_from: str, date_to: str) -> tuple[date, date]:
    first, last = _day(date_from, "--from"), _day(date_to, "--to")
    if last < first:
        raise click.ClickException(f"--to: {last} is before --from {first}")
    return first, last


def _site(code: str) -> Site:
    site = site_by_code(db(), code)
    if site is None:
        raise click.ClickException(f"--site: no site with code {code!r}")
    return site


@click.command("reconcile")
@click.option("--site", "site_code", help="site code (default: every site)")
@click.option("--from", "date_from", required=True, help="first work date, YYYY-MM-DD")
@click.option("--to", "date_to", required=True, help="last work date, YYYY-MM-DD")
@with_appcontext
def reconcile_command(site_code: str | None, date_from: str, date_to: str) -> None:
    """就業履歴を今すぐ再集計 / rebuild work records now (synchronously)."""
    first, last = _range(date_from, date_to)
    site_ids = [_site(site_code).id] if site_code else None
    codes = site_codes(db())
    db().commit()  # end the read; each chunk commits in a session of its own
    rt = runtime()
    results = reconcile_range(
        rt.session_factory, site_ids, first, last, rules=DayRules.of(rt.settings)
    )
    for r in results:
        click.echo(
            f"現場 site {codes.get(r.site_id, r.site_id)} {r.first}..{r.last}: "
            f"記録 written {r.records_written}, 削除 deleted {r.records_deleted}, "
            f"例外 raised {r.exceptions_raised}, 解消 cleared {r.exceptions_cleared}"
        )
    total = summarize(results)
    click.echo(
        f"合計 total: {len(results)} chunks, {total['records_written']} written, "
        f"{total['records_deleted']} deleted"
    )


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "yen":
        return f"¥{value:,}"
    return f"{value:,}"


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _line(label: str, value: str, width: int = 60) -> str:
    return label + " " * max(width - _display_width(label), 1) + f"{value:>14}"


def render_table(result: dict[str, Any], title: str) -> str:
    lines = [title, f"{result['from']} – {result['to']}", "", _line("指標 (metric)", "値 (value)")]
    for key, ja, en, kind in FIGURES:
        lines.append(_line(f"{ja} ({en})", _cell(result[key], kind)))
    target = result.get("target")
    if target:
        lines += [
            "",
            f"年度目標 FY{target['fiscal_year']} (as of {target['as_of']}):",
            f"  就業履歴数 work history {_cell(target['work_history_count'], 'count')}",
            f"  目標 target {_cell(target['touches_target'], 'count')}"
            f" (按分 pro-rated {_fmt_float(target['touches_target_prorated'])})",
            f"  コミットメント commitment {_cell(target['touches_commitment'], 'count')}"
            f" (按分 pro-rated {_fmt_float(target['touches_commitment_prorated'])})",
        ]
    ready = result["readiness"]
    lines += [
        "",
        f"稼働現場 active sites {ready['sites_active']}:"
        f" 現場登録 registered {_cell(ready['registered_share'], 'rate')},"
        f" リーダー設置 reader {_cell(ready['reader_share'], 'rate')},"
        f" 稼働 reader active {_cell(ready['reader_active_share'], 'rate')}",
    ]
    for site in ready["large_sites_without_reader"]:
        lines.append(
            "  ! 1億円以上・リーダーなし / ≥ ¥100M without a reader:"
            f" {site['site_code']} {site['name']}"
        )
    return "\n".join(lines)


def _fmt_float(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


@click.command("stats")
@click.option("--site", "site_code", help="one site (code)")
@click.option(
    "--prime", "prime_id", type=int, help="every site of one prime contractor (company id)"
)
@click.option("--company", "company_id", type=int, help="only this employer's workers")
@click.option("--from", "date_from", required=True, help="first work date, YYYY-MM-DD")
@click.option("--to", "date_to", required=True, help="last work date, YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True, help="print the full JSON")
@with_appcontext
def stats_command(
    site_code: str | None,
    prime_id: int | None,
    company_id: int | None,
    date_from: str,
    date_to: str,
    as_json: bool,
) -> None:
    """タッチ率などの統計 / touch statistics (docs/figures.md)."""
    first, last = _range(date_from, date_to)
    if site_code and prime_id is not None:
        raise click.UsageError("give --site or --prime, not both")
    session = db()
    site = _site(site_code) if site_code else None
    if prime_id is not None and session.get(Company, prime_id) is None:
        raise click.ClickException(f"--prime: no company with id {prime_id}")
    result = compute_stats(
        session,
        site_id=site.id if site else None,
        prime_company_id=prime_id,
        company_id=company_id,
        date_from=first,
        date_to=last,
        tz=runtime().settings.tz,
    )
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    if site is not None:
        title = f"統計 statistics: 現場 site {site.site_code} {site.name}"
    elif prime_id is not None:
        title = f"統計 statistics: 元請 prime {prime_id} {session.get(Company, prime_id).name}"  # type: ignore[union-attr]
    else:
        title = "統計 statistics: 全現場 every site"
    click.echo(render_table(result, title))


@click.command("report")
@click.option("--prime", "prime_id", type=int, required=True, help="member company (company id)")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@with_appcontext
def report_command(prime_id: int, month: str, out_dir: Path | None) -> None:
    """月次フォローアップ報告 (HTML, CSV) / monthly follow-up report."""
    parsed = parse_month(month)
    if parsed is None:
        raise click.BadParameter(f"{month!r} is not a month: write YYYY-MM", param_hint="--month")
    settings = runtime().settings
    try:
        report = build_monthly_report(db(), prime_id, parsed[0], parsed[1], settings.tz)
    except LookupError as exc:
        raise click.ClickException(f"--prime: {exc}") from None
    folder = out_dir or settings.instance_path / "reports" / report.month
    html_path, csv_path = report.write(folder)
    click.echo(f"{html_path}\n{csv_path}")


COMMANDS = [reconcile_command, stats_command, report_command]
