"""The call flow as pure Python: behaviour by behaviour, no database (an in-memory Lookup)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr_flows import CallContext, CallState, Flow, Policy, Step
from ivr_flows.days import DayRules
from ivr_flows.decide import decide
from ivr_flows.model import (
    AddToStructure,
    MonthFigures,
    PastEvent,
    PinSucceeded,
    RaiseException,
    RecordEvent,
    SiteInfo,
    SiteRef,
    WorkerInfo,
)

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2025, 6, 2, 7, 45, tzinfo=JST)
WINDOW = 600
RULES = DayRules(repeat_window_s=WINDOW, exit_confirm_s=3600, max_shift_s=16 * 3600, site_hop_s=900)
OLD_RULES = DayRules(WINDOW, exit_confirm_s=0, max_shift_s=25 * 3600, site_hop_s=900)
SITE = SiteInfo(1, "日本橋", "1234", "confirm", prime_company_id=100)
REJECT_SITE = SiteInfo(2, "江東", "2345", "reject", prime_company_id=100)
TANAKA = WorkerInfo(10, "田中 一郎", "タナカ イチロウ", "ja", company_id=200)
ITO = WorkerInfo(11, "伊藤 翔", "イトウ ショウ", "ja", company_id=200)
SMITH = WorkerInfo(12, "John Smith", None, "en", company_id=300)


@dataclass
class FakeLookup:
    """The flow's Lookup over dictionaries."""

    numbers: dict[str, SiteInfo] = field(
        default_factory=lambda: {"+81312340001": SITE, "+81312340002": REJECT_SITE}
    )
    phones: dict[str, list[WorkerInfo]] = field(
        default_factory=lambda: {"+819011110001": [TANAKA], "+819022220002": [TANAKA, ITO, SMITH]}
    )
    history_rows: list[tuple[int, int, PastEvent]] = field(default_factory=list)
    structure: set[tuple[int, int]] = field(default_factory=lambda: {(1, 200), (2, 200)})
    placements: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)
    locks: set[str] = field(default_factory=set)
    tries: list[tuple[str, ...]] = field(default_factory=list)  # PIN tries counted
    pins: dict[str, tuple[WorkerInfo, str]] = field(
        default_factory=lambda: {"12345678901234": (TANAKA, "2468")}
    )
    months_asked: list[tuple[int, date, date]] = field(default_factory=list)

    def site_by_number(self, e164: str) -> SiteInfo | None:
        return self.numbers.get(e164)

    def site_by_code(self, code: str) -> SiteInfo | None:
        return next((s for s in (SITE, REJECT_SITE) if s.site_code == code), None)

    def site(self, site_id: int) -> SiteInfo | None:
        return next((s for s in (SITE, REJECT_SITE) if s.id == site_id), None)

    def workers_by_phone(self, e164: str) -> list[WorkerInfo]:
        return list(self.phones.get(e164, []))

    def workers(self, ids: Sequence[int]) -> list[WorkerInfo]:
        everyone = {w.id: w for w in (TANAKA, ITO, SMITH)}
        return [everyone[i] for i in ids if i in everyone]

    def history(
        self, worker_ids: Sequence[int], site_id: int, since: datetime, until: datetime
    ) -> dict[int, list[PastEvent]]:
        found: dict[int, list[PastEvent]] = {}
        for worker_id, at_site, event in sorted(self.history_rows, key=lambda r: r[2].occurred_at):
            if (
                worker_id in worker_ids
                and at_site == site_id
                and since <= event.occurred_at <= until
            ):
                found.setdefault(worker_id, []).append(event)
        return found

    def companies_missing(self, site_id: int, company_ids: Collection[int]) -> set[int]:
        return {c for c in company_ids if (site_id, c) not in self.structure}

    def placement(self, company_id: int, prime_company_id: int) -> tuple[int | None, int | None]:
        return self.placements.get(company_id, (None, None))

    def locked(self, keys: Sequence[str], now: datetime) -> bool:
        return any(k in self.locks for k in keys)

    def count_pin_try(self, keys: Sequence[str], now: datetime) -> bool:
        self.tries.append(tuple(keys))
        return not self.locked(keys, now)

    def verify_pin(self, ccus_worker_id: str, pin: str) -> WorkerInfo | None:
        found = self.pins.get(ccus_worker_id)
        return found[0] if found and found[1] == pin else None

    def month(self, worker_id: int, first: date, last: date) -> MonthFigures:
        self.months_asked.append((worker_id, first, last))
        return MonthFigures(True, 3, 1, last, SiteRef(SITE.name, SITE.site_code), None)

    def add(self, worker: WorkerInfo, at: datetime, direction: str | None, site: int = 1) -> None:
        self.history_rows.append((worker.id, site, PastEvent(at, direction, "phone")))


