"""English (also the fallback for registered languages without a catalogue of their own)."""

from __future__ import annotations

from ivr_flows.messages.base import Catalogue
from ivr_flows.readback import english_date, english_time

CATALOGUE = Catalogue(
    code="en",
    time=english_time,
    date=english_date,
    site="site {code}",
    words={"entry": "entry", "exit": "exit", "touch": "card touch"},
    item="{word} at {time}",
    item_separator=", ",
    option="For {name}, press {digit}",
    option_separator=". ",
    messages={
        "recorded_entry": "{name}, your entry at {time} is recorded.",
        "recorded_exit": "{name}, your exit at {time} is recorded. Thank you for today.",
        "recorded_exit_overnight": (
            "{name}, your exit at {time} is recorded, closing the night shift that started "
            "yesterday at {since}. Thank you."
        ),
        "entry_recorded_at": "{name}, your entry at {time} is already recorded.",
        "exit_confirm_ask": "To record your exit now, press {key}.",
        "exit_not_recorded": "No exit was recorded. Goodbye.",
        "recorded_entry_no_exit_yesterday": (
            "{name}, no exit was recorded after your entry yesterday at {since}. "
            "Today's entry at {time} is recorded."
        ),
        "recorded_entry_no_exit": (
            "{name}, no exit was recorded after your entry at {since}. "
            "A new entry at {time} is recorded."
        ),
        "already_recorded": "{name}, this was already recorded at {time}.",
        "menu_hint": "To change it, press {key}.",
        "menu": (
            "To record an entry, press 1. To record an exit, press 2. "
            "To hear today's record, press 3. To hear this month's record, press 4."
        ),
        "today_summary": "Today's record for {name}: {items}.",
        "today_none": "There is no record for {name} today yet.",
        "month_summary": (
            "Work days recorded this month for {name}, at all sites: {days}. "
            "The last was {last}, at {site}."
        ),
        "month_none": "There is no work day recorded for {name} this month yet.",
        "month_unregistered": (
            "{name} has no CCUS worker ID registered, so no work day is recorded. "
            "Please ask the site office."
        ),
        "month_kentaikyo": "The estimate for the retirement fund, Kentaikyo: {yen} yen.",
        "correction_offer": "If it needs correcting, press 1 and the site office will be told.",
        "correction_sent": "The site office has been told. Goodbye.",
        "ask_site_code": "Please enter the site code, then press the hash key.",
        "site_code_again": (
            "That site code was not found. Please enter the site code again, "
            "then press the hash key."
        ),
        "site_code_failed": "The site code could not be confirmed. Please ask the site office. "
        "Goodbye.",
        "crew_choose": "{options}. For everyone, press 0.",
        "unknown_caller": "This phone number is not registered.",
        "withheld_caller": "Your number is withheld, so we cannot tell who is calling.",
        "ask_ccus_id": (
            "To record with your CCUS worker ID, enter its 14 digits, then press the hash key."
        ),
        "ccus_id_again": "The worker ID has 14 digits. Please enter it again, then the hash key.",
        "ask_pin": "Now enter your PIN, then press the hash key.",
        "pin_wrong": "The worker ID or the PIN is not correct.",
        "locked_out": "After repeated wrong entries, PIN check-in is blocked for a while.",
        "anonymous_goodbye": (
            "The site office will be told about this call. Please ask them to register your "
            "phone number. Goodbye."
        ),
        "goodbye": "Goodbye.",
        "spooled": "Your check-in has been received. Goodbye.",
        "system_down": (
            "Because of a system problem, nothing was recorded. Please call again later, "
            "or tell the site office."
        ),
    },
)
