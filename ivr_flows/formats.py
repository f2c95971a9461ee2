"""The formats of what a caller keys in and an office registers: one home for each rule.

Pure (the call flow checks keyed digits with them before any look-up); workers_db's parsers
(`workers_db.identifiers`, the PIN rule of `workers_db.registration`) use the same functions
for what is registered, so a code the phone accepts is exactly one the office can register.
"""

from __future__ import annotations

SITE_CODE_DIGITS = (4, 8)
PIN_DIGITS = (4, 8)
CCUS_ID_DIGITS = 14


def _digits(text: str, low: int, high: int) -> bool:
    return text.isascii() and text.isdigit() and low <= len(text) <= high


def is_site_code(text: str) -> bool:
    """4 to 8 ASCII digits."""
    return _digits(text, *SITE_CODE_DIGITS)


def is_pin(text: str) -> bool:
    """4 to 8 ASCII digits."""
    return _digits(text, *PIN_DIGITS)


def is_ccus_id(text: str) -> bool:
    """A CCUS 技能者ID or 事業者ID: 14 ASCII digits."""
    return _digits(text, CCUS_ID_DIGITS, CCUS_ID_DIGITS)