def call(caller: str | None = "+819011110001", dialed: str = "+81312340001", at=NOW) -> CallContext:  # type: ignore[no-untyped-def]
    return CallContext("CA1", caller, caller or "anonymous", dialed, at)


def flow(lookup: FakeLookup | None = None, rules: DayRules = RULES) -> Flow:
    return Flow(lookup or FakeLookup(), Policy(rules, "Asia/Tokyo"))


def records(step: Step) -> list[RecordEvent]:
    return [a for a in step.actions if isinstance(a, RecordEvent)]


def raised(step: Step) -> list[RaiseException]:
    return [a for a in step.actions if isinstance(a, RaiseException)]


def messages(step: Step) -> list[str]:
    return [p.message for p in step.prompts]


# ---------------------------------------------------------------- entry, repeat, exit


def test_first_call_of_the_day_is_an_entry_with_no_question() -> None:
    step = flow().start(call())
    [event] = records(step)
    assert (event.worker_id, event.site_id, event.direction) == (10, 1, "entry")
    assert event.external_id == "call:CA1:10:entry"
    assert messages(step) == ["recorded_entry", "menu_hint"]
    assert step.gather is not None and step.gather.on_timeout == "hangup"
    assert step.prompts[0].params["time"].hour == 7


def test_within_the_window_nothing_new() -> None:
    lookup = FakeLookup()
    lookup.add(TANAKA, NOW - timedelta(seconds=WINDOW - 1), "entry")
    step = flow(lookup).start(call())
    assert records(step) == [] and messages(step)[0] == "already_recorded"
    assert step.outcome == "repeat"


def test_after_the_window_an_open_entry_becomes_an_exit_then_a_reentry() -> None:
    lookup = FakeLookup()
    lookup.add(TANAKA, NOW - timedelta(hours=1), "entry")
    assert records(flow(lookup).start(call()))[0].direction == "exit"
    lookup.add(TANAKA, NOW - timedelta(minutes=30), "exit")
    assert records(flow(lookup).start(call()))[0].direction == "entry"


def test_an_open_entry_of_last_night_is_closed_by_the_morning_call() -> None:
    lookup = FakeLookup()
    lookup.add(TANAKA, NOW - timedelta(hours=11), "entry")  # 20:45 yesterday
    step = flow(lookup).start(call())
    [event] = records(step)
    assert event.direction == "exit" and event.also_reconcile == (NOW - timedelta(days=1)).date()
    assert messages(step)[0] == "recorded_exit_overnight"


def test_decide_ignores_events_after_now_and_a_later_touch_is_the_exit() -> None:
    touch = PastEvent(NOW - timedelta(hours=2), None, "nfc")
    later = PastEvent(NOW + timedelta(hours=1), "entry", "phone")  # recorded after (a replay)
    assert decide([touch, later], NOW, JST, RULES).kind == "exit"
    second = PastEvent(NOW - timedelta(hours=1), None, "nfc")
    assert decide([touch, second], NOW, JST, RULES).kind == "entry"


def test_an_entry_older_than_the_longest_shift_is_not_closed_by_the_call() -> None:
    old = PastEvent(NOW - timedelta(hours=16, seconds=1), "entry", "phone")
    decision = decide([old], NOW, JST, RULES)
    assert decision.kind == "entry" and decision.expired_entry == old
    just = PastEvent(NOW - timedelta(hours=16), "entry", "phone")
    assert decide([just], NOW, JST, RULES).kind == "exit"  # exactly the longest shift pairs
    closed = [old, PastEvent(old.occurred_at + timedelta(hours=9), "exit", "phone")]
    assert decide(closed, NOW, JST, RULES).expired_entry is None  # its exit was recorded


