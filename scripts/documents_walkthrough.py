"""The site office's documents on a running `genba-call demo` (docs/documents.md, "Must show").

Against a demo that has seen some calls (docs/documents.md explains how to place calls over two
days), a prime's admin signs in with Debian's Chromium (Playwright), enters the fiscal year's
target and commitment on 目標 and the figures notified to the demo site, opens the statistics
page (the target against the commitment), the 出面表 (desktop and phone width), the 書類 page
and the 施工体系図; then downloads the 出面表, 作業員名簿, 施工体系図 and poster of the demo site
with the same login. PDFs are rendered to PNG with pdftoppm; workbooks are converted to PDF by
LibreOffice (when installed) with their own print set-up, then rendered likewise.

    python scripts/documents_walkthrough.py --url http://127.0.0.1:5000 \
        --email prime@example.jp --password … --site 1 --site-code 1001 --prime 1 \
        --fiscal-year 2026 --from 2026-12-01 --to 2026-12-02 --out docs/screenshots
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM_ARGS = [
    "--lang=ja-JP",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def to_png(pdf: Path, out: Path, name: str, resolution: int = 70) -> Path:
    """The first page of a PDF as `out/name.png`."""
    target = out / name
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(resolution), "-singlefile", str(pdf), str(target)],
        check=True,
    )
    return target.with_suffix(".png")


def workbook_png(xlsx: Path, out: Path, name: str) -> Path | None:
    """A workbook printed as Excel would (its print set-up) via LibreOffice, then to PNG."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        print(f"  (no LibreOffice: {xlsx.name} not rendered)")
        return None
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [office, "--headless", "--convert-to", "pdf", "--outdir", folder, str(xlsx)],
            check=True,
            capture_output=True,
        )
        return to_png(Path(folder) / (xlsx.stem + ".pdf"), out, name, 90)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--site", type=int, required=True, help="site id")
    parser.add_argument("--site-code", required=True)
    parser.add_argument("--prime", type=int, required=True, help="the site's prime (company id)")
    parser.add_argument("--roster-company", type=int, help="one company's roster")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--fiscal-year", type=int, required=True)
    parser.add_argument("--from", dest="first", required=True)
    parser.add_argument("--to", dest="last", required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    month = date.fromisoformat(args.last).strftime("%Y-%m")
    downloads = Path(tempfile.mkdtemp(prefix="genba-docs-"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        sign_in(page, args.url, args.email, args.password)
        # the target, entered in the UI
        page.goto(f"{args.url}/admin/targets")
        page.fill("input[name=fiscal_year]", str(args.fiscal_year))
        page.fill("input[name=touches_target]", "3650")
        page.fill("input[name=touches_commitment]", "1825")
        page.fill("input[name=company_rate_target]", "90")
        page.fill("input[name=company_rate_commitment]", "75")
        page.fill("input[name=worker_rate_target]", "85")
        page.fill("input[name=worker_rate_commitment]", "70")
        page.click("#target-form button[type=submit]")
        page.wait_for_load_state()
        row = page.locator(f".site-target-row[data-site='{args.site_code}']")
        row.locator("input[name=company_rate]").fill("80")
        row.locator("input[name=worker_rate]").fill("80")
        row.locator("input[name=accumulation_rate]").fill("50")
        row.locator("button").click()
        page.wait_for_load_state()
        page.screenshot(path=str(args.out / "targets.png"), full_page=True)
        period = f"from={args.first}&to={args.last}"
        page.goto(f"{args.url}/admin/stats?prime_company_id={args.prime}&{period}")
        page.locator("#target-progress").screenshot(path=str(args.out / "stats-target.png"))
        print("statistics page:", page.locator("#target-progress").inner_text()[:400])
        page.goto(f"{args.url}/admin/sites/{args.site}/attendance?month={month}")
        page.screenshot(path=str(args.out / "attendance.png"), full_page=True)
        page.goto(f"{args.url}/admin/sites/{args.site}/documents?month={month}")
        page.screenshot(path=str(args.out / "documents.png"), full_page=True)
        page.goto(f"{args.url}/admin/sites/{args.site}/structure/chart")
        page.locator("#structure-chart").screenshot(path=str(args.out / "structure-page.png"))
        phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="ja-JP")
        sign_in(phone, args.url, args.email, args.password)
        phone.goto(f"{args.url}/admin/sites/{args.site}/attendance?month={month}")
        phone.screenshot(path=str(args.out / "attendance-phone.png"), full_page=False)
        phone.goto(f"{args.url}/admin/stats?prime_company_id={args.prime}&{period}")
        phone.screenshot(path=str(args.out / "stats-phone.png"), full_page=False)
        phone.locator("#chart-daily").screenshot(path=str(args.out / "stats-chart-phone.png"))
        # the documents, downloaded with the same login
        files = {
            "attendance.xlsx": f"/admin/sites/{args.site}/attendance.xlsx?month={month}",
            "roster.xlsx": f"/admin/sites/{args.site}/roster.xlsx?month={month}"
            + (f"&company_id={args.roster_company}" if args.roster_company else ""),
            "structure.pdf": f"/admin/sites/{args.site}/structure/chart.pdf",
            "structure.svg": f"/admin/sites/{args.site}/structure/chart.svg",
            "poster.pdf": f"/admin/sites/{args.site}/poster.pdf",
        }
        for name, path in files.items():
            answer = page.request.get(args.url + path)
            assert answer.ok, (path, answer.status)
            (downloads / name).write_bytes(answer.body())
            print(f"{path} → {answer.headers.get('content-disposition')}")
        browser.close()
    print("rendered:", to_png(downloads / "poster.pdf", args.out, "poster"))
    print("rendered:", to_png(downloads / "structure.pdf", args.out, "structure-chart"))
    for name, png in (("attendance.xlsx", "attendance-xlsx"), ("roster.xlsx", "roster")):
        print("rendered:", workbook_png(downloads / name, args.out, png))
    print("downloads kept in", downloads)


if __name__ == "__main__":
    main()
