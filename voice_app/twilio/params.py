"""Twilio's form parameters, cleaned: whatever arrives (missing fields, 10,000 characters,
control characters, garbage numbers) becomes a bounded, printable value or None."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ivr_flows.model import CallContext
from workers_db.identifiers import try_normalize_phone

# The caller ids Twilio and carriers send when the number is not shown (非通知, 公衆電話 …).
WITHHELD = {
    "",
    "anonymous",
    "restricted",
    "unknown",
    "private",
    "unavailable",
    "blocked",
    "+266696687",
    "+7378742833",
    "+2562533",
    "+8656696",
    "+86282452253",
}
_CALL_SID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_KEYS = re.compile(r"[^0-9*#]")
MAX_FIELD = 64  # longer values are cut before any parsing
MAX_DIGITS = 32
# Only these fields are kept (and spooled); Twilio sends many more.
KEPT = ("CallSid", "From", "To", "Digits", "CallStatus", "CallDuration", "ErrorUrl", "ErrorCode")


def clean(value: str | None, limit: int = MAX_FIELD) -> str:
    """Printable text only (no control or NUL characters), at most `limit` characters.

    `str.isprintable()` is false for every character of category C (and for separators other
    than the space), so a value it accepts has nothing to remove: Twilio's own fields skip the
    walk over each character's category."""
    text = (value or "")[: limit * 4]
    if not text.isprintable():
        text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    return text.strip()[:limit]


@dataclass(frozen=True)
class TwilioParams:
    call_sid: str | None
    from_raw: str
    to_raw: str
    digits: str | None
    fields: dict[str, str]  # the kept fields, cleaned (what the spool stores)

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> TwilioParams:
        fields = {}
        for key in KEPT:
            # `in` first: Werkzeug's `form.get` of a missing field raises and catches a
            # BadRequestKeyError, and half of the kept fields are missing from most webhooks.
            value = clean(form[key], 200 if key == "ErrorUrl" else MAX_FIELD) if key in form else ""
            if value or key in ("From", "To"):
                fields[key] = value
        sid = fields.get("CallSid", "")
        digits = _KEYS.sub("", fields.get("Digits", ""))[:MAX_DIGITS] if "Digits" in fields else ""
        return cls(
            call_sid=sid if _CALL_SID.match(sid) else None,
            from_raw=fields.get("From", ""),
            to_raw=fields.get("To", ""),
            digits=digits or None,
            fields=fields,
        )

    def caller(self) -> str | None:
        if self.from_raw.lower() in WITHHELD:
            return None
        return try_normalize_phone(self.from_raw)

    def context(self, now: datetime) -> CallContext:
        assert self.call_sid is not None
        return CallContext(
            call_sid=self.call_sid,
            caller=self.caller(),
            caller_raw=self.from_raw[:40],
            dialed=try_normalize_phone(self.to_raw),
            now=now,
        )
