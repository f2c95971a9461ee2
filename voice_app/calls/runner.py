"""One webhook step, decided, recorded and stored in one transaction (no Flask here: the
spool replay runs the same code in an RQ job).

Idempotency per (CallSid, step): the answer and the flow's state are stored in call_steps in
the same transaction as the events.  A retry of a gather step finds its row first; a retry of
the Voice URL recomputes (every write is keyed: external ids, dedupe keys) and, when its own
row then conflicts, rolls everything back and returns the stored answer.  So the first
committed delivery wins and a retry changes nothing.

The zero-key check-in (a registered worker's first call of the day, on PostgreSQL) is the hot
path, in two statements, each a transaction of its own, with no BEGIN or COMMIT: the look-up
of the site with the caller's workers and their history, without the decision lock
(`workers_db.callers.DbLookup._site_and_callers`); the flow decides; the event and the step's
answer, after the lock and only if the history read is still the history
(`call_actions.apply` → `intake.record_call_event_and_step`, `workers_db.decisions`).  The
session's commit then sends nothing, and the reconcile request goes to Redis after it
(`jobs.queue`).  Those statements run on psycopg directly (`workers_db.db.run_on_driver`).
A first step whose history changed between the two is decided again, locked.  Every other
step, and SQLite, take the same functions' general path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from ivr_flows.days import DayRules
from ivr_flows.flow import Flow
from ivr_flows.model import Action, CallContext, CallState, RaiseException, Step
from ivr_flows.policy import Policy
from voice_app.calls.providers import Provider, WebhookParams, provider, twilio
from workers_db import call_actions, calls
from workers_db.callers import DbLookup
from workers_db.decisions import DecisionOutdated
from workers_db.intake import work_date_of
from workers_db.settings import Settings

# What "the database does not answer" looks like (refused, timed out, pool exhausted, gone).
DB_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, DisconnectionError)
MAX_DRAIN = 12  # a replayed call's unanswered questions, timed out one by one


@dataclass(frozen=True)
class Answer:
    xml: str
    outcome: str
    repeated: bool = False  # a retried delivery: the stored answer, nothing changed
    events_created: int = 0


def step_key(n: int) -> str:
    return "voice" if n == 0 else f"gather/{n}"


def answer_step(
    session: Session,
    settings: Settings,
    n: int,
    params: WebhookParams,
    now: datetime,
    *,
    replay_xml: str | None = None,
    speaker: Provider | None = None,
    base: str = "",
) -> Answer:
    """Answer webhook step `n` of a call.  With `replay_xml` (a spooled call) the caller is
    gone: questions are timed out until the call ends, and the stored answer is the one the
    caller heard when the call was spooled."""
    call = params.context(now)
    key = step_key(n)
    state: CallState | None = None
    if n > 0:
        found = calls.stored_steps(session, call.call_sid, (key, step_key(n - 1)))
        if key in found:
            session.rollback()
            return Answer(found[key].response_xml, "retry", repeated=True)
        previous = found.get(step_key(n - 1))
        state = CallState.from_json(previous.state) if previous is not None else None

    # The first step's look-up is checked (workers_db.decisions): when what it read changed
    # before the write, nothing was recorded and the step is decided again, locked.
    def decide(checked: bool) -> Answer:
        return _decide(
            session, settings, n, call, state, params.digits, replay_xml, speaker, base, checked
        )

    try:
        return decide(checked=True)
    except DecisionOutdated:
        session.rollback()
        return decide(checked=False)


def _decide(
    session: Session,
    settings: Settings,
    n: int,
    call: CallContext,
    state: CallState | None,
    digits: str | None,
    replay_xml: str | None,
    speaker: Provider | None,
    base: str,
    checked: bool,
) -> Answer:
    """Decide step `n` from `state` (None: the call's start), record it and store its answer."""
    key = step_key(n)
    # A PIN try is committed on its own before the PIN is evaluated (workers_db.lockout);
    # what follows is the step's own transaction.
    caller = call.caller if n == 0 else None
    commit = session.commit
    lookup = DbLookup(session, call.now, settings.tz, caller, commit=commit, checked=checked)
    flow = Flow(lookup, _policy(settings))
    step = flow.start(call) if state is None else flow.resume(call, state, digits)
    actions = list(step.actions)
    if replay_xml is not None:
        step, more = _drain(flow, call, step, settings)
        actions.extend(more)
    xml = replay_xml or (speaker or twilio()).render(step, n + 1, base)
    answer = calls.StepAnswer(call.call_sid, key, xml, step.state.to_json())
    created, stored = call_actions.apply(session, actions, call, settings.tz, answer, lookup.basis)
    if not stored:
        session.rollback()  # a concurrent delivery of the same step committed first
        winner = calls.stored_answer(session, call.call_sid, key)
        return Answer(winner or xml, "retry", repeated=True)
    session.commit()
    return Answer(xml, step.outcome, events_created=created)


def make_flow(
    session: Session,
    settings: Settings,
    now: datetime,
    caller: str | None,
    commit: Callable[[], None] | None = None,
) -> Flow:
    """The call flow over the database, with the day rules of `settings`."""
    return Flow(DbLookup(session, now, settings.tz, caller, commit=commit), _policy(settings))


def _policy(settings: Settings) -> Policy:
    return Policy(DayRules.of(settings), settings.tz_name)


def preview(session: Session, settings: Settings, caller: str, dialed: str, now: datetime) -> str:
    """The outcome the first webhook of a call would have now (`entry`, `exit`,
    `asked_exit`, `repeat`, …), decided by the flow itself and recorded nowhere."""
    call = CallContext("preview", caller, caller, dialed, now)
    return make_flow(session, settings, now, caller).start(call).outcome


def _drain(
    flow: Flow, call: CallContext, step: Step, settings: Settings
) -> tuple[Step, list[Action]]:
    """Time out every question of a replayed call; tell the office what was never asked."""
    asked = step.state.phase if step.gather and step.gather.on_timeout == "redirect" else None
    actions: list[Action] = []
    for _ in range(MAX_DRAIN):
        if step.gather is None:
            break
        step = flow.resume(call, step.state, None)
        actions.extend(step.actions)
    if asked is not None:
        detail: dict[str, Any] = {
            "call_sid": call.call_sid,
            "unanswered": asked,
            "outcome": step.outcome,
            "caller_e164": call.caller,
            "dialed": call.dialed,
        }
        actions.append(
            RaiseException(
                kind="spool_replayed",
                dedupe_key=f"spool_replayed:{call.call_sid}",
                site_id=step.state.site_id,
                worker_id=None,
                work_date=work_date_of(call.now, settings.tz),
                detail=detail,
            )
        )
    return step, actions


def replay_entry(session: Session, settings: Settings, entry: dict[str, Any]) -> Answer:
    """Replay one spooled webhook (see `voice_app.spool`) with the time it was received."""
    speaker = provider(entry.get("provider", "twilio"))
    params = speaker.parse(entry["params"])
    if params.call_sid is None:
        raise ValueError("spooled entry without a CallSid")
    received = datetime.fromisoformat(entry["received_at"])
    return answer_step(
        session,
        settings,
        int(entry["step"]),
        params,
        received,
        replay_xml=entry["answer_xml"],
        speaker=speaker,
    )
