"""`genba-call import FILE.csv [--dry-run]`: pre-registration from a CSV (docs/import.md).

Messages come from the error catalogue in the locale's language: Japanese when LC_ALL,
LC_MESSAGES or LANG starts with `ja`, English otherwise (docs/errors.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from voice_app.cli.reconcile import _site
from voice_app.extensions import db
from workers_db.audit import cli_actor
from workers_db.import_csv import ImportFileError
from workers_db.importer import ImportConflict, ImportReport, Progress, import_csv
from workers_db.messages import locale_lang, message

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
@click.option(
    "--site",
    "site_code",
    help="the site whose 施工体制 the new companies join (under its prime), as on the upload page",
)
@with_appcontext
def import_command(file: Path, dry_run: bool, site_code: str | None) -> None:
    """Pre-register companies, workers, phones and cards from FILE (CSV, UTF-8 or CP932).

    All or nothing: any bad row means nothing is written, and every bad row is listed on
    stderr as `row N: column: problem` (N as Excel numbers rows: the header is row 1).
    """
    lang = locale_lang()
    session = db()
    site = _site(site_code) if site_code else None
    try:
        report = import_csv(
            session,
            file.read_bytes(),
            dry_run=dry_run,
            actor=cli_actor(),
            source_name=file.name,
            progress=terminal_progress,
            site=site,
        )
    except (ImportFileError, ImportConflict) as exc:
        session.rollback()
        params = {"file": file.name, "problem": exc.text(lang)}
        raise click.ClickException(message("line.file", lang, params)) from exc
    if report.problems:
        session.rollback()
        for problem in report.problems:
            click.echo(problem.text(lang), err=True)
        counts = {"bad": report.bad_rows, "rows": report.rows}
        click.echo(message("cli.import.bad_rows", lang, counts), err=True)
        sys.exit(1)
    if dry_run:
        session.rollback()
        click.echo(message("cli.import.dry_run", lang, {"encoding": report.encoding}))
        click.echo(_summary(report, lang, "cli.import.would_"))
        return
    session.commit()
    done = {"file": file.name, "encoding": report.encoding}
    click.echo(message("cli.import.done", lang, done))
    if site is not None:
        click.echo(message("cli.import.placed", lang, {"site": site.site_code}))
    click.echo(_summary(report, lang, "cli.import."))


def _summary(report: ImportReport, lang: str, prefix: str) -> str:
    lines = [
        message("cli.import.rows", lang, {"rows": report.rows}),
        message(
            prefix + "companies",
            lang,
            {"new": report.companies_new, "existing": report.companies_existing},
        ),
        message(
            prefix + "workers",
            lang,
            {"new": report.workers_new, "existing": report.workers_existing},
        ),
        message(prefix + "phones", lang, {"new": report.phones_new}),
        message(prefix + "cards", lang, {"new": report.cards_new}),
    ]
    return "\n".join(lines)


COMMANDS = [import_command]
