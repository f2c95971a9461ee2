"""`genba-call import FILE.csv [--dry-run]`: pre-registration from a CSV (docs/import.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from voice_app.extensions import db
from workers_db.import_csv import ImportFileError
from workers_db.importer import ImportConflict, ImportReport, Progress, import_csv

PROGRESS_MIN_ROWS = 1_000  # smaller files finish before a bar would be worth drawing


def terminal_progress(description: str, total: int) -> Progress:
    """A tqdm bar on stderr for files of thousands of rows, when stderr is a terminal."""
    return tqdm(
        total=total,
        desc=description,
        unit=" rows",
        file=sys.stderr,
        leave=False,
        disable=total < PROGRESS_MIN_ROWS or not sys.stderr.isatty(),
    )


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="check everything, write nothing")
@with_appcontext
def import_command(file: Path, dry_run: bool) -> None:
    """Pre-register companies, workers, phones and cards from FILE (CSV, UTF-8 or CP932).

    All or nothing: any bad row means nothing is written, and every bad row is listed on
    stderr as `row N: column: problem` (N as Excel numbers rows: the header is row 1).
    """
    session = db()
    try:
        report = import_csv(
            session,
            file.read_bytes(),
            dry_run=dry_run,
            actor="cli",
            source_name=file.name,
            progress=terminal_progress,
        )
    except (ImportFileError, ImportConflict) as exc:
        session.rollback()
        raise click.ClickException(f"{file.name}: {exc}") from exc
    if report.problems:
        session.rollback()
        for problem in report.problems:
            click.echo(str(problem), err=True)
        click.echo(
            f"{report.bad_rows} 行にエラーがあるため、何も登録していません。"
            f" / {report.bad_rows} bad row(s) of {report.rows}: nothing was written.",
            err=True,
        )
        sys.exit(1)
    if dry_run:
        session.rollback()
        click.echo(f"確認のみ・書き込みなし / dry run, nothing written ({report.encoding}).")
        click.echo(_summary(report, "would add"))
        return
    session.commit()
    click.echo(f"登録しました / imported {file.name} ({report.encoding}).")
    click.echo(_summary(report, "added"))


def _summary(report: ImportReport, verb: str) -> str:
    lines = [
        f"  行 rows: {report.rows:,}",
        f"  会社 companies: {report.companies_new:,} {verb}, "
        f"{report.companies_existing:,} already registered",
        f"  技能者 workers: {report.workers_new:,} {verb}, "
        f"{report.workers_existing:,} already registered",
        f"  電話番号 phones: {report.phones_new:,} {verb}",
        f"  カード cards: {report.cards_new:,} {verb}",
    ]
    return "\n".join(lines)


COMMANDS = [import_command]
