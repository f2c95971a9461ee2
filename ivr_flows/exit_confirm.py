"""The early second call (Twilio 8): after the repeat window but sooner than the exit
confirmation after the entry, the caller hears that the entry is recorded, with its time, and
key 2 records the exit.  No key, or any other key, records nothing: a worker who calls again
because he was not sure the first call worked is never checked out by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ivr_flows.model import Action, CallContext, CallState, Gather, Name, Prompt, RecordEvent, Step
from ivr_flows.policy import CHOICE_TIMEOUT_S

if TYPE_CHECKING:
    from ivr_flows.flow import Flow

EXIT_KEY = "2"


def ask(
    flow: Flow, state: CallState, prompts: tuple[Prompt, ...], actions: Sequence[Action]
) -> Step:
    """Offer key 2 for the workers in `state.confirm` (the others are already recorded)."""
    return Step(
        prompts=prompts + flow.say(state, "exit_confirm_ask", key=EXIT_KEY),
        state=state.but(phase="exit_confirm"),
        gather=Gather(num_digits=1, timeout_s=CHOICE_TIMEOUT_S),
        actions=tuple(actions),
    )


def on_key(flow: Flow, call: CallContext, state: CallState, digits: str | None) -> Step:
    site = flow.lookup.site(state.site_id) if state.site_id else None
    workers = flow.lookup.workers(state.confirm)
    if (digits or "")[:1] != EXIT_KEY or site is None or not workers:
        return flow.end(state, "exit_not_recorded", outcome="exit_declined")
    actions: list[Action] = []
    prompts: tuple[Prompt, ...] = ()
    for worker in workers:
        external_id = flow.event_id(call, worker.id, "exit")
        actions.append(RecordEvent(external_id, site.id, worker.id, "exit", call.caller))
        name = Name(worker.name, worker.name_kana)
        prompts += flow.say(state, "recorded_exit", name=name, time=flow.clock(call.now))
    recorded = (*state.recorded, *((w.id, "exit") for w in workers))
    return flow.end(state.but(recorded=recorded), outcome="exit", actions=actions, prompts=prompts)
