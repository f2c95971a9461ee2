"""The figures of docs/figures.md as people read them: one catalogue of labels for the admin UI, the
CLI table and the monthly report, and the one rule that keeps exported cells from running as
spreadsheet formulas."""

from __future__ import annotations

from typing import Any, NamedTuple


class Figure(NamedTuple):
    key: str  # the key in `jobs.stats.compute_stats`'s answer
    ja: str
    en: str
    kind: str  # count, rate or yen: how to format the value


# In the order a prime contractor's meeting reads them.
FIGURES: tuple[Figure, ...] = (
    Figure("work_history_count", "就業履歴数 (タッチ数)", "Work history records", "count"),
    Figure("worker_days", "延べ就業者数", "Worker-days", "count"),
    Figure("accumulation_rate", "就業履歴蓄積率 (タッチ率)", "Accumulation rate", "rate"),
    Figure("card_holder_touch_rate", "カード保有者タッチ率", "Card holders' touch rate", "rate"),
    Figure("workers_on_site", "就業者数", "Workers on site", "count"),
    Figure(
        "worker_registration_rate",
        "技能者登録率 (カード保有率)",
        "Worker registration rate",
        "rate",
    ),
    Figure(
        "companies_on_site", "事業者数 (一人親方を除く)", "Companies (excl. sole props.)", "count"
    ),
    Figure("company_registration_rate", "事業者登録率", "Company registration rate", "rate"),
    Figure("kentaikyo_yen", "建退共 (円)", "Kentaikyo (yen)", "yen"),
)

# A text cell starting with one of these is run as a formula by Excel (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value, with a text that a spreadsheet would evaluate turned into plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