# ---------------------------------------------------------------- the day rules (issue stories)


def test_an_early_second_call_asks_and_no_key_records_nothing() -> None:
    lookup = FakeLookup()
    lookup.add(TANAKA, NOW - timedelta(minutes=15), "entry")
    step = flow(lookup).start(call())
    assert records(step) == [] and step.outcome == "asked_exit"
    assert messages(step) == ["entry_recorded_at", "exit_confirm_ask"]
    assert step.prompts[0].params["time"].minute == 30  # the entry's own time, 7:30
    assert step.gather is not None and step.gather.num_digits == 1
    assert step.gather.on_timeout == "redirect"
    silent = flow(lookup).resume(call(), step.state, None)
    assert records(silent) == [] and silent.gather is None
    assert messages(silent) == ["exit_not_recorded"] and silent.outcome == "exit_declined"
    other = flow(lookup).resume(call(), step.state, "1")
    assert records(other) == [] and messages(other) == ["exit_not_recorded"]


def test_an_early_second_call_records_the_exit_with_key_2() -> None:
    lookup = FakeLookup()
    lookup.add(TANAKA, NOW - timedelta(minutes=15), "entry")
    step = flow(lookup).resume(call(), flow(lookup).start(call()).state, "2")
    [event] = records(step)
    assert (event.direction, event.external_id) == ("exit", "call:CA1:10:exit")
    assert messages(step) == ["recorded_exit"] and step.outcome == "exit"


def test_with_the_question_off_the_early_call_is_the_exit() -> None:
    lookup = FakeLookup()
    lookup.add(TANAKA, NOW - timedelta(minutes=15), "entry")
    assert records(flow(lookup, OLD_RULES).start(call()))[0].direction == "exit"


def test_a_crew_call_asks_only_for_those_whose_entry_is_recent() -> None:
    lookup = FakeLookup()
    lookup.add(TANAKA, NOW - timedelta(minutes=15), "entry")
    lookup.add(ITO, NOW - timedelta(hours=3), "entry")
    crew = flow(lookup).start(call(caller="+819022220002"))
    step = flow(lookup).resume(call(caller="+819022220002"), crew.state, "0")
    assert [(e.worker_id, e.direction) for e in records(step)] == [(11, "exit"), (12, "entry")]
    assert step.state.confirm == (10,) and step.state.phase == "exit_confirm"
    pressed = flow(lookup).resume(call(caller="+819022220002"), step.state, "2")
    assert [(e.worker_id, e.direction) for e in records(pressed)] == [(10, "exit")]


def test_the_morning_call_after_a_forgotten_exit_is_a_new_days_entry() -> None:
    lookup = FakeLookup()
    early = NOW.replace(hour=5, minute=50)  # the call, and yesterday 6:20 a card touch, no exit
    lookup.history_rows.append(
        (10, 1, PastEvent(early - timedelta(hours=23, minutes=30), None, "nfc"))
    )
    step = flow(lookup).start(call(at=early))
    [event] = records(step)
    assert event.direction == "entry"
    assert messages(step)[0] == "recorded_entry_no_exit_yesterday"
    assert (step.prompts[0].params["since"].hour, step.prompts[0].params["since"].minute) == (6, 20)
    old = flow(lookup, OLD_RULES).start(call(at=early))  # 25 h: the old overnight exit
    assert records(old)[0].direction == "exit" and messages(old)[0] == "recorded_exit_overnight"


def test_an_early_second_call_at_a_reject_site_records_nothing() -> None:
    lookup = FakeLookup()
    lookup.add(TANAKA, NOW - timedelta(minutes=15), "entry", site=2)
    step = flow(lookup).start(call(dialed="+81312340002"))
    assert step.reject and records(step) == []


