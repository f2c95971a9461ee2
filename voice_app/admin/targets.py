"""新目標 entry for a prime's admins: the fiscal year's タッチ数 target and commitment, the
事業者登録率 / 技能者登録率 pairs (entered in percent), and the figures notified to each of the
prime's sites.  The rules live in `workers_db.targets`; an admin picks the prime."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from jobs.stats import fiscal_year_of
from voice_app.admin import bp
from voice_app.admin.common import problems_by_field, today
from voice_app.admin.i18n import problem_text, translate
from voice_app.admin.security import actor, current_principal, login_required
from voice_app.extensions import db
from workers_db.errors import FieldProblem, Forbidden, NotFound, ValidationFailed
from workers_db.sites import first_prime_id, primes_with_sites, sites_of_prime
from workers_db.targets import (
    RATE_PAIRS,
    SITE_RATES,
    TargetFigures,
    list_targets,
    prime_or_raise,
    set_site_target,
    set_target,
    site_or_raise,
    site_targets,
)

TARGET_ROLES = ("admin", "prime_admin")


def _prime_id() -> int:
    """The prime asked for (`prime_company_id`), else the login's own prime (a prime_admin)
    or the first prime with a site (an admin)."""
    chosen = request.values.get("prime_company_id", type=int)
    if chosen is not None:
        return chosen
    principal = current_principal()
    if principal.role == "prime_admin" and principal.company_id is not None:
        return principal.company_id
    first = first_prime_id(db())
    if first is None:
        abort(404)
    return int(first)


def _percent(name: str, problems: list[FieldProblem]) -> float | None:
    raw = (request.form.get(name) or "").strip().rstrip("%").strip()
    if not raw:
        return None
    try:
        return float(raw) / 100
    except ValueError:
        problems.append(FieldProblem(name, translate("targets.not_a_number")))
        return None


def _count(name: str, problems: list[FieldProblem]) -> int:
    raw = (request.form.get(name) or "").replace(",", "").strip()
    try:
        return int(raw)
    except ValueError:
        problems.append(FieldProblem(name, translate("targets.not_a_number")))
        return 0


@bp.route("/targets", methods=["GET", "POST"])
@login_required(*TARGET_ROLES)
def targets() -> ResponseReturnValue:
    principal = current_principal()
    session = db()
    prime_id = _prime_id()
    try:
        prime = prime_or_raise(session, principal, prime_id)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        problems: list[FieldProblem] = []
        fiscal_year = _count("fiscal_year", problems)
        figures = TargetFigures(
            _count("touches_target", problems),
            _count("touches_commitment", problems),
            **{name: _percent(name, problems) for pair in RATE_PAIRS for name in pair},
        )
        try:
            if problems:
                raise ValidationFailed(problems)
            _, created = set_target(session, principal, actor(), prime_id, fiscal_year, figures)
        except ValidationFailed as exc:
            session.rollback()
            errors = problems_by_field(exc.problems)
        else:
            session.commit()
            flash(
                translate("targets.saved" if created else "targets.replaced", fy=fiscal_year), "ok"
            )
            return redirect(url_for("admin.targets", prime_company_id=prime_id))
    sites = sites_of_prime(session, prime_id)
    primes = primes_with_sites(session) if principal.is_admin else []
    return render_template(
        "admin/targets.html",
        prime=prime,
        primes=primes,
        rows=list_targets(session, principal, prime_id),
        sites=sites,
        notified=site_targets(session, [s.id for s in sites]),
        site_rates=SITE_RATES,
        rate_pairs=RATE_PAIRS,
        fiscal_year=request.args.get("fiscal_year", type=int) or fiscal_year_of(today()),
        form=request.form,
        errors=errors,
    )


@bp.post("/targets/sites/<int:site_id>")
@login_required(*TARGET_ROLES)
def site_target(site_id: int) -> ResponseReturnValue:
    session = db()
    try:
        site = site_or_raise(session, current_principal(), site_id)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    problems: list[FieldProblem] = []
    rates = {name: _percent(name, problems) for name in SITE_RATES}
    try:
        if problems:
            raise ValidationFailed(problems)
        set_site_target(session, current_principal(), actor(), site_id, rates)
    except ValidationFailed as exc:
        session.rollback()
        for problem in exc.problems:
            flash(
                f"{site.name}: {translate('targets.' + (problem.field or ''))}: "
                f"{problem_text(problem)}",
                "error",
            )
    else:
        session.commit()
        flash(translate("targets.site_saved", site=site.name), "ok")
    return redirect(url_for("admin.targets", prime_company_id=site.prime_company_id))
