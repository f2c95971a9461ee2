"""Parsing people's spellings of identifiers into one canonical form.

Phones: any way a Japanese number is written (`090-1234-5678`, full-width `０９０－…`,
`+81 90 1234 5678`) → E.164.  Card UIDs: hex with or without separators, any case, with an
optional technology prefix → `F:`/`A:`/`B:` + upper-case hex.  CCUS ids: 14 digits.
Each parser raises `InvalidIdentifier`: a catalogue code (docs/errors.md) a site admin can act on.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from ivr_flows.formats import CCUS_ID_DIGITS, SITE_CODE_DIGITS, is_site_code
from workers_db.errors import CodedError

DEFAULT_REGION = "JP"

# Hyphen-like characters people (and IMEs) type inside phone numbers and card ids.
_DASHES = "‐‑‒–—―−ーｰ－"
_SEPARATORS = re.compile(r"[\s:\-_.]")
_HEX = re.compile(r"^[0-9A-F]+$")
_NOT_DIGIT = re.compile(r"\D")
_NOT_IN_PHONE = re.compile(r"[^0-9+\-() ]")

CARD_TECHNOLOGIES = {"F": "FeliCa", "A": "ISO 14443 Type A", "B": "ISO 14443 Type B"}
# Length in hex digits of each technology's id: FeliCa IDm is 8 bytes; Type A UIDs are 4, 7 or
# 10 bytes; Type B PUPI is 4 bytes.
_CARD_LENGTHS = {"F": (16,), "A": (8, 14, 20), "B": (8,)}


class InvalidIdentifier(CodedError):
    """The value cannot be read as the identifier asked for; its code says why."""


def _fold(value: str) -> str:
    """Full-width to half-width (NFKC) and every dash to '-'."""
    folded = unicodedata.normalize("NFKC", value)
    return folded.translate({ord(c): "-" for c in _DASHES}).strip()


def normalize_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """One phone number in E.164, e.g. `+819012345678`."""
    # Imported here: the reader agent reads card ids only, and phonenumbers' metadata costs
    # a Raspberry Pi ~0.1 s of its start-up (docs/nfc.md, start-up and memory).
    import phonenumbers

    text = _fold(value or "")
    if not text:
        raise InvalidIdentifier("phone.empty")
    if _NOT_IN_PHONE.search(text):
        raise InvalidIdentifier("phone.characters", {"value": value})
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier("phone.unreadable", {"value": value}) from exc
    if not phonenumbers.is_valid_number(parsed):  # a valid number is a possible one
        if not phonenumbers.is_possible_number(parsed):
            digits = _NOT_DIGIT.sub("", text)
            raise InvalidIdentifier("phone.digit_count", {"value": value, "digits": len(digits)})
        raise InvalidIdentifier("phone.invalid", {"value": value})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone_list(cell: str, region: str = DEFAULT_REGION) -> list[str]:
    """A CSV cell of numbers separated by `;` (full-width `；` too); empty cell → []."""
    parts = [p.strip() for p in _fold(cell or "").split(";")]
    return [normalize_phone(p, region) for p in parts if p]


def try_normalize_phone(value: str | None) -> str | None:
    """E.164 or None: for a caller id that may be withheld, anonymous or garbage.

    Every voice webhook normalizes its `From` and `To` two or three times (rate limit, the
    call's context) and the site numbers recur all day, so short values are remembered."""
    if not value:
        return None
    if len(value) > _CACHED_PHONE_LENGTH:
        return _try_normalize(value)
    return _try_normalize_cached(value)


_CACHED_PHONE_LENGTH = 40


def _try_normalize(value: str) -> str | None:
    try:
        return normalize_phone(value)
    except InvalidIdentifier:
        return None


_try_normalize_cached = functools.lru_cache(maxsize=4096)(_try_normalize)


def mask_phone(value: str | None) -> str:
    """What logs may show of a phone number: country code and the last two digits."""
    if not value:
        return "-"
    digits = _NOT_DIGIT.sub("", value)
    if len(digits) <= 4:
        return "*" * len(digits)
    prefix = "+" + digits[:2] if value.startswith("+") else digits[:1]
    return prefix + "*" * (len(digits) - len(prefix.lstrip("+")) - 2) + digits[-2:]


def canonical_card_uid(value: str, technology: str | None = None) -> str:
    """`F:0123456789ABCDEF`, `A:04A1B2C3D4E5F6` or `B:…`.

    The technology comes from a prefix in the value (`F:`, `felica:`, `A:`, `B:`) or from
    `technology`; without either, 16 hex digits are taken as FeliCa (the IDm length) and
    8/14/20 as Type A.
    """
    text = _fold(value or "").upper()
    if not text:
        raise InvalidIdentifier("card.empty")
    tech = technology.upper()[:1] if technology else None
    match = re.match(r"^(F|A|B|FELICA|TYPEA|TYPEB)\s*[:/]\s*(.*)$", text)
    if match:
        prefix = match.group(1)
        tech = {"FELICA": "F", "TYPEA": "A", "TYPEB": "B"}.get(prefix, prefix)
        text = match.group(2)
    hexdigits = _SEPARATORS.sub("", text)
    if hexdigits.startswith("0X"):
        hexdigits = hexdigits[2:]
    if not hexdigits or not _HEX.match(hexdigits):
        raise InvalidIdentifier("card.not_hex", {"value": value})
    if tech is None:
        if len(hexdigits) == 16:
            tech = "F"
        elif len(hexdigits) in (8, 14, 20):
            tech = "A"
        else:
            raise InvalidIdentifier(
                "card.length_unknown", {"value": value, "digits": len(hexdigits)}
            )
    if tech not in _CARD_LENGTHS:
        raise InvalidIdentifier("card.technology", {"technology": tech})
    if len(hexdigits) not in _CARD_LENGTHS[tech]:
        expected = " or ".join(str(n) for n in _CARD_LENGTHS[tech])
        raise InvalidIdentifier(
            "card.length",
            {
                "value": value,
                "technology": CARD_TECHNOLOGIES[tech],
                "expected": expected,
                "digits": len(hexdigits),
            },
        )
    return f"{tech}:{hexdigits}"


def card_technology(canonical_uid: str) -> str:
    return canonical_uid.split(":", 1)[0]


def normalize_ccus_id(value: str | None) -> str | None:
    """14 digits, separators and full-width digits allowed in; empty → None (unregistered)."""
    text = _fold(value or "")
    if not text:
        return None
    digits = re.sub(r"[\s\-]", "", text)
    if not digits.isdigit() or not digits.isascii():
        raise InvalidIdentifier("ccus.not_digits", {"value": value or ""})
    if len(digits) != CCUS_ID_DIGITS:
        raise InvalidIdentifier(
            "ccus.length", {"value": value or "", "digits": len(digits), "expected": CCUS_ID_DIGITS}
        )
    return digits


def validate_site_code(value: str) -> str:
    """The one rule for site codes: 4 to 8 digits (full-width digits are read as digits)."""
    text = _fold(value or "")
    if not is_site_code(text):
        low, high = SITE_CODE_DIGITS
        raise InvalidIdentifier("site_code.format", {"value": value, "min": low, "max": high})
    return text
