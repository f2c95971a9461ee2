"""The values that flow through a call: what is known of the call, what the database says,
what the caller hears (prompts as message ids with parameters), and what must be recorded.

Everything here is plain data.  voice_app turns a `Step` into TwiML and its actions into rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

Direction = Literal["entry", "exit"]


@dataclass(frozen=True)
class CallContext:
    """One webhook's view of the call.

    `caller` is the E.164 caller id, or None when it is withheld or unusable (then
    `caller_raw` keeps a short, cleaned sample of what was sent, for the office).
    """

    call_sid: str
    caller: str | None
    caller_raw: str
    dialed: str | None
    now: datetime


@dataclass(frozen=True)
class SiteInfo:
    id: int
    name: str
    site_code: str
    answer_mode: str
    prime_company_id: int


@dataclass(frozen=True)
class WorkerInfo:
    id: int
    name: str
    name_kana: str | None
    language: str
    company_id: int


@dataclass(frozen=True)
class PastEvent:
    """A phone or card event of one worker at one site (for entry/exit/repeat)."""

    occurred_at: datetime
    direction: str | None
    source: str


# ---------------------------------------------------------------- what is said


@dataclass(frozen=True)
class Name:
    """A person's name for read-back: the registered name and its kana reading."""

    name: str
    kana: str | None = None


@dataclass(frozen=True)
class ClockTime:
    """A local wall-clock time (GENBA_TZ), read back in the listener's language."""

    hour: int
    minute: int


@dataclass(frozen=True)
class CalendarDate:
    """A local date (GENBA_TZ), read back in the listener's language."""

    month: int
    day: int


@dataclass(frozen=True)
class SiteRef:
    """A site for read-back: Japanese says its name, other languages its site code."""

    name: str
    code: str


@dataclass(frozen=True)
class MonthFigures:
    """One worker's own month so far (countable work days as reconciled)."""

    registered: bool  # has a CCUS worker id: without one no day accumulates
    days: int  # countable work days this month, every site
    sites: int  # at how many sites
    last_date: date | None  # the latest of those days
    last_site: SiteRef | None
    kentaikyo_yen: int | None  # the 建退共 estimate; None when the worker is not in 建退共


@dataclass(frozen=True)
class Prompt:
    """A message of the catalogue (`ivr_flows.messages`) with its parameters."""

    message: str
    language: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Gather:
    """Keys to collect.  `on_timeout` is what follows when nothing is pressed: `redirect`
    (ask the flow again, with no digits) or `hangup` (the call is complete)."""

    num_digits: int | None = None
    finish_on_key: str = ""
    timeout_s: int = 5
    on_timeout: Literal["redirect", "hangup"] = "redirect"


# ---------------------------------------------------------------- what is recorded


@dataclass(frozen=True)
class RecordEvent:
    """A raw `phone` event.  `external_id` is deterministic per call and decision, so a
    retried webhook or a spool replay finds its own row instead of adding one."""

    external_id: str
    site_id: int
    worker_id: int | None
    direction: str | None
    caller_e164: str | None
    note: str | None = None
    also_reconcile: date | None = None  # an overnight exit also touches its entry's day


@dataclass(frozen=True)
class RaiseException:
    kind: str
    dedupe_key: str
    site_id: int | None
    worker_id: int | None
    work_date: date | None
    detail: Mapping[str, Any]
    event_external_id: str | None = None


@dataclass(frozen=True)
class AddToStructure:
    """An unconfirmed 施工体制 edge learnt from a call (source `call`)."""

    site_id: int
    company_id: int
    parent_company_id: int | None
    tier: int | None


@dataclass(frozen=True)
class PinSucceeded:
    """Clears the failure counters and notes on the caller's exception who it was."""

    keys: tuple[str, ...]
    worker_id: int
    exception_dedupe_key: str | None


Action = RecordEvent | RaiseException | AddToStructure | PinSucceeded


# ---------------------------------------------------------------- the call's state


@dataclass(frozen=True)
class CallState:
    """What the flow remembers between webhooks (stored as JSON with each step).

    `phase` names what the next keys answer: `site_code`, `crew`, `ccus_id`, `pin`,
    `confirmed` (a key during the confirmation opens the menu), `exit_confirm` (key 2 records
    the exit of the workers in `confirm`), `menu`, `correct`, `done`.
    """

    phase: str = "start"
    site_id: int | None = None
    language: str = "ja"
    language_known: bool = False
    tries: int = 0
    workers: tuple[int, ...] = ()
    recorded: tuple[tuple[int, str], ...] = ()
    confirm: tuple[int, ...] = ()
    ccus_id: str | None = None
    anonymous_exception: str | None = None
    outcome: str = ""
    caller_worker: int | None = None  # who is calling: the phone's owner, or who gave a PIN

    def to_json(self) -> str:
        # Every field is a plain value or a tuple of them: no `asdict` (it deep-copies).
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> CallState:
        if not text:
            return cls()
        raw = json.loads(text)
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in raw.items() if k in known}
        values["workers"] = tuple(values.get("workers", ()))
        values["confirm"] = tuple(values.get("confirm", ()))
        values["recorded"] = tuple(tuple(pair) for pair in values.get("recorded", ()))
        return cls(**values)

    def but(self, **changes: Any) -> CallState:
        return replace(self, **changes)


@dataclass(frozen=True)
class Step:
    """The flow's answer to one webhook.

    Prompts are said in order (inside the gather when there is one).  Without a gather the
    call ends: `<Reject/>` when `reject`, otherwise a hang-up after the prompts.
    """

    prompts: tuple[Prompt, ...]
    state: CallState
    gather: Gather | None = None
    reject: bool = False
    actions: tuple[Action, ...] = ()

    @property
    def outcome(self) -> str:
        return self.state.outcome

    def with_actions(self, *first: Action) -> Step:
        return replace(self, actions=(*first, *self.actions))
