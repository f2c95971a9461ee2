"""The menu, reached with a key during the confirmation (never needed on a normal call).

1 records an entry, 2 an exit, 3 reads back today's record and offers to tell the office,
4 reads back the caller's own month (countable work days at every site, the last of them,
the 建退共 estimate) and records nothing.  Only the caller's own figures are read: on a crew
phone that is the phone's owner, whoever the call checked in.
Raw events are append-only: a choice that contradicts what this call recorded on its own adds
the chosen event and raises `correction_requested`, so the office sees both and decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivr_flows.decide import start_of_day
from ivr_flows.model import (
    Action,
    CalendarDate,
    CallContext,
    CallState,
    Gather,
    Name,
    Prompt,
    RaiseException,
    RecordEvent,
    Step,
)
from ivr_flows.policy import CHOICE_TIMEOUT_S, MENU_TRIES

if TYPE_CHECKING:
    from ivr_flows.flow import Flow

_CHOICES = {"1": "entry", "2": "exit"}


def on_confirmation_key(
    flow: Flow, call: CallContext, state: CallState, digits: str | None
) -> Step:
    if digits is None:
        return flow.end(state)
    return _ask(flow, state.but(tries=0))


def _ask(flow: Flow, state: CallState) -> Step:
    return Step(
        prompts=flow.say(state, "menu"),
        state=state.but(phase="menu"),
        gather=Gather(num_digits=1, timeout_s=CHOICE_TIMEOUT_S),
    )


def on_menu(flow: Flow, call: CallContext, state: CallState, digits: str | None) -> Step:
    key = (digits or "")[:1]
    if key in _CHOICES:
        return _record_choice(flow, call, state, _CHOICES[key])
    if key == "3":
        return _read_today(flow, call, state)
    if key == "4":
        return _read_month(flow, call, state)
    if state.tries + 1 < MENU_TRIES:
        return _ask(flow, state.but(tries=state.tries + 1))
    return flow.end(state, "goodbye")


def _record_choice(flow: Flow, call: CallContext, state: CallState, direction: str) -> Step:
    site = flow.lookup.site(state.site_id) if state.site_id else None
    workers = flow.lookup.workers(state.workers)
    if site is None or not workers:
        return flow.end(state, "goodbye")
    automatic = dict(state.recorded)
    actions: list[Action] = []
    prompts: tuple[Prompt, ...] = ()
    for worker in workers:
        external_id = flow.event_id(call, worker.id, direction)
        actions.append(
            RecordEvent(external_id, site.id, worker.id, direction, call.caller, note="menu")
        )
        if automatic.get(worker.id) not in (None, direction):
            actions.append(
                RaiseException(
                    kind="correction_requested",
                    dedupe_key=f"correction_requested:{call.call_sid}:{worker.id}",
                    site_id=site.id,
                    worker_id=worker.id,
                    work_date=flow.work_date(call),
                    detail={
                        "call_sid": call.call_sid,
                        "automatic": automatic[worker.id],
                        "chosen": direction,
                        "automatic_event": flow.event_id(call, worker.id, automatic[worker.id]),
                    },
                    event_external_id=external_id,
                )
            )
        name = Name(worker.name, worker.name_kana)
        prompts += flow.say(state, f"recorded_{direction}", name=name, time=flow.clock(call.now))
    return flow.end(state, "goodbye", outcome=f"menu_{direction}", actions=actions, prompts=prompts)


def _read_today(flow: Flow, call: CallContext, state: CallState) -> Step:
    workers = flow.lookup.workers(state.workers)
    if state.site_id is None or not workers:
        return flow.end(state, "goodbye")
    history = flow.lookup.history(
        [w.id for w in workers], state.site_id, start_of_day(call.now, flow.tz), call.now
    )
    prompts: tuple[Prompt, ...] = ()
    for worker in workers:
        name = Name(worker.name, worker.name_kana)
        items = [
            (event.direction or "touch", flow.clock(event.occurred_at))
            for event in history.get(worker.id, [])
        ]
        if items:
            prompts += flow.say(state, "today_summary", name=name, items=items)
        else:
            prompts += flow.say(state, "today_none", name=name)
    return Step(
        prompts=prompts + flow.say(state, "correction_offer"),
        state=state.but(phase="correct", outcome="read_today"),
        gather=Gather(num_digits=1, timeout_s=CHOICE_TIMEOUT_S, on_timeout="hangup"),
    )


def _read_month(flow: Flow, call: CallContext, state: CallState) -> Step:
    workers = flow.lookup.workers([state.caller_worker]) if state.caller_worker else []
    if not workers:
        return flow.end(state, "goodbye")
    worker = workers[0]
    name = Name(worker.name, worker.name_kana)
    today = flow.work_date(call)
    month = flow.lookup.month(worker.id, today.replace(day=1), today)
    if not month.registered:
        prompts = flow.say(state, "month_unregistered", name=name)
    elif month.days == 0 or month.last_date is None:
        prompts = flow.say(state, "month_none", name=name)
    else:
        last = CalendarDate(month.last_date.month, month.last_date.day)
        prompts = flow.say(
            state, "month_summary", name=name, days=month.days, last=last, site=month.last_site
        )
    if month.kentaikyo_yen is not None and month.registered:
        prompts += flow.say(state, "month_kentaikyo", yen=month.kentaikyo_yen)
    return flow.end(state, "goodbye", outcome="read_month", prompts=prompts)


def on_correct(flow: Flow, call: CallContext, state: CallState, digits: str | None) -> Step:
    if (digits or "")[:1] != "1" or state.site_id is None:
        return flow.end(state, "goodbye")
    actions = [
        RaiseException(
            kind="correction_requested",
            dedupe_key=f"correction_requested:{call.call_sid}:{worker_id}",
            site_id=state.site_id,
            worker_id=worker_id,
            work_date=flow.work_date(call),
            detail={"call_sid": call.call_sid, "requested_by": "phone"},
        )
        for worker_id in state.workers
    ]
    return flow.end(state, "correction_sent", outcome="correction_requested", actions=actions)