def test_reject_mode_rejects_and_records() -> None:
    step = flow().start(call(dialed="+81312340002"))
    assert step.reject and step.prompts == ()
    assert records(step)[0].site_id == 2


def test_the_worker_hears_their_own_language() -> None:
    lookup = FakeLookup(phones={"+819033330003": [SMITH]}, structure={(1, 300)})
    step = flow(lookup).start(call(caller="+819033330003"))
    assert {p.language for p in step.prompts} == {"en"}


# ---------------------------------------------------------------- where: the site code


def test_a_number_of_no_site_asks_the_code_three_times() -> None:
    f = flow()
    step = f.start(call(dialed="+81312349999"))
    assert step.state.phase == "site_code" and step.gather and step.gather.finish_on_key == "#"
    step = f.resume(call(), step.state, "999#")
    assert messages(step) == ["site_code_again"]
    step = f.resume(call(), step.state, None)
    step = f.resume(call(), step.state, "12#")
    assert step.gather is None and step.outcome == "no_site" and step.actions == ()


def test_the_right_code_goes_on_to_the_check_in() -> None:
    f = flow()
    first = f.start(call(dialed="+81312349999"))
    step = f.resume(call(), first.state, "2345#")
    assert step.reject and records(step)[0].site_id == 2


# ---------------------------------------------------------------- who: crew phones


def test_a_crew_phone_offers_each_member_and_everyone() -> None:
    f = flow(FakeLookup(structure={(1, 200), (1, 300)}))
    step = f.start(call(caller="+819022220002"))
    assert step.state.phase == "crew" and step.gather and step.gather.num_digits == 1
    assert [digit for digit, _ in step.prompts[0].params["options"]] == ["1", "2", "3"]
    assert [e.worker_id for e in records(f.resume(call(), step.state, "2"))] == [11]
    assert [e.worker_id for e in records(f.resume(call(), step.state, "0"))] == [10, 11, 12]


def test_a_silent_crew_phone_checks_in_its_owner() -> None:
    f = flow()
    step = f.start(call(caller="+819022220002"))
    step = f.resume(call(), step.state, None)
    assert step.state.phase == "crew"
    step = f.resume(call(), step.state, None)
    assert [e.worker_id for e in records(step)] == [10]


# ---------------------------------------------------------------- 施工体制


def test_a_company_outside_the_structure_joins_it_unconfirmed() -> None:
    lookup = FakeLookup(phones={"+819033330003": [SMITH]}, placements={300: (2, 200)})
    step = flow(lookup).start(call(caller="+819033330003"))
    [edge] = [a for a in step.actions if isinstance(a, AddToStructure)]
    assert (edge.site_id, edge.company_id, edge.tier, edge.parent_company_id) == (1, 300, 2, 200)
    [exc] = raised(step)
    assert exc.kind == "company_not_in_structure" and exc.dedupe_key.endswith(":1:300")
    assert exc.event_external_id == records(step)[0].external_id


# ---------------------------------------------------------------- unknown and withheld


@pytest.mark.parametrize(
    ("caller", "kind"), [("+819099998888", "unknown_caller"), (None, "withheld_caller")]
)
def test_an_unknown_caller_is_recorded_without_a_worker(caller: str | None, kind: str) -> None:
    step = flow().start(call(caller=caller))
    [event] = records(step)
    assert event.worker_id is None and event.caller_e164 == caller
    [exc] = raised(step)
    assert exc.kind == kind and exc.site_id == 1 and exc.event_external_id == event.external_id
    assert step.state.phase == "ccus_id"
    assert [p.language for p in step.prompts][:2] == ["ja", "en"]


def test_ccus_id_and_pin_identify_the_worker() -> None:
    f = flow()
    step = f.start(call(caller=None))
    step = f.resume(call(caller=None), step.state, "1234#")
    assert messages(step)[0] == "ccus_id_again"
    step = f.resume(call(caller=None), step.state, "12345678901234#")
    assert step.state.phase == "pin"
    step = f.resume(call(caller=None), step.state, "2468#")
    [event] = records(step)
    assert event.worker_id == 10 and event.direction == "entry"
    [ok] = [a for a in step.actions if isinstance(a, PinSucceeded)]
    assert ok.exception_dedupe_key == "withheld_caller:CA1" and ok.keys == (
        "pin:worker:12345678901234",
    )


