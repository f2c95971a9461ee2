"""Unknown and withheld callers.

The attempt is never lost: an event without a worker (the caller's number when there is one)
and an exception for the office are recorded at once, before anything is asked.  The caller
may then identify with the CCUS worker id (14 digits) and PIN: a few tries per call, and a
lock-out per number and per worker id after repeated tries (each counted before the PIN is
evaluated; a success clears the count).
An unknown worker id is not revealed: the PIN is asked all the same.

At a site whose answer mode is `reject` such a call is answered anyway: there a rejected
call means "recorded", and an unknown caller must not be told that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivr_flows.formats import is_ccus_id, is_pin
from ivr_flows.model import (
    CallContext,
    CallState,
    Gather,
    PinSucceeded,
    RaiseException,
    RecordEvent,
    SiteInfo,
    Step,
)
from ivr_flows.policy import CCUS_ID_TRIES, ID_TIMEOUT_S, PIN_TRIES_PER_CALL, pin_keys

if TYPE_CHECKING:
    from ivr_flows.flow import Flow


def anonymous_event_id(call: CallContext) -> str:
    return f"call:{call.call_sid}:anonymous"


def anonymous(flow: Flow, call: CallContext, state: CallState, site: SiteInfo) -> Step:
    kind = "unknown_caller" if call.caller else "withheld_caller"
    external_id = anonymous_event_id(call)
    dedupe = f"{kind}:{call.call_sid}"
    detail: dict[str, object] = {"call_sid": call.call_sid, "site_code": site.site_code}
    if call.caller:
        detail["caller_e164"] = call.caller
    elif call.caller_raw:
        detail["caller_raw"] = call.caller_raw
    actions = (
        RecordEvent(external_id, site.id, None, None, call.caller, note=kind),
        RaiseException(
            kind=kind,
            dedupe_key=dedupe,
            site_id=site.id,
            worker_id=None,
            work_date=flow.work_date(call),
            detail=detail,
            event_external_id=external_id,
        ),
    )
    state = state.but(anonymous_exception=dedupe, outcome=kind)
    if flow.lookup.locked(pin_keys(call.caller, None), call.now):
        return flow.end(state, kind, "locked_out", "anonymous_goodbye", actions=actions)
    return Step(
        prompts=flow.say(state, kind) + flow.say(state, "ask_ccus_id"),
        state=state.but(phase="ccus_id", tries=0),
        gather=Gather(finish_on_key="#", timeout_s=ID_TIMEOUT_S),
        actions=actions,
    )


def on_ccus_id(flow: Flow, call: CallContext, state: CallState, digits: str | None) -> Step:
    if digits is None:
        return flow.end(state, "anonymous_goodbye")
    ccus_id = digits.rstrip("#")
    if not is_ccus_id(ccus_id):
        tries = state.tries + 1
        if tries >= CCUS_ID_TRIES:
            return flow.end(state.but(tries=tries), "anonymous_goodbye")
        return Step(
            prompts=flow.say(state, "ccus_id_again"),
            state=state.but(tries=tries),
            gather=Gather(finish_on_key="#", timeout_s=ID_TIMEOUT_S),
        )
    if flow.lookup.locked(pin_keys(call.caller, ccus_id), call.now):
        return flow.end(state, "locked_out", "anonymous_goodbye", outcome="locked_out")
    return Step(
        prompts=flow.say(state, "ask_pin"),
        state=state.but(phase="pin", ccus_id=ccus_id),
        gather=Gather(finish_on_key="#", timeout_s=ID_TIMEOUT_S),
    )


def on_pin(flow: Flow, call: CallContext, state: CallState, digits: str | None) -> Step:
    if digits is None or state.ccus_id is None:
        return flow.end(state, "anonymous_goodbye")
    keys = pin_keys(call.caller, state.ccus_id)
    if not flow.lookup.count_pin_try(keys, call.now):  # counted before the PIN is evaluated
        return flow.end(state, "locked_out", "anonymous_goodbye", outcome="locked_out")
    pin = digits.rstrip("#")
    worker = flow.lookup.verify_pin(state.ccus_id, pin) if is_pin(pin) else None
    site = flow.lookup.site(state.site_id) if state.site_id else None
    if worker is None or site is None:
        tries = state.tries + 1
        if tries >= PIN_TRIES_PER_CALL:
            return flow.end(
                state.but(tries=tries), "pin_wrong", "anonymous_goodbye", outcome="pin_failed"
            )
        return Step(
            prompts=flow.say(state, "pin_wrong") + flow.say(state, "ask_ccus_id"),
            state=state.but(phase="ccus_id", tries=tries, ccus_id=None),
            gather=Gather(finish_on_key="#", timeout_s=ID_TIMEOUT_S),
        )
    state = state.but(
        language=worker.language, language_known=True, tries=0, caller_worker=worker.id
    )
    step = flow.check_in(call, state, site, [worker], may_reject=False)
    return step.with_actions(PinSucceeded(keys, worker.id, state.anonymous_exception))
