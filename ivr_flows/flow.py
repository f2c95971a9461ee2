"""The call as a state machine: `Flow.start` answers the first webhook, `Flow.resume` every
later one (the keys pressed, or none after a timeout).  Each answer is a `Step`.

The normal call needs no key: the caller id says who, the dialled number says where, the
history says entry or exit.  Everything else (a shared number, a crew phone, an unknown or
withheld caller, the menu) is a short detour that ends in the same `check_in`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from ivr_flows import exit_confirm, identify, menu
from ivr_flows.decide import Decision, decide, history_since
from ivr_flows.formats import is_site_code
from ivr_flows.lookup import Lookup
from ivr_flows.model import (
    Action,
    AddToStructure,
    CallContext,
    CallState,
    ClockTime,
    Gather,
    Name,
    Prompt,
    RaiseException,
    RecordEvent,
    SiteInfo,
    Step,
    WorkerInfo,
)
from ivr_flows.policy import (
    CHOICE_TIMEOUT_S,
    CONFIRM_KEY_TIMEOUT_S,
    CREW_MAX,
    CREW_TRIES,
    MENU_KEY,
    SITE_CODE_TIMEOUT_S,
    SITE_CODE_TRIES,
    Policy,
)

Handler = Callable[["Flow", CallContext, CallState, str | None], Step]


class Flow:
    def __init__(self, lookup: Lookup, policy: Policy) -> None:
        self.lookup = lookup
        self.policy = policy
        self.tz = policy.tz

    # ------------------------------------------------------------ entry points

    def start(self, call: CallContext) -> Step:
        # Where first: a look-up may then read the caller's workers together with their
        # history at that site (voice_app's DbLookup does, in one query).
        site = self.lookup.site_by_number(call.dialed) if call.dialed else None
        workers = self.lookup.workers_by_phone(call.caller) if call.caller else []
        state = CallState()
        if workers:
            state = state.but(
                language=workers[0].language, language_known=True, caller_worker=workers[0].id
            )
        if site is None:
            return self.ask_site_code(state, again=False)
        return self.at_site(call, state, site, workers)

    def resume(self, call: CallContext, state: CallState, digits: str | None) -> Step:
        handler = _HANDLERS.get(state.phase)
        if handler is None:  # nothing is expected any more: a stray or late request
            return self.end(state, "goodbye")
        return handler(self, call, state, digits or None)

    # ------------------------------------------------------------ building blocks

    def say(self, state: CallState, message: str, **params: object) -> tuple[Prompt, ...]:
        """A prompt in the caller's language; Japanese then English while it is unknown."""
        if state.language_known:
            return (Prompt(message, state.language, params),)
        return (Prompt(message, "ja", params), Prompt(message, "en", params))

    def end(
        self,
        state: CallState,
        *messages: str,
        outcome: str | None = None,
        actions: Sequence[Action] = (),
        prompts: tuple[Prompt, ...] = (),
    ) -> Step:
        for message in messages:
            prompts += self.say(state, message)
        done = state.but(phase="done", outcome=outcome or state.outcome or "ended")
        return Step(prompts=prompts, state=done, actions=tuple(actions))

    def clock(self, moment: datetime) -> ClockTime:
        local = moment.astimezone(self.tz)
        return ClockTime(local.hour, local.minute)

    def work_date(self, call: CallContext) -> date:
        return call.now.astimezone(self.tz).date()

    @staticmethod
    def event_id(call: CallContext, worker_id: int, direction: str) -> str:
        return f"call:{call.call_sid}:{worker_id}:{direction}"

    # ------------------------------------------------------------ where

    def ask_site_code(self, state: CallState, again: bool) -> Step:
        prompts = self.say(state, "site_code_again" if again else "ask_site_code")
        return Step(
            prompts=prompts,
            state=state.but(phase="site_code", outcome="asked_site_code"),
            gather=Gather(finish_on_key="#", timeout_s=SITE_CODE_TIMEOUT_S),
        )

    def on_site_code(self, call: CallContext, state: CallState, digits: str | None) -> Step:
        code = (digits or "").rstrip("#")
        site = self.lookup.site_by_code(code) if is_site_code(code) else None
        if site is not None:
            workers = self.lookup.workers_by_phone(call.caller) if call.caller else []
            return self.at_site(call, state.but(tries=0), site, workers)
        tries = state.tries + 1
        if tries >= SITE_CODE_TRIES:
            return self.end(state.but(tries=tries), "site_code_failed", outcome="no_site")
        return self.ask_site_code(state.but(tries=tries), again=True)

    def at_site(
        self, call: CallContext, state: CallState, site: SiteInfo, workers: list[WorkerInfo]
    ) -> Step:
        state = state.but(site_id=site.id)
        if not workers:
            return identify.anonymous(self, call, state, site)
        if len(workers) == 1:
            return self.check_in(call, state, site, workers, may_reject=True)
        return self.ask_crew(state, workers, again=False)

    # ------------------------------------------------------------ who, on a crew phone

    def ask_crew(self, state: CallState, workers: list[WorkerInfo], again: bool) -> Step:
        members = workers[:CREW_MAX]
        options = [(str(i + 1), Name(w.name, w.name_kana)) for i, w in enumerate(members)]
        return Step(
            prompts=self.say(state, "crew_choose", options=options),
            state=state.but(
                phase="crew", workers=tuple(w.id for w in members), outcome="asked_crew"
            ),
            gather=Gather(num_digits=1, timeout_s=CHOICE_TIMEOUT_S),
        )

    def on_crew(self, call: CallContext, state: CallState, digits: str | None) -> Step:
        site = self.lookup.site(state.site_id) if state.site_id else None
        members = self.lookup.workers(state.workers)
        if site is None or not members:
            return self.end(state, "goodbye", outcome="gone")
        key = (digits or "")[:1]
        if key == "0":
            chosen = members
        elif key.isdigit() and 1 <= int(key) <= len(members):
            chosen = [members[int(key) - 1]]
        elif state.tries + 1 < CREW_TRIES:
            return self.ask_crew(state.but(tries=state.tries + 1), members, again=True)
        else:  # no usable answer: the phone's owner is the one we know is calling
            chosen = members[:1]
        return self.check_in(call, state.but(tries=0), site, chosen, may_reject=False)

    # ------------------------------------------------------------ the check-in itself

    def check_in(
        self,
        call: CallContext,
        state: CallState,
        site: SiteInfo,
        workers: Sequence[WorkerInfo],
        may_reject: bool,
    ) -> Step:
        """Record entry or exit for each worker (or hear it was already recorded, or be
        asked before an early exit: `ivr_flows.exit_confirm`).

        At a site whose answer mode is `reject` a single worker known by caller id gets
        `<Reject/>`: the call is never answered, never billed, and still recorded (except an
        exit that would need the question: that records nothing).
        """
        ids = [w.id for w in workers]
        history = self.lookup.history(ids, site.id, history_since(call.now, self.tz), call.now)
        missing = self.lookup.companies_missing(site.id, {w.company_id for w in workers})
        actions: list[Action] = []
        prompts: tuple[Prompt, ...] = ()
        recorded: list[tuple[int, str]] = []
        confirm: list[int] = []
        kinds: set[str] = set()
        for worker in workers:
            decision = decide(history.get(worker.id, []), call.now, self.tz, self.policy.rules)
            name = Name(worker.name, worker.name_kana)
            kinds.add(decision.kind)
            if decision.kind == "repeat":
                assert decision.last is not None
                prompts += self.say(
                    state, "already_recorded", name=name, time=self.clock(decision.last.occurred_at)
                )
                continue
            if decision.kind == "confirm":
                assert decision.entry is not None
                confirm.append(worker.id)
                prompts += self.say(
                    state,
                    "entry_recorded_at",
                    name=name,
                    time=self.clock(decision.entry.occurred_at),
                )
                continue
            external_id = self.event_id(call, worker.id, decision.kind)
            opener = decision.entry if decision.overnight else None
            actions.append(
                RecordEvent(
                    external_id=external_id,
                    site_id=site.id,
                    worker_id=worker.id,
                    direction=decision.kind,
                    caller_e164=call.caller,
                    also_reconcile=opener.occurred_at.astimezone(self.tz).date()
                    if opener
                    else None,
                )
            )
            recorded.append((worker.id, decision.kind))
            prompts += self._recorded(call, state, name, decision)
            if worker.company_id in missing:
                missing.discard(worker.company_id)
                actions.extend(self._structure(call, site, worker, external_id))
        outcome = kinds.pop() if len(kinds) == 1 else "mixed"
        state = state.but(
            phase="confirmed",
            workers=tuple(ids),
            recorded=tuple(recorded),
            confirm=tuple(confirm),
            outcome="asked_exit" if outcome == "confirm" else outcome,
        )
        if may_reject and site.answer_mode == "reject":
            # never answered, so nothing can be asked: an unsure second call records nothing
            return Step(prompts=(), state=state, reject=True, actions=tuple(actions))
        if confirm:
            return exit_confirm.ask(self, state, prompts, actions)
        return Step(
            prompts=prompts + self.say(state, "menu_hint", key=MENU_KEY),
            state=state,
            gather=Gather(num_digits=1, timeout_s=CONFIRM_KEY_TIMEOUT_S, on_timeout="hangup"),
            actions=tuple(actions),
        )

    def _recorded(
        self, call: CallContext, state: CallState, name: Name, decision: Decision
    ) -> tuple[Prompt, ...]:
        """What the caller hears about an entry or exit just recorded."""
        time = self.clock(call.now)
        if decision.kind == "exit" and decision.overnight and decision.entry is not None:
            since = self.clock(decision.entry.occurred_at)
            return self.say(state, "recorded_exit_overnight", name=name, time=time, since=since)
        forgotten = decision.expired_entry
        if forgotten is not None:
            yesterday = forgotten.occurred_at.astimezone(self.tz).date() == self.work_date(
                call
            ) - timedelta(days=1)
            message = "recorded_entry_no_exit_yesterday" if yesterday else "recorded_entry_no_exit"
            since = self.clock(forgotten.occurred_at)
            return self.say(state, message, name=name, time=time, since=since)
        return self.say(state, f"recorded_{decision.kind}", name=name, time=time)

    def _structure(
        self, call: CallContext, site: SiteInfo, worker: WorkerInfo, external_id: str
    ) -> list[Action]:
        """The worker's company joins the site's 施工体制, unconfirmed, for the office."""
        tier, parent = self.lookup.placement(worker.company_id, site.prime_company_id)
        return [
            AddToStructure(site.id, worker.company_id, parent, tier),
            RaiseException(
                kind="company_not_in_structure",
                dedupe_key=f"company_not_in_structure:{site.id}:{worker.company_id}",
                site_id=site.id,
                worker_id=worker.id,
                work_date=self.work_date(call),
                detail={
                    "company_id": worker.company_id,
                    "tier": tier,
                    "parent_company_id": parent,
                    "source": "call",
                    "call_sid": call.call_sid,
                },
                event_external_id=external_id,
            ),
        ]


_HANDLERS: dict[str, Handler] = {
    "site_code": Flow.on_site_code,
    "crew": Flow.on_crew,
    "ccus_id": identify.on_ccus_id,
    "pin": identify.on_pin,
    "confirmed": menu.on_confirmation_key,
    "exit_confirm": exit_confirm.on_key,
    "menu": menu.on_menu,
    "correct": menu.on_correct,
}