def test_wrong_pins_end_the_call_after_three_tries() -> None:
    lookup = FakeLookup()
    f = flow(lookup)
    caller = "+819099998888"
    step = f.start(call(caller=caller))
    while step.gather is not None:
        step = f.resume(call(caller=caller), step.state, "12345678901234#")
        step = f.resume(call(caller=caller), step.state, "0000#")
    assert len(lookup.tries) == 3 and step.outcome == "pin_failed"
    assert set(lookup.tries[-1]) == {f"pin:phone:{caller}", "pin:worker:12345678901234"}
    assert not any(isinstance(a, PinSucceeded) for a in step.actions)


def test_a_pin_try_over_the_limit_is_refused_before_the_pin_is_evaluated() -> None:
    lookup = FakeLookup()
    lookup.count_pin_try = lambda keys, now: False  # type: ignore[method-assign]
    lookup.verify_pin = lambda ccus, pin: pytest.fail("evaluated")  # type: ignore[method-assign]
    f = flow(lookup)
    step = f.start(call(caller=None))
    step = f.resume(call(caller=None), step.state, "12345678901234#")
    step = f.resume(call(caller=None), step.state, "2468#")
    assert "locked_out" in messages(step) and records(step) == []


def test_a_locked_worker_id_is_refused_even_with_the_right_pin() -> None:
    f = flow(FakeLookup(locks={"pin:worker:12345678901234"}))
    step = f.start(call(caller=None))
    step = f.resume(call(caller=None), step.state, "12345678901234#")
    assert "locked_out" in messages(step) and records(step) == []


# ---------------------------------------------------------------- the menu


def test_a_key_during_the_confirmation_opens_the_menu_and_fixes_the_direction() -> None:
    f = flow()
    confirmed = f.start(call())
    menu = f.resume(call(), confirmed.state, "9")
    assert menu.state.phase == "menu"
    step = f.resume(call(), menu.state, "2")
    [event] = records(step)
    assert event.direction == "exit" and event.note == "menu"
    [exc] = raised(step)
    assert exc.kind == "correction_requested" and exc.detail["automatic"] == "entry"


def test_the_menu_reads_back_today_and_can_tell_the_office() -> None:
    lookup = FakeLookup()
    lookup.add(TANAKA, NOW - timedelta(hours=1), "entry")
    lookup.add(TANAKA, NOW - timedelta(minutes=30), "exit")
    f = flow(lookup)
    menu = f.resume(
        call(), CallState(phase="menu", site_id=1, workers=(10,), language_known=True), "3"
    )
    assert menu.prompts[0].message == "today_summary"
    assert [w for w, _ in menu.prompts[0].params["items"]] == ["entry", "exit"]
    step = f.resume(call(), menu.state, "1")
    assert [e.kind for e in raised(step)] == ["correction_requested"]
    assert messages(step) == ["correction_sent"]


def test_state_survives_json() -> None:
    state = CallState(phase="pin", site_id=1, workers=(10, 11), recorded=((10, "entry"),))
    assert CallState.from_json(state.to_json()) == state
    assert CallState.from_json(None) == CallState()


def test_key_4_reads_only_the_callers_own_month_even_on_a_crew_call() -> None:
    lookup = FakeLookup()
    f = flow(lookup)
    step = f.start(call("+819022220002"))  # a crew phone: choose Ito only
    step = f.resume(call(), step.state, "2")
    assert step.state.workers == (ITO.id,) and step.state.caller_worker == TANAKA.id
    step = f.resume(call(), f.resume(call(), step.state, "9").state, "4")
    assert lookup.months_asked == [(TANAKA.id, date(2025, 6, 1), date(2025, 6, 2))]
    assert messages(step) == ["month_summary", "goodbye"] and not step.actions
    assert step.gather is None and step.outcome == "read_month"
