"""Vonage's webhook body (JSON), cleaned like Twilio's form: bounded, printable values.

Answer webhook: `from`, `to` (E.164 digits without `+`), `uuid`, `conversation_uuid`; an
input action's result adds `dtmf: {digits, timed_out}`.  The call's `uuid` is its id in
call_steps and in event external ids, as a CallSid is on Twilio; numbers are then read with
Twilio's rules (withheld caller ids, normalisation to E.164).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from voice_app.twilio.params import _CALL_SID, _KEYS, MAX_DIGITS, TwilioParams, clean

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


def _plus(raw: str) -> str:
    """Vonage's numbers are E.164 digits without `+`."""
    return "+" + raw if _DIGITS_ONLY.match(raw) else raw


def parse(fields: Mapping[str, str]) -> TwilioParams:
    """The webhook's kept fields as the runner's params (the same shape as Twilio's: a call
    id, the caller and dialled number, the digits); `fields` stays in Vonage's names, which is
    what the spool keeps and replays through this parser again."""
    kept = {k: clean(fields.get(k)) for k in KEPT if fields.get(k) is not None}
    uuid = kept.get("uuid", "")
    digits = _KEYS.sub("", kept.get("digits", ""))[:MAX_DIGITS]
    return TwilioParams(
        call_sid=uuid if _CALL_SID.match(uuid) else None,
        from_raw=_plus(kept.get("from", "")),
        to_raw=_plus(kept.get("to", "")),
        digits=digits or None,
        fields=kept,
    )
