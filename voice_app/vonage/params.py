"""Vonage's webhook body (JSON), cleaned like Twilio's form: bounded, printable values.

Answer webhook: `from`, `to` (E.164 digits without `+`), `uuid`, `conversation_uuid`; an
input action's result adds `dtmf: {digits, timed_out}`.  The call's `uuid` is its id in
call_steps and in event external ids, as a CallSid is on Twilio.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ivr_flows.model import CallContext
from voice_app.twilio.params import MAX_DIGITS, WITHHELD, clean
from workers_db.identifiers import try_normalize_phone

_UUID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_KEYS = re.compile(r"[^0-9*#]")
_DIGITS_ONLY = re.compile(r"^[0-9]{6,15}$")
KEPT = ("uuid", "conversation_uuid", "from", "to", "digits", "status", "duration")


def flatten(body: Any) -> dict[str, str]:
    """The kept fields of a JSON body as strings (`dtmf.digits` as `digits`)."""
    if not isinstance(body, dict):
        return {}
    values: dict[str, Any] = dict(body)
    dtmf = body.get("dtmf")
    if isinstance(dtmf, dict):
        values["digits"] = dtmf.get("digits")
    return {k: clean(str(values[k])) for k in KEPT if isinstance(values.get(k), str | int)}


def _e164(raw: str) -> str | None:
    return try_normalize_phone("+" + raw if _DIGITS_ONLY.match(raw) else raw)


@dataclass(frozen=True)
class VonageParams:
    call_sid: str | None
    from_raw: str
    to_raw: str
    digits: str | None
    fields: dict[str, str]

    @classmethod
    def parse(cls, fields: Mapping[str, str]) -> VonageParams:
        kept = {k: clean(fields.get(k)) for k in KEPT if fields.get(k) is not None}
        uuid = kept.get("uuid", "")
        digits = _KEYS.sub("", kept.get("digits", ""))[:MAX_DIGITS]
        return cls(
            call_sid=uuid if _UUID.match(uuid) else None,
            from_raw=kept.get("from", ""),
            to_raw=kept.get("to", ""),
            digits=digits or None,
            fields=kept,
        )

    def caller(self) -> str | None:
        if self.from_raw.lower() in WITHHELD:
            return None
        return _e164(self.from_raw)

    def context(self, now: datetime) -> CallContext:
        assert self.call_sid is not None
        return CallContext(
            call_sid=self.call_sid,
            caller=self.caller(),
            caller_raw=self.from_raw[:40],
            dialed=_e164(self.to_raw),
            now=now,
        )
